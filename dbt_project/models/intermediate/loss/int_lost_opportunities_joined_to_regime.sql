-- Opportunities lost as of as_of (latest stage-history entry on or before as_of is
-- `lost`), with the stated reason, the owner's team, the month lost and the team's
-- process regime when the opportunity was created. One row per lost opportunity.
with

windows as (

    select * from {{ ref('int_opportunities_with_evidence_window') }}
    where status_as_of = 'lost'

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

stated as (

    select
        opportunity_id,
        loss_reason_code,
        loss_reason_text
    from {{ ref('stg_crm__opportunities') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

)

select
    -- ids
    opportunities.opportunity_id,
    opportunities.owner_rep_id,
    opportunities.team_id,
    -- stated reason
    stated.loss_reason_code as stated_reason_code,
    stated.loss_reason_text as stated_reason_text,
    -- regime: structured when the team worked the structured process on the day the
    -- opportunity was created (simulator/truth.py splits groups the same way)
    case
        when regime.structured_since is not null
            and regime.structured_since <= cast(opportunities.created_at as date)
            then 'structured'
        else 'traditional'
    end as process_regime,
    -- dates and timestamps
    opportunities.created_at,
    windows.closed_at_as_of as lost_at,
    cast({{ dbt.date_trunc('month', 'windows.closed_at_as_of') }} as date) as lost_month,
    windows.as_of
from windows
inner join opportunities
    on opportunities.opportunity_id = windows.opportunity_id
left join stated
    on stated.opportunity_id = windows.opportunity_id
left join regime
    on regime.unit_id = opportunities.team_id
