-- Win probabilities from the forecasting asset; one row per open opportunity per scoring day.
with source as (

    {{ asset_file_source('ml', 'win_probabilities', [
        ('scored_on', 'date'),
        ('opportunity_id', dbt.type_string()),
        ('win_probability', type_double()),
        ('model_origin', 'date'),
        ('model_version', dbt.type_string()),
    ]) }}

)

select
    -- grain
    scored_on,
    opportunity_id,
    -- prediction (0–1)
    win_probability,
    -- model
    model_origin,
    model_version
from source
