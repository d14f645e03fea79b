-- Dynamic baseline 动态基线 rolled up the org tree: per unit, month and component (every
-- driver, the intercept and the floor adjustment), the sum over the unit's reps, so a
-- manager sees which drivers move the unit's baseline (SPEC §6).
with

reps as (

    select * from {{ ref('fct_dual_track_rep_month') }}
    where baseline is not null

),

contributions as (

    select * from {{ ref('fct_dynamic_baseline_contributions') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

org_units as (

    select * from {{ ref('dim_org_units') }}

),

components as (

    select rep_id, month_start, team_id, driver as component, contribution
    from contributions

    union all

    select rep_id, month_start, team_id, 'intercept' as component, baseline_intercept as contribution
    from reps

    union all

    select
        rep_id,
        month_start,
        team_id,
        'floor_adjustment' as component,
        baseline_floor_adjustment as contribution
    from reps

),

placed as (

    {{ roll_up_to_org_units('components', 'closure', 'org_units') }}

),

unit_baselines as (

    select unit_id, month_start, sum(contribution) as unit_baseline, count(distinct rep_id) as rep_count
    from placed
    group by unit_id, month_start

),

aggregated as (

    select
        -- grain
        placed.unit_id,
        max(org_units.level) as unit_level,
        placed.month_start,
        placed.component,
        -- sums over the unit's reps (yuan)
        cast(sum(placed.contribution) as {{ type_double() }}) as contribution,
        cast(max(unit_baselines.unit_baseline) as {{ type_double() }}) as unit_baseline,
        max(unit_baselines.rep_count) as rep_count
    from placed
    inner join unit_baselines
        on unit_baselines.unit_id = placed.unit_id
        and unit_baselines.month_start = placed.month_start
    left join org_units
        on org_units.unit_id = placed.unit_id
    where {{ mart_is_available('fct_dynamic_baseline_unit_month') }}
    group by placed.unit_id, placed.month_start, placed.component

)

-- the name after the aggregation (Spark takes no correlated subquery beside a group by)
select
    -- grain
    aggregated.unit_id,
    {{ org_unit_name('aggregated.unit_id') }} as unit_name,
    aggregated.unit_level,
    aggregated.month_start,
    aggregated.component,
    -- sums over the unit's reps (yuan)
    aggregated.contribution,
    aggregated.unit_baseline,
    aggregated.rep_count
from aggregated
