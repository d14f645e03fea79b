-- The run-rate against the seasonal naive forecast; one row per lock day.
with source as (

    {{ asset_file_source('ml', 'run_rate_evaluation', [
        ('lock_day', dbt.type_bigint()),
        ('months', dbt.type_bigint()),
        ('mae_run_rate', type_double()),
        ('mae_seasonal_naive', type_double()),
        ('mase_run_rate', type_double()),
        ('mase_seasonal_naive', type_double()),
    ]) }}

)

select
    -- grain
    lock_day,
    -- sample
    months as months_scored,
    -- errors (yuan)
    mae_run_rate,
    mae_seasonal_naive,
    -- scaled errors
    mase_run_rate,
    mase_seasonal_naive
from source
