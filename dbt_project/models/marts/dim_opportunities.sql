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

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

next_steps as (

    select
        activities.opportunity_id,
        max(activities.occurred_at) as next_step_locked_at
    from activities
    inner join positions
        on positions.opportunity_id = activities.opportunity_id
    where activities.node = 'next_step_locked'
        and cast(activities.occurred_at as date) <= positions.as_of
    group by activities.opportunity_id

)

select
    -- ids
    positions.opportunity_id,
    positions.owner_rep_id,
    positions.team_id,
    opportunities.customer_id,
    -- attributes
    customers.name as customer_name,
    customers.industry as customer_industry,
    opportunities.product_line,
    positions.latest_stage,
    positions.status_as_of,
    positions.status_source,
    -- amounts
    opportunities.amount,
    -- timestamps
    positions.created_at,
    positions.latest_entered_at,
    next_steps.next_step_locked_at,
    cast(positions.as_of as date) as as_of
from positions
inner join opportunities
    on opportunities.opportunity_id = positions.opportunity_id
left join customers
    on customers.customer_id = opportunities.customer_id
left join next_steps
    on next_steps.opportunity_id = positions.opportunity_id
where {{ mart_is_available('dim_opportunities') }}
