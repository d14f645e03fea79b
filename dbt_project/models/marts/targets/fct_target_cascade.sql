-- Target cascade 目标分解 per month and scope (SPEC §5 "Cascade decay"): how much of a
-- unit's assigned target survives each level step down to the reps' committed targets.
-- A step's ratio is Σ child-level targets in the scope ÷ Σ parent-level targets in the
-- scope; the team step appears only where team targets exist.
with

placed as (

    select * from {{ ref('int_targets_placed') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

scopes as (

    select
        period,
        period_start,
        holder_id as scope_unit_id,
        target_level as scope_level,
        level_rank as scope_rank,
        amount as scope_target
    from placed
    where target_level <> 'rep'

),

below as (

    select
        scopes.period,
        scopes.scope_unit_id,
        sum(case when placed.target_level = 'region' then placed.amount end) as region_target_sum,
        sum(case when placed.target_level = 'city' then placed.amount end) as city_target_sum,
        sum(case when placed.target_level = 'team' then placed.amount end) as team_target_sum,
        sum(case when placed.target_level = 'rep' then placed.amount end) as rep_committed_sum,
        sum(case when placed.target_level = 'rep' then 1 else 0 end) as rep_target_count
    from scopes
    inner join closure
        on closure.ancestor_id = scopes.scope_unit_id
    inner join placed
        on placed.anchor_unit_id = closure.descendant_id
        and placed.period = scopes.period
        and placed.level_rank > scopes.scope_rank
    group by scopes.period, scopes.scope_unit_id

),

bases as (

    select
        scopes.period,
        scopes.period_start,
        scopes.scope_unit_id,
        scopes.scope_level,
        scopes.scope_target,
        below.region_target_sum,
        below.city_target_sum,
        below.team_target_sum,
        coalesce(below.rep_committed_sum, 0) as rep_committed_sum,
        coalesce(below.rep_target_count, 0) as rep_target_count,
        -- each level's total in the scope: the scope's own target at its own level
        case when scopes.scope_level = 'region' then scopes.scope_target
            else below.region_target_sum end as region_base,
        case when scopes.scope_level = 'city' then scopes.scope_target
            else below.city_target_sum end as city_base,
        case when scopes.scope_level = 'team' then scopes.scope_target
            else below.team_target_sum end as team_base
    from scopes
    left join below
        on below.period = scopes.period
        and below.scope_unit_id = scopes.scope_unit_id

)

select
    -- keys
    period,
    period_start,
    scope_unit_id as unit_id,
    {{ org_unit_name('bases.scope_unit_id') }} as unit_name,
    scope_level as unit_level,
    -- amounts (yuan)
    scope_target as unit_target,
    region_target_sum,
    city_target_sum,
    team_target_sum,
    rep_committed_sum,
    cast(rep_target_count as {{ dbt.type_bigint() }}) as rep_target_count,
    scope_target - rep_committed_sum as uncascaded_gap_yuan,
    -- step ratios (null where the step is not in the scope)
    case when scope_level = 'hq' then region_target_sum / nullif(scope_target, 0)
        end as region_over_hq,
    case when scope_level in ('hq', 'region') then city_target_sum / nullif(region_base, 0)
        end as city_over_region,
    case when scope_level in ('hq', 'region', 'city') and team_target_sum is not null
        then team_target_sum / nullif(city_base, 0) end as team_over_city,
    case when team_base is not null then rep_committed_sum / nullif(team_base, 0)
        end as rep_over_team,
    case when scope_level in ('hq', 'region', 'city')
        then rep_committed_sum / nullif(city_base, 0) end as rep_over_city,
    team_base is not null and scope_level <> 'team' as has_team_step,
    -- end to end: 承接率
    rep_committed_sum / nullif(scope_target, 0) as end_to_end_rate
from bases
where {{ mart_is_available('fct_target_cascade') }}
