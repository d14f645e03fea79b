-- Dual track 双轨 per rep and month (SPEC §5, §6): committed target vs challenge target vs
-- dynamic baseline, the gap ratio and the coaching alert for the rep's manager.
with

attainment as (

    select * from {{ ref('fct_attainment_rep_month') }}

),

baselines as (

    select * from {{ ref('stg_ml__baselines') }}

),

challenges as (

    select * from {{ ref('stg_ml__challenge_targets') }}

),

org_units as (

    select * from {{ ref('dim_org_units') }}

),

thresholds as (

    select value as gap_alert_threshold
    from {{ ref('targets_calibration_thresholds') }}
    where parameter = 'dual_track_gap_alert_threshold'

),

joined as (

    select
        attainment.rep_id,
        attainment.period,
        attainment.period_start as month_start,
        attainment.team_id,
        teams.parent_id as manager_unit_id,
        attainment.is_period_complete,
        attainment.committed_target,
        challenges.challenge_target,
        baselines.baseline,
        baselines.intercept as baseline_intercept,
        baselines.floor_adjustment as baseline_floor_adjustment,
        attainment.bookings,
        challenges.stage_potential,
        challenges.profile_potential,
        challenges.lead_potential,
        challenges.stretch_potential,
        challenges.binding_floor,
        baselines.model_version,
        cast(
            (challenges.challenge_target - attainment.committed_target)
            / nullif(attainment.committed_target, 0)
            as {{ type_double() }}
        ) as gap_ratio
    from attainment
    left join baselines
        on baselines.rep_id = attainment.rep_id
        and baselines.month_start = attainment.period_start
    left join challenges
        on challenges.rep_id = attainment.rep_id
        and challenges.month_start = attainment.period_start
    left join org_units as teams
        on teams.unit_id = attainment.team_id
    where attainment.committed_target is not null

)

select
    -- grain
    joined.rep_id,
    joined.month_start,
    joined.period,
    -- the rep's team and the unit whose manager gets the alert
    joined.team_id,
    joined.manager_unit_id,
    joined.is_period_complete,
    -- the three tracks (yuan)
    joined.committed_target,
    joined.challenge_target,
    joined.baseline,
    joined.bookings,
    -- the baseline's parts beside its drivers (fct_dynamic_baseline_contributions)
    joined.baseline_intercept,
    joined.baseline_floor_adjustment,
    -- the challenge target's potentials (yuan) and what set it
    joined.stage_potential,
    joined.profile_potential,
    joined.lead_potential,
    joined.stretch_potential,
    joined.binding_floor,
    -- dual track
    joined.gap_ratio,
    thresholds.gap_alert_threshold,
    coalesce(joined.gap_ratio > thresholds.gap_alert_threshold, false) as coaching_alert,
    -- model
    joined.model_version
from joined
cross join thresholds
where {{ mart_is_available('fct_dual_track_rep_month') }}
