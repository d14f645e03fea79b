-- Stage-history entries known as of as_of, in order per opportunity, each with the next
-- entry (which ends this visit to the stage) and the time spent in the stage. A visit
-- with no next entry on or before as_of is still running: censored, no time in stage.
with

history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

known as (

    select
        history.opportunity_id,
        history.stage,
        {{ stage_order('history.stage') }} as stage_order,
        history.entered_at,
        opportunities.as_of
    from history
    inner join opportunities
        on opportunities.opportunity_id = history.opportunity_id
    where cast(history.entered_at as date) <= opportunities.as_of

),

sequenced as (

    select
        opportunity_id,
        stage,
        stage_order,
        entered_at,
        as_of,
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
    -- stage
    stage,
    cast(stage_order as {{ dbt.type_bigint() }}) as stage_order,
    -- timestamps
    entered_at,
    next_entered_at,
    -- time in stage (days, fractional); null while the visit is censored
    next_entered_at is null as is_censored,
    {{ dbt.datediff('entered_at', 'next_entered_at', 'second') }} / 86400 as time_in_stage_days,
    as_of
from sequenced
