-- Dynamic baselines from the forecasting asset; one row per rep-month with a model.
with source as (

    {{ asset_file_source('ml', 'baselines', [
        ('rep_id', dbt.type_string()),
        ('month_start', 'date'),
        ('baseline', type_double()),
        ('intercept', type_double()),
        ('baseline_unfloored', type_double()),
        ('floor_adjustment', type_double()),
        ('model_origin', 'date'),
        ('model_version', dbt.type_string()),
    ]) }}

)

select
    -- grain
    rep_id,
    month_start,
    -- amounts (yuan)
    baseline,
    intercept,
    baseline_unfloored,
    floor_adjustment,
    -- model
    model_origin,
    model_version
from source
