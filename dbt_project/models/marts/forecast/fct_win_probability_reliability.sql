-- Reliability table of the win probabilities 可靠性表: predicted vs observed win rate per
-- probability bin, per source, stage and tenure cohort (ml/models/win_probability/evaluate.py).
with

reliability as (

    select * from {{ ref('stg_ml__win_probability_reliability') }}

)

select
    -- grain
    probability_source,
    stage,
    tenure_cohort,
    probability_bin,
    -- bin bounds (0–1)
    bin_lower,
    bin_upper,
    -- sample
    scored_rows,
    -- predicted vs observed
    mean_probability,
    observed_win_rate
from reliability
