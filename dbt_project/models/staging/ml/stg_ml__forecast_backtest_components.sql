-- The backtest's model-based parts from the forecasting asset; one row per rep × month × lock day.
with source as (

    {{ asset_file_source('ml', 'forecast_backtest_components', [
        ('rep_id', dbt.type_string()),
        ('period', dbt.type_string()),
        ('lock_day', dbt.type_bigint()),
        ('model_weighted_amount', type_double()),
        ('run_rate_amount', type_double()),
        ('model_version', dbt.type_string()),
    ]) }}

)

select
    -- grain
    rep_id,
    period,
    lock_day,
    -- amounts (yuan)
    model_weighted_amount,
    run_rate_amount,
    -- model
    model_version
from source
