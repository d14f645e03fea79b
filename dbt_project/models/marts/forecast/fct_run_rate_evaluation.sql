-- The run-rate of business not yet in the pipeline against the seasonal naive forecast 趋势外推
-- 评估 (SPEC §6 backtest): one-step-ahead MAE and MASE per lock day (ml/models/backtest/run_rate.py).
with

evaluation as (

    select * from {{ ref('stg_ml__run_rate_evaluation') }}

)

select
    -- grain
    lock_day,
    -- sample
    months_scored,
    -- errors (yuan)
    mae_run_rate,
    mae_seasonal_naive,
    -- scaled errors
    mase_run_rate,
    mase_seasonal_naive
from evaluation
