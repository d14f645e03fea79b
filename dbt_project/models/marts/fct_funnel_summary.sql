with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

lead_to_sign as (

    select * from {{ ref('fct_lead_to_sign') }}

),

outcomes as (

    select
        closure.ancestor_id as unit_id,
        count(*) as opportunities_count,
        sum(case when positions.status_as_of = 'open' then 1 else 0 end) as open_count,
        sum(case when positions.status_as_of = 'won' then 1 else 0 end) as won_count,
        sum(case when positions.status_as_of = 'lost' then 1 else 0 end) as lost_count
    from positions
    inner join closure
        on closure.descendant_id = positions.team_id
    group by closure.ancestor_id

),

cycles as (

    select
        closure.ancestor_id as unit_id,
        count(*) as signed_count,
        {{ median('lead_to_sign.lead_to_sign_days') }} as median_lead_to_sign_days,
        avg(cast(lead_to_sign.lead_to_sign_days as {{ type_double() }})) as avg_lead_to_sign_days
    from lead_to_sign
    inner join closure
        on closure.descendant_id = lead_to_sign.team_id
    group by closure.ancestor_id

),

final as (

    select
        as_of.as_of,
        org_units.unit_id,
        org_units.level as unit_level,
        coalesce(outcomes.opportunities_count, 0) as opportunities_count,
        coalesce(outcomes.open_count, 0) as open_count,
        coalesce(outcomes.won_count, 0) as won_count,
        coalesce(outcomes.lost_count, 0) as lost_count,
        case
            when coalesce(outcomes.won_count, 0) + coalesce(outcomes.lost_count, 0) > 0
                then cast(outcomes.won_count as {{ type_double() }}) / (outcomes.won_count + outcomes.lost_count)
        end as win_rate_count,
        coalesce(cycles.signed_count, 0) as signed_count,
        cycles.median_lead_to_sign_days,
        cycles.avg_lead_to_sign_days
    from org_units
    cross join as_of
    left join outcomes
        on outcomes.unit_id = org_units.unit_id
    left join cycles
        on cycles.unit_id = org_units.unit_id
    where {{ mart_is_available('fct_funnel_summary') }}

)

select
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(opportunities_count as {{ dbt.type_bigint() }}) as opportunities_count,
    cast(open_count as {{ dbt.type_bigint() }}) as open_count,
    cast(won_count as {{ dbt.type_bigint() }}) as won_count,
    cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
    cast(win_rate_count as {{ type_double() }}) as win_rate_count,
    cast(signed_count as {{ dbt.type_bigint() }}) as signed_count,
    cast(median_lead_to_sign_days as {{ type_double() }}) as median_lead_to_sign_days,
    cast(avg_lead_to_sign_days as {{ type_double() }}) as avg_lead_to_sign_days
from final
