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

dwell as (

    select * from {{ ref('int_opportunity_stage_dwell') }}

),

stages as (

    select * from {{ open_funnel_stages_relation() }} as open_stages

),

-- an opportunity belongs to its owner's team and to every ancestor of that team
opportunities_by_unit as (

    select
        closure.ancestor_id as unit_id,
        positions.opportunity_id,
        positions.furthest_stage_order,
        positions.furthest_open_stage_order,
        positions.latest_stage,
        positions.status_as_of
    from positions
    inner join closure
        on closure.descendant_id = positions.team_id

),

stage_counts as (

    select
        opportunities_by_unit.unit_id,
        stages.stage,
        {%- for measure in ['reached', 'advanced', 'open', 'lost'] %}
        sum(case when {{ funnel_position_rule(measure) }} then 1 else 0 end) as {{ measure }}_count
        {{- "," if not loop.last }}
        {%- endfor %}
    from opportunities_by_unit
    cross join stages
    group by opportunities_by_unit.unit_id, stages.stage

),

stage_dwell as (

    select
        closure.ancestor_id as unit_id,
        dwell.stage,
        {{ median('dwell.dwell_days') }} as median_dwell_days,
        count(*) as dwell_sample_count
    from dwell
    inner join positions
        on positions.opportunity_id = dwell.opportunity_id
    inner join closure
        on closure.descendant_id = positions.team_id
    group by closure.ancestor_id, dwell.stage

),

final as (

    select
        -- grain
        as_of.as_of,
        org_units.unit_id,
        org_units.level as unit_level,
        stages.stage,
        stages.stage_order,
        -- counts
        coalesce(stage_counts.reached_count, 0) as reached_count,
        coalesce(stage_counts.advanced_count, 0) as advanced_count,
        coalesce(stage_counts.open_count, 0) as open_count,
        coalesce(stage_counts.lost_count, 0) as lost_count,
        -- rates and dwell
        case
            when coalesce(stage_counts.reached_count, 0) > 0
                then cast(stage_counts.advanced_count as {{ type_double() }}) / stage_counts.reached_count
        end as conversion_rate,
        stage_dwell.median_dwell_days,
        coalesce(stage_dwell.dwell_sample_count, 0) as dwell_sample_count
    from org_units
    cross join as_of
    cross join stages
    left join stage_counts
        on stage_counts.unit_id = org_units.unit_id
        and stage_counts.stage = stages.stage
    left join stage_dwell
        on stage_dwell.unit_id = org_units.unit_id
        and stage_dwell.stage = stages.stage
    where {{ mart_is_available('fct_funnel_stages') }}

)

select
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
    cast(reached_count as {{ dbt.type_bigint() }}) as reached_count,
    cast(advanced_count as {{ dbt.type_bigint() }}) as advanced_count,
    cast(open_count as {{ dbt.type_bigint() }}) as open_count,
    cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
    cast(conversion_rate as {{ type_double() }}) as conversion_rate,
    cast(median_dwell_days as {{ type_double() }}) as median_dwell_days,
    cast(dwell_sample_count as {{ dbt.type_bigint() }}) as dwell_sample_count
from final
