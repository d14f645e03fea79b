-- When each opportunity's life in the daily snapshot ends. One row per opportunity created
-- on or before as_of.
--   closed_on: for an opportunity whose latest stage entry (as of as_of) is won or lost, the
--     day it entered that final outcome (the first won/lost entry after its last open-stage
--     entry, so a lost deal that was reopened and lost again closes on the second loss);
--     empty while it is open.
--   last_snapshot_on: the earlier of closed_on and as_of (never before the creation day,
--     so every opportunity has at least its creation-day row).
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

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

)

select
    -- ids
    opportunities.opportunity_id,
    -- dates
    cast(opportunities.created_at as date) as created_on,
    final_outcome.closed_on,
    case
        when final_outcome.closed_on is null or final_outcome.closed_on >= opportunities.as_of
            then opportunities.as_of
        when final_outcome.closed_on < cast(opportunities.created_at as date)
            then cast(opportunities.created_at as date)
        else final_outcome.closed_on
    end as last_snapshot_on,
    opportunities.as_of
from opportunities
left join final_outcome
    on final_outcome.opportunity_id = opportunities.opportunity_id
