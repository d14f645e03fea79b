-- 目标校准及时率 Calibration timeliness per org unit, per ISO week and per month: the share
-- of deviation events whose response window has closed (or that were answered) that were
-- followed in time by a target adjustment request or a deviation report. Events still
-- inside their window at as_of are counted apart (pending), not as late.
with

events as (

    select * from {{ ref('fct_deviation_events') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

by_grain as (

    select
        'week' as time_grain,
        week_start as period_start,
        team_id,
        is_calibrated_in_time
    from events

    union all

    select
        'month' as time_grain,
        cast({{ dbt.concat(["period", "'-01'"]) }} as date) as period_start,
        team_id,
        is_calibrated_in_time
    from events

),

rolled as (

    select
        closure.ancestor_id as unit_id,
        by_grain.time_grain,
        by_grain.period_start,
        count(*) as deviation_event_count,
        sum(case when by_grain.is_calibrated_in_time is null then 1 else 0 end) as pending_event_count,
        sum(case when by_grain.is_calibrated_in_time then 1 else 0 end) as calibrated_event_count,
        sum(case when by_grain.is_calibrated_in_time is not null then 1 else 0 end) as decided_event_count
    from by_grain
    inner join closure
        on closure.descendant_id = by_grain.team_id
    group by closure.ancestor_id, by_grain.time_grain, by_grain.period_start

)

select
    -- keys
    rolled.unit_id,
    cast(org_units.name as {{ dbt.type_string() }}) as unit_name,
    org_units.level as unit_level,
    cast(rolled.time_grain as {{ dbt.type_string() }}) as time_grain,
    rolled.period_start,
    -- counts
    cast(rolled.deviation_event_count as {{ dbt.type_bigint() }}) as deviation_event_count,
    cast(rolled.decided_event_count as {{ dbt.type_bigint() }}) as decided_event_count,
    cast(rolled.calibrated_event_count as {{ dbt.type_bigint() }}) as calibrated_event_count,
    cast(rolled.pending_event_count as {{ dbt.type_bigint() }}) as pending_event_count,
    -- rate
    cast(rolled.calibrated_event_count as {{ type_double() }})
        / nullif(rolled.decided_event_count, 0) as calibration_timeliness_rate
from rolled
left join org_units
    on org_units.unit_id = rolled.unit_id
where {{ mart_is_available('fct_calibration_timeliness') }}
