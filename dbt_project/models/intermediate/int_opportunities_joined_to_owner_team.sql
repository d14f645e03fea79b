-- Opportunities that exist as of as_of (created on or before it), with the owner
-- rep's team: the team is where an opportunity rolls up through the org tree.
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
    from opportunities
    cross join as_of
    left join reps
        on reps.rep_id = opportunities.owner_rep_id

)

select * from joined
where cast(created_at as date) <= as_of
