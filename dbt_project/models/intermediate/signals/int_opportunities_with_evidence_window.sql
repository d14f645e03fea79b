-- The end of each opportunity's evidence window as of as_of: its close (closed_at, or the
-- won / lost stage entry when closed_at is missing or later than as_of) for an opportunity
-- closed by as_of, the end of the as_of day for an open one. One row per opportunity
-- created on or before as_of.
with

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

)

select
    -- ids
    positions.opportunity_id,
    positions.team_id,
    -- attributes
    positions.status_as_of,
    -- timestamps
    case
        when positions.status_as_of = 'open' then null
        when cast(opportunities.closed_at as date) <= positions.as_of then opportunities.closed_at
        else positions.latest_entered_at
    end as closed_at_as_of,
    positions.as_of
from positions
inner join opportunities
    on opportunities.opportunity_id = positions.opportunity_id
