-- Deviation events 目标偏差事件 and whether each was calibrated in time (SPEC §5
-- "Calibration timeliness"): a rep-week whose latest forecast for the month deviates from
-- the committed target by more than the threshold, and the first target adjustment request
-- (same rep, same month) or deviation report (the rep's team, city or region) made within
-- the response window after the deviation came into view. Thresholds come from the seed
-- targets_calibration_thresholds.
with

rep_weeks as (

    select * from {{ ref('int_rep_weeks_forecast_deviation') }}

),

thresholds as (

    select
        max(case when parameter = 'deviation_event_threshold' then value end) as deviation_threshold,
        max(case when parameter = 'response_window_hours' then value end) as window_hours
    from {{ ref('targets_calibration_thresholds') }}

),

adjustments as (

    select * from {{ ref('stg_crm__target_adjustments') }}

),

reports as (

    select * from {{ ref('stg_crm__deviation_reports') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

events as (

    select
        rep_weeks.*,
        thresholds.deviation_threshold,
        rep_weeks.observed_at as event_at,
        {{ dbt.dateadd('second', 'cast(thresholds.window_hours * 3600 as ' ~ dbt.type_bigint() ~ ')', 'rep_weeks.observed_at') }}
            as response_deadline_at,
        cast({{ dbt.dateadd('day', 1, 'as_of.as_of') }} as timestamp) as known_until
    from rep_weeks
    cross join thresholds
    cross join as_of
    where rep_weeks.forecast_deviation_rate > thresholds.deviation_threshold

),

first_adjustment as (

    select
        events.rep_id,
        events.week_start,
        min(adjustments.requested_at) as responded_at
    from events
    inner join adjustments
        on adjustments.rep_id = events.rep_id
        and adjustments.period = events.period
        and adjustments.requested_at >= events.event_at
        and adjustments.requested_at <= events.response_deadline_at
        and adjustments.requested_at < events.known_until
    group by events.rep_id, events.week_start

),

first_report as (

    select
        events.rep_id,
        events.week_start,
        min(reports.submitted_at) as responded_at
    from events
    inner join closure
        on closure.descendant_id = events.team_id
    inner join org_units
        on org_units.unit_id = closure.ancestor_id
        and org_units.level <> 'hq'
    inner join reports
        on reports.unit_id = closure.ancestor_id
        and reports.submitted_at >= events.event_at
        and reports.submitted_at <= events.response_deadline_at
        and reports.submitted_at < events.known_until
    group by events.rep_id, events.week_start

),

responded as (

    select
        events.*,
        first_adjustment.responded_at as first_adjustment_request_at,
        first_report.responded_at as first_deviation_report_at,
        case
            when first_adjustment.responded_at is null then first_report.responded_at
            when first_report.responded_at is null then first_adjustment.responded_at
            when first_report.responded_at < first_adjustment.responded_at
                then first_report.responded_at
            else first_adjustment.responded_at
        end as first_response_at
    from events
    left join first_adjustment
        on first_adjustment.rep_id = events.rep_id
        and first_adjustment.week_start = events.week_start
    left join first_report
        on first_report.rep_id = events.rep_id
        and first_report.week_start = events.week_start

)

select
    -- keys
    responded.rep_id,
    responded.week_start,
    responded.team_id,
    responded.period,
    case
        when regime.structured_since <= responded.week_start then 'structured'
        else 'traditional'
    end as process_regime,
    -- amounts (yuan)
    responded.committed_target,
    responded.forecast_amount,
    responded.forecast_deviation_rate,
    responded.deviation_threshold,
    -- timestamps
    responded.forecast_submitted_at,
    responded.event_at,
    responded.response_deadline_at,
    responded.first_adjustment_request_at,
    responded.first_deviation_report_at,
    responded.first_response_at,
    case
        when responded.first_adjustment_request_at = responded.first_response_at
            then 'adjustment_request'
        when responded.first_deviation_report_at = responded.first_response_at
            then 'deviation_report'
    end as first_response_kind,
    -- outcome: null while the window is still open at the end of the as_of day
    responded.response_deadline_at < responded.known_until as is_window_closed,
    case
        when responded.first_response_at is not null then true
        when responded.response_deadline_at < responded.known_until then false
    end as is_calibrated_in_time
from responded
left join regime
    on regime.unit_id = responded.team_id
where {{ mart_is_available('fct_deviation_events') }}
