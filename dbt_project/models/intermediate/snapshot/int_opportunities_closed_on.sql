-- When each opportunity's life in the daily snapshot ends. One row per opportunity that
-- exists as of as_of.
--   created_on: the creation day, else the day it was first seen (created_at empty).
--   closed_on / closed_status: for an opportunity closed as of as_of
--     (int_opportunities_aggregated_to_funnel_position), the day it entered that final
--     outcome: from the stage history, the first won/lost entry after its last open-stage
--     entry (so a lost deal that was reopened and lost again closes on the second loss);
--     from the extract when the history lacks the final entry, its close day. Empty while
--     it is open.
--   last_snapshot_on: the earlier of closed_on and as_of (never before the creation day,
--     so every opportunity has at least its creation-day row).
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

last_open_entry as (

    select
        opportunity_id,
        max(entry_seq) as last_open_seq
    from entries
    where stage not in ('won', 'lost')
    group by opportunity_id

),

latest_entry as (

    select
        opportunity_id,
        stage as latest_stage
    from entries
    where next_entered_at is null

),

final_outcome as (

    select
        entries.opportunity_id,
        min(cast(entries.entered_at as date)) as closed_on
    from entries
    inner join latest_entry
        on latest_entry.opportunity_id = entries.opportunity_id
    left join last_open_entry
        on last_open_entry.opportunity_id = entries.opportunity_id
    where latest_entry.latest_stage in ('won', 'lost')
        and entries.entry_seq > coalesce(last_open_entry.last_open_seq, 0)
    group by entries.opportunity_id

),

closes as (

    select
        positions.opportunity_id,
        positions.status_as_of as closed_status,
        case
            when positions.status_source = 'extract' then cast(positions.latest_entered_at as date)
            else final_outcome.closed_on
        end as closed_on
    from positions
    left join final_outcome
        on final_outcome.opportunity_id = positions.opportunity_id
    where positions.status_as_of in ('won', 'lost')

),

lifetimes as (

    select
        opportunities.opportunity_id,
        coalesce(cast(opportunities.created_at as date), opportunities.first_seen_on, opportunities.as_of)
            as created_on,
        closes.closed_on,
        closes.closed_status,
        opportunities.as_of
    from opportunities
    left join closes
        on closes.opportunity_id = opportunities.opportunity_id

)

select
    -- ids
    opportunity_id,
    -- outcome
    closed_status,
    -- dates
    created_on,
    closed_on,
    case
        when closed_on is null or closed_on >= as_of then as_of
        when closed_on < created_on then created_on
        else closed_on
    end as last_snapshot_on,
    as_of
from lifetimes
