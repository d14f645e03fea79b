with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

flagged as (

    select * from {{ ref('int_opportunities_flagged_for_reuse') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

rolled_up as (

    select
        closure.ancestor_id as unit_id,
        flagged.created_month,
        flagged.process_regime,
        count(*) as opportunities_count,
        sum(case when flagged.is_eligible then 1 else 0 end) as eligible_count,
        sum(case when flagged.is_eligible and flagged.is_reused then 1 else 0 end) as reused_count
    from flagged
    inner join closure
        on closure.descendant_id = flagged.team_id
    -- no created date, no month: counted in fct_data_completeness instead
    where flagged.created_month is not null
    group by closure.ancestor_id, flagged.created_month, flagged.process_regime

)

select
    cast(rolled_up.unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(org_units.name as {{ dbt.type_string() }}) as unit_name,
    cast(org_units.level as {{ dbt.type_string() }}) as unit_level,
    cast(rolled_up.created_month as date) as created_month,
    cast(rolled_up.process_regime as {{ dbt.type_string() }}) as process_regime,
    cast(rolled_up.opportunities_count as {{ dbt.type_bigint() }}) as opportunities_count,
    cast(rolled_up.eligible_count as {{ dbt.type_bigint() }}) as eligible_count,
    cast(rolled_up.reused_count as {{ dbt.type_bigint() }}) as reused_count,
    cast(
        case
            when rolled_up.eligible_count > 0
                then cast(rolled_up.reused_count as {{ type_double() }}) / rolled_up.eligible_count
        end as {{ type_double() }}
    ) as reuse_rate,
    cast(as_of.as_of as date) as as_of
from rolled_up
cross join as_of
inner join org_units
    on org_units.unit_id = rolled_up.unit_id
where {{ mart_is_available('fct_best_practice_reuse_monthly') }}
