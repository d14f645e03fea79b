-- Challenge targets from the forecasting asset; one row per rep-month with a committed target.
with source as (

    {{ asset_file_source('ml', 'challenge_targets', [
        ('rep_id', dbt.type_string()),
        ('month_start', 'date'),
        ('stage_potential', type_double()),
        ('profile_potential', type_double()),
        ('profile_open_amount', type_double()),
        ('top_profile_count', dbt.type_bigint()),
        ('new_lead_count', dbt.type_bigint()),
        ('new_lead_quality', type_double()),
        ('lead_quality_factor', type_double()),
        ('lead_potential', type_double()),
        ('stretch_potential', type_double()),
        ('challenge_target', type_double()),
        ('binding_floor', dbt.type_string()),
    ]) }}

)

select
    -- grain
    rep_id,
    month_start,
    -- potentials (yuan)
    stage_potential,
    profile_potential,
    profile_open_amount,
    lead_potential,
    stretch_potential,
    -- their inputs
    top_profile_count,
    new_lead_count,
    new_lead_quality,
    lead_quality_factor,
    -- the challenge target (yuan) and which floor or potential set it
    challenge_target,
    binding_floor
from source
