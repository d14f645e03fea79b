with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

parts as (

    select * from {{ ref('int_efficiency_kpis_aggregated_to_team_regime') }}

),

kpis as (

    select * from {{ ref('efficiency_kpis') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

scopes as (

    select
        unit_id as scope_id,
        case when level = 'hq' then 'overall' else 'region' end as scope_level,
        name as scope_name
    from org_units
    where level in ('hq', 'region')

),

rolled_up as (

    select
        scopes.scope_id,
        parts.kpi,
        sum(case when parts.process_regime = 'traditional' then parts.numerator end) as traditional_numerator,
        sum(case when parts.process_regime = 'traditional' then parts.denominator end) as traditional_sample,
        sum(case when parts.process_regime = 'structured' then parts.numerator end) as structured_numerator,
        sum(case when parts.process_regime = 'structured' then parts.denominator end) as structured_sample
    from parts
    inner join closure
        on closure.descendant_id = parts.team_id
    inner join scopes
        on scopes.scope_id = closure.ancestor_id
    group by scopes.scope_id, parts.kpi

),

valued as (

    select
        scopes.scope_id,
        scopes.scope_level,
        scopes.scope_name,
        kpis.kpi,
        kpis.sort_order,
        kpis.label_zh,
        kpis.label_en,
        kpis.unit,
        kpis.better_direction,
        coalesce(rolled_up.traditional_sample, 0) as traditional_sample,
        coalesce(rolled_up.structured_sample, 0) as structured_sample,
        case
            when rolled_up.traditional_sample > 0
                then rolled_up.traditional_numerator / rolled_up.traditional_sample
        end as traditional_value,
        case
            when rolled_up.structured_sample > 0
                then rolled_up.structured_numerator / rolled_up.structured_sample
        end as structured_value
    from scopes
    cross join kpis
    left join rolled_up
        on rolled_up.scope_id = scopes.scope_id
        and rolled_up.kpi = kpis.kpi

),

compared as (

    select
        valued.*,
        structured_value - traditional_value as change_abs,
        case
            when traditional_value <> 0
                then (structured_value - traditional_value) / abs(traditional_value)
        end as change_pct,
        case
            when structured_value > traditional_value then '↑'
            when structured_value < traditional_value then '↓'
            when structured_value = traditional_value then '→'
        end as direction
    from valued

)

select
    cast(compared.scope_id as {{ dbt.type_string() }}) as scope_id,
    cast(compared.scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(compared.scope_name as {{ dbt.type_string() }}) as scope_name,
    cast(compared.kpi as {{ dbt.type_string() }}) as kpi,
    cast(compared.sort_order as {{ dbt.type_bigint() }}) as sort_order,
    cast(compared.label_zh as {{ dbt.type_string() }}) as label_zh,
    cast(compared.label_en as {{ dbt.type_string() }}) as label_en,
    cast(compared.unit as {{ dbt.type_string() }}) as unit,
    cast(compared.better_direction as {{ dbt.type_string() }}) as better_direction,
    cast(compared.traditional_value as {{ type_double() }}) as traditional_value,
    cast(compared.structured_value as {{ type_double() }}) as structured_value,
    cast(compared.traditional_sample as {{ dbt.type_bigint() }}) as traditional_sample,
    cast(compared.structured_sample as {{ dbt.type_bigint() }}) as structured_sample,
    cast(compared.change_abs as {{ type_double() }}) as change_abs,
    cast(compared.change_pct as {{ type_double() }}) as change_pct,
    cast(compared.direction as {{ dbt.type_string() }}) as direction,
    cast(
        case
            when compared.direction is null then null
            when compared.better_direction = 'lower' then compared.direction = '↓'
            else compared.direction = '↑'
        end as boolean
    ) as is_improvement,
    cast(
        compared.direction || coalesce(
            ' ' || cast(round(100 * abs(compared.change_pct), 1) as {{ dbt.type_string() }}) || '%',
            ''
        ) as {{ dbt.type_string() }}
    ) as change_label,
    cast(as_of.as_of as date) as as_of
from compared
cross join as_of
where {{ mart_is_available('fct_efficiency_comparison') }}
