-- Un-cascaded gap 未分解缺口 per unit and month: a unit's assigned target minus the sum of
-- its direct children's targets, in yuan. The children are the next target level present
-- under the unit that month (HQ → regions, region → cities, city → teams where team
-- targets exist else the reps, team → reps).
with

placed as (

    select * from {{ ref('int_targets_placed') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

units as (

    select
        period,
        period_start,
        holder_id as unit_id,
        target_level as unit_level,
        level_rank as unit_rank,
        amount as unit_target
    from placed
    where target_level <> 'rep'

),

descendant_targets as (

    select
        units.period,
        units.unit_id,
        placed.target_level,
        placed.level_rank,
        placed.amount
    from units
    inner join closure
        on closure.ancestor_id = units.unit_id
    inner join placed
        on placed.anchor_unit_id = closure.descendant_id
        and placed.period = units.period
        and placed.level_rank > units.unit_rank

),

next_level as (

    select
        period,
        unit_id,
        min(level_rank) as child_rank
    from descendant_targets
    group by period, unit_id

),

children as (

    select
        descendant_targets.period,
        descendant_targets.unit_id,
        min(descendant_targets.target_level) as child_level,
        count(*) as child_count,
        sum(descendant_targets.amount) as children_target_sum
    from descendant_targets
    inner join next_level
        on next_level.period = descendant_targets.period
        and next_level.unit_id = descendant_targets.unit_id
        and next_level.child_rank = descendant_targets.level_rank
    group by descendant_targets.period, descendant_targets.unit_id

)

select
    -- keys
    units.period,
    units.period_start,
    units.unit_id,
    {{ org_unit_name('units.unit_id') }} as unit_name,
    units.unit_level,
    children.child_level,
    cast(coalesce(children.child_count, 0) as {{ dbt.type_bigint() }}) as child_count,
    -- amounts (yuan)
    units.unit_target,
    coalesce(children.children_target_sum, 0) as children_target_sum,
    units.unit_target - coalesce(children.children_target_sum, 0) as uncascaded_gap_yuan,
    -- ratio
    coalesce(children.children_target_sum, 0) / nullif(units.unit_target, 0) as cascade_ratio
from units
left join children
    on children.period = units.period
    and children.unit_id = units.unit_id
where {{ mart_is_available('fct_target_cascade_gaps') }}
