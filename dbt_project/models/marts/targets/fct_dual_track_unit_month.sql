-- Dual track 双轨 rolled up the org tree: per unit and month, the sums of the committed
-- targets, challenge targets, baselines and bookings of the unit's reps, and how many of
-- them carry a coaching alert (SPEC §5 "Dual track"), so a manager reads the unit's three
-- tracks and its alert count from one row.
with

reps as (

    select * from {{ ref('fct_dual_track_rep_month') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

org_units as (

    select * from {{ ref('dim_org_units') }}

),

placed as (

    {{ roll_up_to_org_units('reps', 'closure', 'org_units') }}

),

rolled as (

    select
        placed.unit_id,
        placed.month_start,
        min(placed.period) as period,
        max(case when placed.is_period_complete then 1 else 0 end) as is_period_complete_flag,
        max(placed.gap_alert_threshold) as gap_alert_threshold,
        count(*) as rep_count,
        count(placed.challenge_target) as challenge_rep_count,
        count(placed.baseline) as baseline_rep_count,
        sum(case when placed.coaching_alert then 1 else 0 end) as coaching_alert_count,
        sum(placed.committed_target) as committed_target_sum,
        sum(placed.challenge_target) as challenge_target_sum,
        sum(case when placed.challenge_target is not null then placed.committed_target end)
            as challenged_committed_sum,
        sum(placed.baseline) as baseline_sum,
        sum(placed.bookings) as bookings_sum
    from placed
    group by placed.unit_id, placed.month_start

)

select
    -- grain
    rolled.unit_id,
    {{ org_unit_name('rolled.unit_id') }} as unit_name,
    org_units.level as unit_level,
    rolled.month_start,
    rolled.period,
    rolled.is_period_complete_flag = 1 as is_period_complete,
    -- counts
    cast(rolled.rep_count as {{ dbt.type_bigint() }}) as rep_count,
    cast(rolled.challenge_rep_count as {{ dbt.type_bigint() }}) as challenge_rep_count,
    cast(rolled.baseline_rep_count as {{ dbt.type_bigint() }}) as baseline_rep_count,
    cast(rolled.coaching_alert_count as {{ dbt.type_bigint() }}) as coaching_alert_count,
    -- the three tracks and bookings, summed over the unit's reps (yuan)
    cast(rolled.committed_target_sum as {{ type_double() }}) as committed_target_sum,
    cast(rolled.challenge_target_sum as {{ type_double() }}) as challenge_target_sum,
    cast(rolled.baseline_sum as {{ type_double() }}) as baseline_sum,
    cast(rolled.bookings_sum as {{ type_double() }}) as bookings_sum,
    -- rates
    cast(
        (rolled.challenge_target_sum - rolled.challenged_committed_sum)
        / nullif(rolled.challenged_committed_sum, 0)
        as {{ type_double() }}
    ) as gap_ratio,
    cast(rolled.gap_alert_threshold as {{ type_double() }}) as gap_alert_threshold,
    cast(rolled.bookings_sum / nullif(rolled.committed_target_sum, 0) as {{ type_double() }})
        as committed_attainment
from rolled
left join org_units
    on org_units.unit_id = rolled.unit_id
where {{ mart_is_available('fct_dual_track_unit_month') }}
