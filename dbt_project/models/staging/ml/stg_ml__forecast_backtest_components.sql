-- The backtest's model-based parts from the forecasting asset; one row per rep × month × lock day.
with source as (

    {{ asset_file_source('ml', 'forecast_backtest_components', [
        ('rep_id', 'varchar'),
        ('period', 'varchar'),
        ('lock_day', dbt.type_bigint()),
        ('model_weighted_amount', type_double()),
        ('run_rate_amount', type_double()),
        ('model_version', 'varchar'),
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
