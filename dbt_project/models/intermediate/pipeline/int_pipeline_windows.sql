-- The standard movement windows: every ISO week (Monday to Sunday) and every calendar month
-- that starts on or before as_of, from the first day the daily snapshot covers. Each window
-- is read between two days: start_date (A, the day before the window starts: the pipeline
-- at its opening) and end_date (B, the window's last day, or as_of for the window still
-- running). The close windows of the pipeline views are anchored on the calendar month
-- containing the window's first day (this month) and the month after it (next month).
with

days as (

    select * from {{ ref('int_snapshot_days_spined') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

window_starts as (

    select distinct
        'iso_week' as window_grain,
        cast({{ dbt.date_trunc('week', 'snapshot_date') }} as date) as window_start
    from days

    union all

    select distinct
        'month' as window_grain,
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as window_start
    from days

),

bounded as (

    select
        window_starts.window_grain,
        window_starts.window_start,
        case window_starts.window_grain
            when 'iso_week' then cast({{ dbt.dateadd('day', 6, 'window_starts.window_start') }} as date)
            else cast(
                {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'window_starts.window_start')) }}
                as date
            )
        end as window_end,
        cast({{ dbt.dateadd('day', -1, 'window_starts.window_start') }} as date) as start_date,
        cast({{ dbt.date_trunc('month', 'window_starts.window_start') }} as date) as this_month_start,
        as_of.as_of
    from window_starts
    cross join as_of
    where window_starts.window_start <= as_of.as_of

)

select
    -- grain
    cast(window_grain as {{ dbt.type_string() }}) as window_grain,
    window_start,
    window_end,
    -- the two days the window is read between (A, B)
    start_date,
    case when window_end > as_of then as_of else window_end end as end_date,
    window_end > as_of as is_partial,
    -- close windows of the pipeline views
    this_month_start,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'this_month_start')) }} as date) as this_month_end,
    cast({{ dbt.dateadd('month', 1, 'this_month_start') }} as date) as next_month_start,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 2, 'this_month_start')) }} as date) as next_month_end,
    as_of
from bounded
