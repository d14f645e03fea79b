-- Opportunities that exist as of as_of with their process regime: structured when the
-- owner's team works the structured process (its own or nearest ancestor's
-- structured_since) on or before the day the opportunity was created, as
-- simulator/truth.py splits its groups.
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

regimes as (

    select * from {{ ref('int_org_units_regime') }}

)

select
    -- ids
    opportunities.opportunity_id,
    opportunities.lead_id,
    opportunities.customer_id,
    opportunities.owner_rep_id,
    opportunities.team_id,
    -- regime
    case
        when regimes.structured_since <= cast(opportunities.created_at as date) then 'structured'
        else 'traditional'
    end as process_regime,
    -- timestamps
    opportunities.created_at,
    opportunities.as_of
from opportunities
left join regimes
    on regimes.unit_id = opportunities.team_id
