-- How well each win probability predicted the outcome on held-out months 赢率评估: the model's,
-- the rules engine's, the CRM's and the flat default, per stage and tenure cohort (computed by
-- the forecasting asset with scikit-learn's metrics, ml/models/win_probability/evaluate.py).
with

evaluation as (

    select * from {{ ref('stg_ml__win_probability_evaluation') }}

)

select
    -- grain
    probability_source,
    stage,
    tenure_cohort,
    -- sample
    scored_rows,
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
from evaluation
