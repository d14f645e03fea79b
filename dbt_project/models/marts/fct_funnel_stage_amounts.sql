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

-- the amount of the CRM extract in force on as_of (the same rows positions come from)
opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

stages as (

    select * from {{ open_funnel_stages_relation() }} as open_stages

),

-- an opportunity belongs to its owner's team and to every ancestor of that team; reached,
-- advanced, open and lost are those of fct_funnel_stages (macro funnel_position_rule),
-- weighed by amount
opportunities_by_unit as (

    select
        closure.ancestor_id as unit_id,
        positions.opportunity_id,
        positions.furthest_stage_order,
        positions.furthest_open_stage_order,
        positions.latest_stage,
        positions.status_as_of,
        opportunities.amount
    from positions
    inner join opportunities
        on opportunities.opportunity_id = positions.opportunity_id
    inner join closure
        on closure.descendant_id = positions.team_id

),

stage_amounts as (

    select
        opportunities_by_unit.unit_id,
        stages.stage,
        sum(
            case
                when {{ funnel_position_rule('reached') }} and opportunities_by_unit.amount is null
                    then 1
                else 0
            end
        ) as reached_without_amount_count,
        {%- for measure in ['reached', 'advanced', 'open', 'lost'] %}
        sum(case when {{ funnel_position_rule(measure) }} then opportunities_by_unit.amount end)
            as {{ measure }}_amount
        {{- "," if not loop.last }}
        {%- endfor %}
    from opportunities_by_unit
    cross join stages
    group by opportunities_by_unit.unit_id, stages.stage

),

final as (

    select
        -- grain
        as_of.as_of,
        org_units.unit_id,
        org_units.level as unit_level,
        stages.stage,
        stages.stage_order,
        -- amounts
        coalesce(stage_amounts.reached_amount, 0) as reached_amount,
        coalesce(stage_amounts.advanced_amount, 0) as advanced_amount,
        coalesce(stage_amounts.open_amount, 0) as open_amount,
        coalesce(stage_amounts.lost_amount, 0) as lost_amount,
        coalesce(stage_amounts.reached_without_amount_count, 0) as reached_without_amount_count,
        -- rates
        case
            when coalesce(stage_amounts.reached_amount, 0) > 0
                then cast(coalesce(stage_amounts.advanced_amount, 0) as {{ type_double() }}) / stage_amounts.reached_amount
        end as amount_conversion_rate
    from org_units
    cross join as_of
    cross join stages
    left join stage_amounts
        on stage_amounts.unit_id = org_units.unit_id
        and stage_amounts.stage = stages.stage
    where {{ mart_is_available('fct_funnel_stage_amounts') }}

)

select
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
    cast(reached_amount as decimal(18, 2)) as reached_amount,
    cast(advanced_amount as decimal(18, 2)) as advanced_amount,
    cast(open_amount as decimal(18, 2)) as open_amount,
    cast(lost_amount as decimal(18, 2)) as lost_amount,
    cast(reached_without_amount_count as {{ dbt.type_bigint() }}) as reached_without_amount_count,
    cast(amount_conversion_rate as {{ type_double() }}) as amount_conversion_rate
from final
