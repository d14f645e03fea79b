-- Each entry into quote checked against each MOT fact (seed process_mot_facts): when the
-- fact was first recorded (as of as_of) and whether that was strictly before the entry.
--   on_time: first recorded strictly before the entry (recorded_at < entered_at);
--   late:    first recorded at or after the entry, on or before as_of (one second after
--            the entry is late; so is the very same second);
--   missing: not recorded on or before as_of.
-- A fact recorded late for a first entry counts on time for a later re-entry it precedes.
with

entries as (

    select * from {{ ref('int_mot_quote_entries') }}

),

facts as (

    select * from {{ ref('process_mot_facts') }}

),

events as (

    select * from {{ ref('stg_crm__qualification_events') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

first_recorded as (

    select
        events.opportunity_id,
        events.kind as fact,
        min(events.recorded_at) as first_recorded_at
    from events
    cross join as_of
    where cast(events.recorded_at as date) <= as_of.as_of
    group by events.opportunity_id, events.kind

)

select
    -- ids
    entries.opportunity_id,
    entries.quote_entry_number,
    -- fact
    facts.fact,
    cast(facts.fact_order as {{ dbt.type_bigint() }}) as fact_order,
    facts.label_zh as fact_label_zh,
    facts.label_en as fact_label_en,
    case
        when first_recorded.first_recorded_at is null then 'missing'
        when first_recorded.first_recorded_at < entries.entered_at then 'on_time'
        else 'late'
    end as fact_status,
    -- timestamps
    entries.entered_at,
    first_recorded.first_recorded_at
from entries
cross join facts
left join first_recorded
    on first_recorded.opportunity_id = entries.opportunity_id
    and first_recorded.fact = facts.fact
