-- Stage-history moves 阶段变动 and stays placed in the movement windows, per opportunity.
-- One row per window × opportunity × move (a stage-history entry made in the window, with
-- the stage it left; the first entry leaves `new`) or stay (open in the same stage at the
-- window's opening and end, with no entry in between). Windows: every ISO week and month
-- of int_pipeline_windows, plus `all` (every move through as_of; no opening day, so no
-- stays).
with

windows as (

    select * from {{ ref('int_pipeline_windows') }}

),

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

all_windows as (

    select
        window_grain,
        window_start,
        window_end,
        start_date,
        end_date
    from windows

    union all

    select
        'all' as window_grain,
        min(window_start) as window_start,
        max(as_of) as window_end,
        cast(null as date) as start_date,
        max(as_of) as end_date
    from windows
    where window_grain = 'month'
    having count(*) > 0

),

moves as (

    select
        entries.opportunity_id,
        cast(entries.entered_at as date) as moved_on,
        coalesce(previous.stage, 'new') as from_stage,
        case when previous.opportunity_id is null then 0 else previous.stage_order end as from_stage_order,
        entries.stage as to_stage,
        entries.stage_order as to_stage_order
    from entries
    left join entries as previous
        on previous.opportunity_id = entries.opportunity_id
        and previous.entry_seq = entries.entry_seq - 1

),

classified_moves as (

    select
        moves.*,
        case
            when from_stage = 'new' then 'created'
            when from_stage in ('won', 'lost') and to_stage not in ('won', 'lost') then 'reopened'
            when to_stage = 'won' then 'won'
            when to_stage = 'lost' then 'lost'
            when to_stage = from_stage then 'repeated'
            when to_stage_order > from_stage_order then 'advanced'
            else 'regressed'
        end as transition_kind
    from moves

),

placed as (

    select
        all_windows.window_grain,
        all_windows.window_start,
        classified_moves.opportunity_id,
        classified_moves.from_stage,
        classified_moves.from_stage_order,
        classified_moves.to_stage,
        classified_moves.to_stage_order,
        classified_moves.transition_kind
    from all_windows
    inner join classified_moves
        on (all_windows.start_date is null or classified_moves.moved_on > all_windows.start_date)
        and classified_moves.moved_on <= all_windows.end_date

    union all

    select
        all_windows.window_grain,
        all_windows.window_start,
        entries.opportunity_id,
        entries.stage as from_stage,
        entries.stage_order as from_stage_order,
        entries.stage as to_stage,
        entries.stage_order as to_stage_order,
        'stayed' as transition_kind
    from all_windows
    inner join entries
        on cast(entries.entered_at as date) <= all_windows.start_date
        and (
            entries.next_entered_at is null
            or cast(entries.next_entered_at as date) > all_windows.end_date
        )
    where entries.stage_order between 1 and 5

)

select
    -- grain
    cast(placed.window_grain as {{ dbt.type_string() }}) as window_grain,
    placed.window_start,
    cast(placed.opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    opportunities.team_id,
    -- move
    cast(placed.from_stage as {{ dbt.type_string() }}) as from_stage,
    cast(placed.from_stage_order as {{ dbt.type_bigint() }}) as from_stage_order,
    cast(placed.to_stage as {{ dbt.type_string() }}) as to_stage,
    cast(placed.to_stage_order as {{ dbt.type_bigint() }}) as to_stage_order,
    cast(placed.transition_kind as {{ dbt.type_string() }}) as transition_kind,
    -- amount (as of as_of)
    cast(coalesce(opportunities.amount, 0) as decimal(18, 2)) as amount
from placed
inner join opportunities
    on opportunities.opportunity_id = placed.opportunity_id
