-- Every opportunity's part in each pipeline waterfall: one row per movement window × pipeline
-- view × org unit × opportunity that was in the unit's pipeline at the window's opening or
-- joined it by the end (or by its close). Each row has exactly one way in (start / new /
-- pulled_in / owner_in) and one way out (end / won / lost / pushed_out / owner_out), so the
-- pieces of a waterfall add up by construction.
--
-- Three snapshot rows decide it (the snapshot is one row per day from creation through the
-- close day or as_of):
--   A: the row on the window's start_date (the day before it starts); none if created later.
--   E: the opportunity's last row on or before end_date (B): the row on B while still open,
--      else its close day within the window.
--   X: the row its exit is judged on: E while open; for a deal that closed in the window,
--      the last day it was open (the day before the close day), so a deal counts as won or
--      lost in a view only if it was in that view when it closed.
-- A row is *in the view* when its owner's team is the unit or under it and, for the close
-- views, its expected close date falls in the close window (an empty or non-date expected
-- close date is in no close window: such deals are only in the all_open view).
with

windows as (

    select * from {{ ref('int_pipeline_windows') }}

),

daily_snapshot as (

    select
        opportunity_id,
        snapshot_date,
        is_open,
        status,
        amount,
        team_id,
        expected_close_on
    from {{ ref('int_opportunity_daily_snapshot') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

views as (

    select cast('all_open' as {{ dbt.type_string() }}) as pipeline_view
    union all
    select cast('close_this_month' as {{ dbt.type_string() }}) as pipeline_view
    union all
    select cast('close_next_month' as {{ dbt.type_string() }}) as pipeline_view

),

lifetimes as (

    select
        opportunity_id,
        min(snapshot_date) as first_on,
        max(snapshot_date) as last_on
    from daily_snapshot
    group by opportunity_id

),

-- the days a row is read on below (A: a start_date; E: an end_date or the last day; X: E
-- or the day before it)
boundary_days as (

    select start_date as boundary_day from windows
    union
    select end_date as boundary_day from windows
    union
    select cast({{ dbt.dateadd('day', -1, 'end_date') }} as date) as boundary_day from windows

),

-- only those rows: at SF10 the daily snapshot has 18M rows, a few million of them are read
snapshot as (

    select daily_snapshot.*
    from daily_snapshot
    inner join lifetimes
        on lifetimes.opportunity_id = daily_snapshot.opportunity_id
    left join boundary_days
        on boundary_days.boundary_day = daily_snapshot.snapshot_date
    where boundary_days.boundary_day is not null
        or daily_snapshot.snapshot_date
        >= cast({{ dbt.dateadd('day', -1, 'lifetimes.last_on') }} as date)

),

-- windows the opportunity lives in after their opening day
opportunity_windows as (

    select
        windows.window_grain,
        windows.window_start,
        windows.start_date,
        windows.end_date,
        lifetimes.opportunity_id,
        case when lifetimes.last_on < windows.end_date then lifetimes.last_on else windows.end_date end as exit_on,
        lifetimes.first_on
    from windows
    inner join lifetimes
        on lifetimes.first_on <= windows.end_date
        and lifetimes.last_on > windows.start_date

),

with_exit as (

    select
        opportunity_windows.*,
        exit_row.is_open as is_open_at_end,
        exit_row.status as exit_status,
        exit_row.amount as exit_amount,
        exit_row.team_id as exit_team_id,
        exit_row.expected_close_on as exit_close_on,
        case
            when exit_row.is_open then opportunity_windows.exit_on
            when opportunity_windows.exit_on > opportunity_windows.first_on
                then cast({{ dbt.dateadd('day', -1, 'opportunity_windows.exit_on') }} as date)
            else opportunity_windows.exit_on
        end as judged_on
    from opportunity_windows
    inner join snapshot as exit_row
        on exit_row.opportunity_id = opportunity_windows.opportunity_id
        and exit_row.snapshot_date = opportunity_windows.exit_on

),

rows_read as (

    select
        with_exit.window_grain,
        with_exit.window_start,
        with_exit.opportunity_id,
        -- opening (A)
        start_row.opportunity_id is not null as existed_at_start,
        coalesce(start_row.is_open, false) as is_open_at_start,
        start_row.team_id as start_team_id,
        start_row.expected_close_on as start_close_on,
        cast(coalesce(start_row.amount, 0) as decimal(18, 2)) as start_amount,
        -- exit (E, judged on X)
        with_exit.is_open_at_end,
        with_exit.exit_status,
        cast(coalesce(with_exit.exit_amount, 0) as decimal(18, 2)) as exit_amount,
        coalesce(judged_row.team_id, with_exit.exit_team_id) as judged_team_id,
        case
            when judged_row.opportunity_id is not null then judged_row.expected_close_on
            else with_exit.exit_close_on
        end as judged_close_on
    from with_exit
    left join snapshot as judged_row
        on judged_row.opportunity_id = with_exit.opportunity_id
        and judged_row.snapshot_date = with_exit.judged_on
    left join snapshot as start_row
        on start_row.opportunity_id = with_exit.opportunity_id
        and start_row.snapshot_date = with_exit.start_date

),

-- the units whose pipeline the opportunity can touch: its team's ancestors at X, and its
-- team's ancestors at A (when open then) that are not also ancestors at X. Two disjoint parts
-- instead of a union with duplicates removed: no row of the window × opportunity × unit grain
-- is held in memory (at SF10 that grain has ~15M rows).
unit_rows as (

    select
        judged_closure.ancestor_id as unit_id,
        rows_read.*,
        start_closure.ancestor_id is not null as start_in_unit,
        true as judged_in_unit
    from rows_read
    inner join closure as judged_closure
        on judged_closure.descendant_id = rows_read.judged_team_id
    left join closure as start_closure
        on start_closure.ancestor_id = judged_closure.ancestor_id
        and start_closure.descendant_id = rows_read.start_team_id

    union all

    select
        start_closure.ancestor_id as unit_id,
        rows_read.*,
        true as start_in_unit,
        false as judged_in_unit
    from rows_read
    inner join closure as start_closure
        on start_closure.descendant_id = rows_read.start_team_id
    left join closure as judged_closure
        on judged_closure.ancestor_id = start_closure.ancestor_id
        and judged_closure.descendant_id = rows_read.judged_team_id
    where rows_read.is_open_at_start
        and judged_closure.ancestor_id is null

),

flagged as (

    select
        unit_rows.*,
        views.pipeline_view,
        case views.pipeline_view
            when 'close_this_month' then windows.this_month_start
            when 'close_next_month' then windows.next_month_start
        end as close_window_start,
        case views.pipeline_view
            when 'close_this_month' then windows.this_month_end
            when 'close_next_month' then windows.next_month_end
        end as close_window_end
    from unit_rows
    inner join windows
        on windows.window_grain = unit_rows.window_grain
        and windows.window_start = unit_rows.window_start
    cross join views

),

membership as (

    select
        flagged.*,
        flagged.is_open_at_start
            and flagged.start_in_unit
            and (
                flagged.pipeline_view = 'all_open'
                or coalesce(flagged.start_close_on between flagged.close_window_start and flagged.close_window_end, false)
            ) as in_at_start,
        flagged.judged_in_unit
            and (
                flagged.pipeline_view = 'all_open'
                or coalesce(flagged.judged_close_on between flagged.close_window_start and flagged.close_window_end, false)
            ) as in_at_exit
    from flagged

),

classified as (

    select
        membership.*,
        case
            when in_at_start then 'start'
            when not in_at_exit then null
            when not is_open_at_start then 'new'
            when not start_in_unit then 'owner_in'
            else 'pulled_in'
        end as entry_category,
        case
            when in_at_exit and is_open_at_end then 'end'
            when in_at_exit then exit_status
            when not judged_in_unit then 'owner_out'
            else 'pushed_out'
        end as exit_category
    from membership
    where in_at_start or in_at_exit

)

select
    -- grain
    cast(window_grain as {{ dbt.type_string() }}) as window_grain,
    window_start,
    cast(pipeline_view as {{ dbt.type_string() }}) as pipeline_view,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    -- the way in and the way out
    cast(entry_category as {{ dbt.type_string() }}) as entry_category,
    cast(exit_category as {{ dbt.type_string() }}) as exit_category,
    -- amounts: in at the opening amount when in at the start, else at the exit amount;
    -- out at the exit amount; the change between them is an amount change
    case when entry_category = 'start' then start_amount else exit_amount end as entry_amount,
    exit_amount,
    case when entry_category = 'start' then exit_amount - start_amount else cast(0 as decimal(18, 2)) end as amount_change
from classified
