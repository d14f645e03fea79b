with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

scored as (

    select * from {{ ref('int_health_weeks_scored') }}

),

metrics as (

    select * from {{ ref('health_metrics') }}

),

final as (

    select
        as_of.as_of,
        scored.*,
        metrics.metric_id,
        metrics.name_zh as metric_name_zh,
        metrics.name_en as metric_name_en,
        metrics.unit as metric_unit,
        metrics.higher_is_better
    from scored
    inner join metrics
        on metrics.metric_code = scored.metric_code
    cross join as_of
    where {{ mart_is_available('fct_process_health_weekly') }}

)

select
    cast(as_of as date) as as_of,
    -- ids
    cast(scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(final.team_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.team_id') }} as unit_name,
    cast(case when final.scope_level = 'rep' then final.unit_id end as {{ dbt.type_string() }}) as rep_id,
    cast(region_id as {{ dbt.type_string() }}) as region_id,
    cast(metric_id as {{ dbt.type_int() }}) as metric_id,
    cast(metric_code as {{ dbt.type_string() }}) as metric_code,
    -- attributes
    cast(metric_name_zh as {{ dbt.type_string() }}) as metric_name_zh,
    cast(metric_name_en as {{ dbt.type_string() }}) as metric_name_en,
    cast(metric_unit as {{ dbt.type_string() }}) as metric_unit,
    cast(higher_is_better as boolean) as higher_is_better,
    cast(process_regime as {{ dbt.type_string() }}) as process_regime,
    cast(z_scale as {{ dbt.type_string() }}) as z_scale,
    -- dates
    cast(week_start as date) as week_start,
    -- amounts
    cast(numerator as {{ type_double() }}) as numerator,
    cast(denominator as {{ type_double() }}) as denominator,
    cast(metric_value as {{ type_double() }}) as metric_value,
    -- peers
    cast(peer_count as {{ dbt.type_bigint() }}) as peer_count,
    cast(peer_median as {{ type_double() }}) as peer_median,
    cast(peer_sigma as {{ type_double() }}) as peer_sigma,
    cast(sampling_sigma as {{ type_double() }}) as sampling_sigma,
    cast(sigma_observations as {{ dbt.type_bigint() }}) as sigma_observations,
    cast(z_score as {{ type_double() }}) as z_score,
    -- flags
    cast(is_flagged as boolean) as is_flagged,
    cast(flag_direction as {{ dbt.type_string() }}) as flag_direction
from final
