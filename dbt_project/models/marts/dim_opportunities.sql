-- Opportunities as they stand as of as_of: owner, team, customer, where they are in the funnel.
with

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

customers as (

    select * from {{ ref('stg_crm__customers') }}

)

select
    -- ids
    positions.opportunity_id,
    positions.owner_rep_id,
    positions.team_id,
    opportunities.customer_id,
    -- attributes
    customers.name as customer_name,
    opportunities.product_line,
    positions.latest_stage,
    positions.status_as_of,
    -- amounts
    opportunities.amount,
    -- timestamps
    positions.created_at,
    positions.latest_entered_at,
    cast(positions.as_of as date) as as_of
from positions
inner join opportunities
    on opportunities.opportunity_id = positions.opportunity_id
left join customers
    on customers.customer_id = opportunities.customer_id
where {{ mart_is_available('dim_opportunities') }}
