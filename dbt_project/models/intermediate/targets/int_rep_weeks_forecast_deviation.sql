-- Each rep-week's forecast-to-target deviation: for the month the week belongs to (its
-- Thursday's), the rep's latest forecast submitted before the week's end (or before the
-- end of the as_of day) against the rep's committed target. `observed_at` is when the
-- deviation is in view during the week: the forecast's submission if made in the week,
-- else the week's start (a deviation carried into the week is in view from Monday).
with

weeks as (

    select * from {{ ref('int_weeks_spined') }}

),

rep_targets as (

    select * from {{ ref('int_targets_placed') }}
    where target_level = 'rep'

),

forecasts as (

    select * from {{ ref('stg_crm__forecast_submissions') }}

),

rep_weeks as (

    select
        rep_targets.rep_id,
        rep_targets.anchor_unit_id as team_id,
        rep_targets.amount as committed_target,
        weeks.week_start,
        weeks.week_end_at,
        weeks.is_complete,
        weeks.period
    from rep_targets
    inner join weeks
        on weeks.period = rep_targets.period

),

latest_forecast as (

    select
        rep_weeks.rep_id,
        rep_weeks.week_start,
        forecasts.amount,
        forecasts.submitted_at,
        row_number() over (
            partition by rep_weeks.rep_id, rep_weeks.week_start
            order by forecasts.submitted_at desc
        ) as recency
    from rep_weeks
    inner join forecasts
        on forecasts.rep_id = rep_weeks.rep_id
        and forecasts.period = rep_weeks.period
        and forecasts.submitted_at < rep_weeks.week_end_at

)

select
    -- ids
    rep_weeks.rep_id,
    rep_weeks.team_id,
    -- weeks
    rep_weeks.week_start,
    rep_weeks.week_end_at,
    rep_weeks.is_complete,
    rep_weeks.period,
    -- amounts
    rep_weeks.committed_target,
    cast(latest_forecast.amount as {{ type_double() }}) as forecast_amount,
    abs(cast(latest_forecast.amount as {{ type_double() }}) - rep_weeks.committed_target)
        / nullif(rep_weeks.committed_target, 0) as forecast_deviation_rate,
    -- timestamps
    latest_forecast.submitted_at as forecast_submitted_at,
    greatest(latest_forecast.submitted_at, cast(rep_weeks.week_start as timestamp)) as observed_at
from rep_weeks
inner join latest_forecast
    on latest_forecast.rep_id = rep_weeks.rep_id
    and latest_forecast.week_start = rep_weeks.week_start
    and latest_forecast.recency = 1
