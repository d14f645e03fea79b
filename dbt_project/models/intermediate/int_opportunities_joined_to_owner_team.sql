-- Opportunities that exist as of as_of (created on or before it), with the owner
-- rep's team: the team is where an opportunity rolls up through the org tree.
-- Owner and amount are those of the CRM extract in force on as_of (the latest extract on
-- or before it; snapshot/int_opportunity_values_spanned_by_day), so a past as_of is
-- rebuilt with the owner and amount known that day, not today's.
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

values_as_of as (

    select value_spans.*
    from {{ ref('int_opportunity_values_spanned_by_day') }} as value_spans
    cross join as_of
    where (value_spans.span_start_on is null or value_spans.span_start_on <= as_of.as_of)
        and (value_spans.span_end_before is null or as_of.as_of < value_spans.span_end_before)

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
        opportunities.created_at
    from opportunities
    left join values_as_of
        on values_as_of.opportunity_id = opportunities.opportunity_id

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
        -- amounts
        opportunities.amount,
        -- timestamps
        opportunities.created_at,
        as_of.as_of
    from owned as opportunities
    cross join as_of
    left join reps
        on reps.rep_id = opportunities.owner_rep_id

)

select * from joined
where cast(created_at as date) <= as_of
