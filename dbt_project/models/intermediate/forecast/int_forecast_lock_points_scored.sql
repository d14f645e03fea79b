-- Each rep's forecast 预测 at every lock point of a period, against the bookings of that
-- period (SPEC §5 Forecasting). The forecast at lock day d is the rep's latest submission
-- for the period made before the end of day d of the period's month (a lock day after
-- as_of is not reached yet). Bookings A = the rep's credited contract amounts signed in
-- the period (int_bookings_credited). bias = (F − A) ÷ A, only where A > 0 (no bookings:
-- no ratio; macros/forecast_accuracy.sql). A rep is *new* for a period when hired less than
-- `new_rep_tenure_months` months before the period's first day (forecast_tenure_cohort).
-- Beside the reps with a forecast stand, at the same lock points, the reps who booked in the
-- period without one (has_forecast false): their bookings are part of what a unit's forecast
-- had to predict (fct_forecast_accuracy); having no forecast, they have no bias.
with

submissions as (

    select * from {{ ref('stg_crm__forecast_submissions') }}

),

bookings as (

    select * from {{ ref('int_bookings_credited') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

lock_points as (

    select * from {{ ref('forecast_lock_points') }}

),

as_of as (

    select
        as_of,
        cast({{ dbt.dateadd('day', 1, 'as_of') }} as {{ dbt.type_timestamp() }}) as as_of_end_at
    from {{ ref('int_as_of_resolved') }}

),

settings as (

    select
        cast(max(case when parameter = 'new_rep_tenure_months' then value end) as integer)
            as new_rep_tenure_months
    from {{ ref('forecast_settings') }}

),

known_submissions as (

    select
        submissions.rep_id,
        submissions.period,
        cast(submissions.amount as {{ type_double() }}) as amount,
        submissions.submitted_at
    from submissions
    cross join as_of
    where submissions.submitted_at < as_of.as_of_end_at

),

rep_periods as (

    select distinct
        rep_id,
        period,
        cast(period || '-01' as date) as period_start
    from known_submissions

),

locks as (

    select
        rep_periods.rep_id,
        rep_periods.period,
        rep_periods.period_start,
        lock_points.lock_day,
        cast({{ dbt.dateadd('day', 'lock_points.lock_day', 'rep_periods.period_start') }} as {{ dbt.type_timestamp() }})
            as lock_end_at
    from rep_periods
    cross join lock_points
    cross join as_of
    where cast({{ dbt.dateadd('day', 'lock_points.lock_day', 'rep_periods.period_start') }} as {{ dbt.type_timestamp() }})
        <= as_of.as_of_end_at

),

latest_at_lock as (

    select
        locks.rep_id,
        locks.period,
        locks.period_start,
        locks.lock_day,
        known_submissions.amount,
        known_submissions.submitted_at,
        row_number() over (
            partition by locks.rep_id, locks.period, locks.lock_day
            order by known_submissions.submitted_at desc
        ) as recency
    from locks
    inner join known_submissions
        on known_submissions.rep_id = locks.rep_id
        and known_submissions.period = locks.period
        and known_submissions.submitted_at < locks.lock_end_at

),

forecasts as (

    select * from latest_at_lock where recency = 1

),

-- the lock points of a period at which some rep had a forecast
period_locks as (

    select distinct
        period,
        period_start,
        lock_day
    from forecasts

),

booked as (

    select
        rep_id,
        period,
        sum(amount) as booked_amount
    from bookings
    where rep_id is not null
    group by rep_id, period

),

members as (

    select rep_id, period from forecasts
    union
    select booked.rep_id, booked.period
    from booked
    where exists (
        select 1
        from period_locks
        where period_locks.period = booked.period
    )

),

scored as (

    select
        members.rep_id,
        reps.team_id,
        period_locks.period,
        period_locks.period_start,
        period_locks.lock_day,
        forecasts.rep_id is not null as has_forecast,
        forecasts.submitted_at,
        forecasts.amount as forecast_amount,
        coalesce(booked.booked_amount, 0) as booked_amount,
        {{ forecast_tenure_cohort(
            'reps.hire_date', 'period_locks.period_start', 'settings.new_rep_tenure_months'
        ) }} as tenure_cohort,
        cast({{ dbt.dateadd('month', 1, 'period_locks.period_start') }} as date) <= {{ dbt.dateadd('day', 1, 'as_of.as_of') }}
            as is_period_complete,
        as_of.as_of
    from members
    inner join period_locks
        on period_locks.period = members.period
    cross join settings
    cross join as_of
    left join reps
        on reps.rep_id = members.rep_id
    left join forecasts
        on forecasts.rep_id = members.rep_id
        and forecasts.period = period_locks.period
        and forecasts.lock_day = period_locks.lock_day
    left join booked
        on booked.rep_id = members.rep_id
        and booked.period = period_locks.period

)

select
    -- ids
    rep_id,
    team_id,
    period,
    cast(period_start as date) as period_start,
    cast(lock_day as {{ dbt.type_bigint() }}) as lock_day,
    -- cohort
    cast(tenure_cohort as {{ dbt.type_string() }}) as tenure_cohort,
    is_period_complete,
    has_forecast,
    -- amounts
    cast(forecast_amount as {{ type_double() }}) as forecast_amount,
    cast(booked_amount as {{ type_double() }}) as booked_amount,
    cast({{ forecast_abs_error('forecast_amount', 'booked_amount') }} as {{ type_double() }}) as abs_error,
    cast({{ forecast_bias('forecast_amount', 'booked_amount') }} as {{ type_double() }}) as forecast_bias,
    -- timestamps
    submitted_at,
    as_of
from scored
