-- Held-out evaluation of the win probabilities; one row per source × stage × tenure cohort.
with source as (

    {{ asset_file_source('ml', 'win_probability_evaluation', [
        ('source', dbt.type_string()),
        ('stage', dbt.type_string()),
        ('tenure_cohort', dbt.type_string()),
        ('rows', dbt.type_bigint()),
        ('opportunities', dbt.type_bigint()),
        ('observed_win_rate', type_double()),
        ('mean_probability', type_double()),
        ('brier_score', type_double()),
        ('log_loss', type_double()),
        ('calibration_error', type_double()),
        ('first_scored_on', 'date'),
        ('last_scored_on', 'date'),
    ]) }}

)

select
    -- grain
    source as probability_source,
    stage,
    tenure_cohort,
    -- sample
    rows as scored_rows,
    opportunities,
    first_scored_on,
    last_scored_on,
    -- outcome vs prediction
    observed_win_rate,
    mean_probability,
    -- scores
    brier_score,
    log_loss,
    calibration_error
from source
