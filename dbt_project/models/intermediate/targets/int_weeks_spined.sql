-- ISO weeks (Monday start) from the first target month to as_of, each in the month that
-- holds its Thursday (the ISO 8601 rule), so a week straddling two months belongs to one.
-- `week_end_at` is the exclusive end of what is known in the week: the next Monday, or the
-- day after as_of for the week still running.
with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('week', 'min(targets.period_start)') }} as date) as first_week_start,
        min(as_of.as_of) as as_of
    from {{ ref('int_targets_placed') }} as targets
    cross join as_of

),

weeks as (

    select
        spine.week_start,
        bounds.as_of
    from bounds
    cross join (
        {{ week_spine('(select first_week_start from bounds)', '(select as_of from bounds)') }}
    ) as spine

),

labelled as (

    select
        week_start,
        cast({{ dbt.dateadd('day', 3, 'week_start') }} as date) as week_thursday,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as week_end_on,
        as_of
    from weeks

)

select
    -- weeks
    week_start,
    week_end_on,
    cast(
        case
            when week_end_on <= as_of then {{ dbt.dateadd('day', 7, 'week_start') }}
            else {{ dbt.dateadd('day', 1, 'as_of') }}
        end as timestamp
    ) as week_end_at,
    week_end_on <= as_of as is_complete,
    -- period
    cast(substr(cast(week_thursday as {{ dbt.type_string() }}), 1, 7) as {{ dbt.type_string() }})
        as period
from labelled
