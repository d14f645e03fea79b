-- Opportunities closed (won or lost) on or before as_of, with the close day, the amount, the
-- sales cycle and the process regime. One row per closed opportunity. The outcome and its
-- day come from the funnel position (the latest stage-history entry, or the extract's close
-- when the history lacks it); amount, owner and team are the opportunity's as of as_of. The regime is the owner team's on the day the
-- opportunity was created (SPEC: structured when structured_since ≤ created date).
with

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

regimes as (

    select * from {{ ref('int_org_units_regime') }}

),

closes as (

    select
        positions.opportunity_id,
        positions.owner_rep_id,
        positions.team_id,
        positions.status_as_of as outcome,
        positions.latest_entered_at as closed_at,
        cast(positions.latest_entered_at as date) as closed_on,
        positions.created_at,
        cast(positions.created_at as date) as created_on,
        -- empty = not known: sums leave it out and the marts count such deals
        cast(opportunities.amount as decimal(18, 2)) as amount,
        case
            when regimes.structured_since <= cast(positions.created_at as date) then 'structured'
            else 'traditional'
        end as process_regime
    from positions
    inner join opportunities
        on opportunities.opportunity_id = positions.opportunity_id
    left join regimes
        on regimes.unit_id = positions.team_id
    where positions.status_as_of in ('won', 'lost')

)

select
    -- ids
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    -- outcome
    cast(outcome as {{ dbt.type_string() }}) as outcome,
    cast(process_regime as {{ dbt.type_string() }}) as process_regime,
    -- amounts
    amount,
    -- dates
    created_at,
    created_on,
    closed_at,
    closed_on,
    cast({{ dbt.date_trunc('month', 'closed_on') }} as date) as close_month_start,
    -- sales cycle: whole calendar days from creation to close
    cast({{ dbt.datediff('created_on', 'closed_on', 'day') }} as {{ dbt.type_bigint() }}) as cycle_days
from closes
