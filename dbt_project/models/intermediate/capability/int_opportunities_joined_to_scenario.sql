-- Opportunities as of as_of with what the SOP analytics match cards on: the customer's
-- industry, the furthest open stage reached, the outcome, and the process regime of the
-- owner's team when the opportunity was created (SPEC §5 Efficiency comparison).
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

regimes as (

    select * from {{ ref('int_org_units_regime') }}

)

select
    -- ids
    positions.opportunity_id,
    positions.owner_rep_id,
    positions.team_id,
    opportunities.customer_id,
    -- scenario
    customers.industry,
    positions.furthest_open_stage_order,
    -- outcome
    positions.status_as_of,
    case when positions.status_as_of = 'won' then 1 else 0 end as is_won,
    case when positions.status_as_of in ('won', 'lost') then 1 else 0 end as is_closed,
    -- regime
    case
        when regimes.structured_since is not null
            and regimes.structured_since <= cast(positions.created_at as date)
            then 'structured'
        else 'traditional'
    end as process_regime,
    -- dates
    positions.created_at,
    cast(positions.created_at as date) as created_on,
    case
        when positions.status_as_of in ('won', 'lost') then cast(positions.latest_entered_at as date)
        else positions.as_of
    end as active_until,
    positions.as_of
from positions
left join opportunities
    on opportunities.opportunity_id = positions.opportunity_id
left join customers
    on customers.customer_id = opportunities.customer_id
left join regimes
    on regimes.unit_id = positions.team_id
