-- Entries into quote 进入方案报价 known as of as_of. A history row for `quote` is an entry
-- unless the entry before it is already `quote` (a re-save, not a move); a re-entry after
-- a regression (negotiation → quote) is an entry of its own. Opportunities that skip
-- quote have no entry and are never counted.
-- The entry belongs to the rep who made it (stage-history changed_by, when that is a
-- person with role `rep`), else to the opportunity's owner; the team is that rep's team.
with

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

),

history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_classified_by_regime') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}
    where role = 'rep'

),

with_previous as (

    select
        opportunity_id,
        entry_seq,
        stage,
        entered_at,
        as_of,
        lag(stage) over (
            partition by opportunity_id
            order by entry_seq
        ) as previous_stage
    from entries

),

quote_entries as (

    select
        opportunity_id,
        entry_seq,
        previous_stage,
        entered_at,
        as_of,
        row_number() over (
            partition by opportunity_id
            order by entry_seq
        ) as quote_entry_number
    from with_previous
    where stage = 'quote'
        and (previous_stage is null or previous_stage <> 'quote')

),

changes as (

    -- (opportunity, stage, entered_at) is the history's primary key: one row per entry
    select
        opportunity_id,
        entered_at,
        max(changed_by) as changed_by
    from history
    where stage = 'quote'
    group by opportunity_id, entered_at

)

select
    -- ids
    quote_entries.opportunity_id,
    cast(quote_entries.quote_entry_number as {{ dbt.type_bigint() }}) as quote_entry_number,
    cast(quote_entries.entry_seq as {{ dbt.type_bigint() }}) as entry_seq,
    coalesce(entering_rep.rep_id, opportunities.owner_rep_id) as rep_id,
    opportunities.owner_rep_id,
    case
        when entering_rep.rep_id is not null then entering_rep.team_id
        else opportunities.team_id
    end as team_id,
    changes.changed_by,
    -- attributes
    quote_entries.previous_stage,
    opportunities.process_regime,
    -- timestamps
    quote_entries.entered_at,
    cast({{ dbt.date_trunc('week', 'quote_entries.entered_at') }} as date) as week_start,
    quote_entries.as_of
from quote_entries
inner join opportunities
    on opportunities.opportunity_id = quote_entries.opportunity_id
left join changes
    on changes.opportunity_id = quote_entries.opportunity_id
    and changes.entered_at = quote_entries.entered_at
left join reps as entering_rep
    on entering_rep.rep_id = changes.changed_by
