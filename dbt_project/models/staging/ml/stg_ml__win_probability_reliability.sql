-- Reliability table of the win probabilities; one row per source × stage × cohort × bin.
with source as (

    {{ asset_file_source('ml', 'win_probability_reliability', [
        ('source', dbt.type_string()),
        ('stage', dbt.type_string()),
        ('tenure_cohort', dbt.type_string()),
        ('bin', dbt.type_bigint()),
        ('bin_lower', type_double()),
        ('bin_upper', type_double()),
        ('rows', dbt.type_bigint()),
        ('mean_probability', type_double()),
        ('observed_win_rate', type_double()),
    ]) }}

)

select
    -- grain
    source as probability_source,
    stage,
    tenure_cohort,
    bin as probability_bin,
    -- bin bounds (0–1)
    bin_lower,
    bin_upper,
    -- sample
    rows as scored_rows,
    -- predicted vs observed
    mean_probability,
    observed_win_rate
from source
