-- Opportunities that exist as of as_of, with the owner rep's team: the team is where an
-- opportunity rolls up through the org tree.
-- Owner, amount and status are those of the CRM extract in force on as_of (the latest extract
-- on or before it; snapshot/int_opportunity_values_spanned_by_day), so a past as_of is
-- rebuilt with the owner and amount known that day, not today's.
-- An opportunity exists as of as_of from its creation day; when created_at is empty (a
-- prospecting deal the CRM never dated), from the day it was first seen
-- (int_opportunities_dated_by_first_sighting). One with no date at all is kept: counted,
-- never dropped.
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

value_spans as (

    select * from {{ ref('int_opportunity_values_spanned_by_day') }}

),

values_as_of as (

    select value_spans.*
    from value_spans
    cross join as_of
    where (value_spans.span_start_on is null or value_spans.span_start_on <= as_of.as_of)
        and (value_spans.span_end_before is null or as_of.as_of < value_spans.span_end_before)

),

first_sightings as (

    select * from {{ ref('int_opportunities_dated_by_first_sighting') }}

),

owned as (

    select
        opportunities.opportunity_id,
        opportunities.lead_id,
        opportunities.customer_id,
        coalesce(values_as_of.owner_rep_id, opportunities.owner_rep_id) as owner_rep_id,
        opportunities.product_line,
        case
            when values_as_of.opportunity_id is null then opportunities.amount
            else cast(values_as_of.amount as decimal(18,2))
        end as amount,
        opportunities.created_at,
        -- the outcome the extract in force on as_of states, and when it happened: closed_at,
        -- else the day of that extract (the stage history may lack the won / lost entry)
        case
            when values_as_of.opportunity_id is null then opportunities.status
            else values_as_of.status
        end as extract_status,
        case
            when values_as_of.opportunity_id is null then opportunities.closed_at
            else coalesce(values_as_of.closed_at, cast(values_as_of.extract_date as timestamp))
        end as extract_closed_at,
        first_sightings.first_seen_on
    from opportunities
    left join values_as_of
        on values_as_of.opportunity_id = opportunities.opportunity_id
    left join first_sightings
        on first_sightings.opportunity_id = opportunities.opportunity_id

),

joined as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.lead_id,
        opportunities.customer_id,
        opportunities.owner_rep_id,
        reps.team_id,
        -- attributes
        opportunities.product_line,
        opportunities.extract_status,
        -- amounts
        opportunities.amount,
        -- timestamps
        opportunities.created_at,
        opportunities.first_seen_on,
        case
            when opportunities.extract_status in ('won', 'lost') then opportunities.extract_closed_at
        end as extract_closed_at,
        as_of.as_of
    from owned as opportunities
    cross join as_of
    left join reps
        on reps.rep_id = opportunities.owner_rep_id

)

select * from joined
where first_seen_on <= as_of
    or first_seen_on is null
