-- The stage each opportunity is in, as calendar-day spans, from the stage history known as
-- of as_of (entries with entered_at on or before as_of, by calendar day). A day's stage is
-- the last entry on or before the end of that day, so an entry superseded on the day it
-- was made (two moves in one day) spans no day and is dropped. Entries made at the same
-- instant are ordered by funnel order, as in int_stage_history_sequenced.
-- One row per opportunity per kept history entry: [span_start_on, span_end_before), with
-- span_end_before empty for the latest entry (it lasts through as_of).
with

history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

known as (

    select
        history.opportunity_id,
        history.stage,
        {{ stage_order('history.stage') }} as stage_order,
        history.probability,
        history.entered_at
    from history
    cross join as_of
    where cast(history.entered_at as date) <= as_of.as_of

),

sequenced as (

    select
        opportunity_id,
        stage,
        probability,
        entered_at,
        row_number() over (
            partition by opportunity_id
            order by entered_at, coalesce(stage_order, 7)
        ) as entry_seq,
        lead(entered_at) over (
            partition by opportunity_id
            order by entered_at, coalesce(stage_order, 7)
        ) as next_entered_at
    from known

)

select
    -- ids
    opportunity_id,
    cast(entry_seq as {{ dbt.type_bigint() }}) as entry_seq,
    -- stage and the probability set when it was entered
    stage,
    probability as stage_probability,
    -- calendar-day span
    cast(entered_at as date) as span_start_on,
    cast(next_entered_at as date) as span_end_before
from sequenced
where next_entered_at is null
    or cast(next_entered_at as date) > cast(entered_at as date)
