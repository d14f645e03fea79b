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

moves as (

    select * from {{ ref('int_stage_moves_joined_to_windows') }}

),

window_bounds as (

    select
        window_grain,
        window_start,
        window_end
    from {{ ref('int_pipeline_windows') }}

),

matrix as (

    select
        closure.ancestor_id as unit_id,
        moves.window_grain,
        moves.window_start,
        moves.from_stage,
        moves.from_stage_order,
        moves.to_stage,
        moves.to_stage_order,
        moves.transition_kind,
        count(*) as move_count,
        count(distinct moves.opportunity_id) as opportunity_count,
        sum(moves.amount) as amount
    from moves
    inner join closure
        on closure.descendant_id = moves.team_id
    group by
        closure.ancestor_id,
        moves.window_grain,
        moves.window_start,
        moves.from_stage,
        moves.from_stage_order,
        moves.to_stage,
        moves.to_stage_order,
        moves.transition_kind

),

final as (

    select
        as_of.as_of,
        matrix.window_grain,
        matrix.window_start,
        coalesce(window_bounds.window_end, as_of.as_of) as window_end,
        matrix.unit_id,
        org_units.level as unit_level,
        matrix.from_stage,
        matrix.from_stage_order,
        matrix.to_stage,
        matrix.to_stage_order,
        matrix.transition_kind,
        matrix.move_count,
        matrix.opportunity_count,
        matrix.amount
    from matrix
    inner join org_units
        on org_units.unit_id = matrix.unit_id
    cross join as_of
    left join window_bounds
        on window_bounds.window_grain = matrix.window_grain
        and window_bounds.window_start = matrix.window_start
    where {{ mart_is_available('fct_stage_transitions') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(window_grain as {{ dbt.type_string() }}) as window_grain,
    cast(window_start as date) as window_start,
    cast(window_end as date) as window_end,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    -- transition
    cast(from_stage as {{ dbt.type_string() }}) as from_stage,
    cast(from_stage_order as {{ dbt.type_bigint() }}) as from_stage_order,
    cast(to_stage as {{ dbt.type_string() }}) as to_stage,
    cast(to_stage_order as {{ dbt.type_bigint() }}) as to_stage_order,
    cast(transition_kind as {{ dbt.type_string() }}) as transition_kind,
    -- measures
    cast(move_count as {{ dbt.type_bigint() }}) as move_count,
    cast(opportunity_count as {{ dbt.type_bigint() }}) as opportunity_count,
    cast(amount as decimal(18, 2)) as amount
from final
