-- The scoring days 评分日 of the forecasting models (SPEC §6): every lock day (forecast_lock_points:
-- day 1, 8, 15, 22 of the month) that the daily snapshot covers, and as_of itself. On a scoring
-- day the open pipeline is taken as it stood at the end of the day, as the reps' forecast at
-- the same lock point is (int_forecast_lock_points_scored). One row per day.
with

days as (

    select * from {{ ref('int_snapshot_days_spined') }}

),

lock_points as (

    select * from {{ ref('forecast_lock_points') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

lock_days as (

    select
        days.snapshot_date as scored_on,
        cast(lock_points.lock_day as {{ dbt.type_bigint() }}) as lock_day
    from days
    inner join lock_points
        on {{ dbt.datediff(dbt.date_trunc('month', 'days.snapshot_date'), 'days.snapshot_date', 'day') }} + 1
            = lock_points.lock_day

),

as_of_day as (

    select
        as_of.as_of as scored_on,
        cast(null as {{ dbt.type_bigint() }}) as lock_day
    from as_of
    where as_of.as_of not in (select scored_on from lock_days)

)

select
    scored_on,
    cast(substring(cast(scored_on as {{ dbt.type_string() }}), 1, 7) as {{ dbt.type_string() }}) as period,
    lock_day,
    scored_on = (select as_of from as_of) as is_as_of
from (
    select * from lock_days
    union all
    select * from as_of_day
) as scoring_days
