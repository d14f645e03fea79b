-- How long each rep has left all open opportunities without a stage update, at the end of
-- each complete ISO week. An opportunity is open at the week's end when its stage entry in
-- force then is not won / lost, and the extract does not state a close before the week's
-- end (a deal closed while its history lacks the won / lost entry is not stale pipeline);
-- its last update is that entry's entered_at (the first entry is the opportunity's
-- creation). The rep is the opportunity's owner.
with

weeks as (

    select * from {{ ref('int_weeks_spined') }}
    where is_complete

),

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

open_at_week_end as (

    select
        opportunities.owner_rep_id as rep_id,
        weeks.week_start,
        entries.opportunity_id,
        entries.entered_at
    from weeks
    inner join entries
        on entries.entered_at < weeks.week_end_at
        and (entries.next_entered_at is null or entries.next_entered_at >= weeks.week_end_at)
    inner join opportunities
        on opportunities.opportunity_id = entries.opportunity_id
    where entries.stage not in ('won', 'lost')
        and not coalesce(
            opportunities.extract_status in ('won', 'lost')
            and opportunities.extract_closed_at < weeks.week_end_at,
            false
        )

),

per_rep_week as (

    select
        rep_id,
        week_start,
        count(*) as open_opportunity_count,
        max(entered_at) as last_stage_update_at
    from open_at_week_end
    group by rep_id, week_start

)

select
    -- ids
    rep_id,
    -- weeks
    week_start,
    -- pipeline
    cast(open_opportunity_count as {{ dbt.type_bigint() }}) as open_opportunity_count,
    last_stage_update_at,
    -- whole ISO weeks after the week of the last update, up to and including this one
    cast(
        {{ dbt.datediff(
            'cast(' ~ dbt.date_trunc('week', 'last_stage_update_at') ~ ' as date)',
            'week_start',
            'day'
        ) }} / 7 as {{ dbt.type_bigint() }}
    ) as weeks_without_stage_update
from per_rep_week
