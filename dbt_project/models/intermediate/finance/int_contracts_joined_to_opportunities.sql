-- Finance contracts 合同 signed on or before as_of, beside the CRM opportunity they name:
-- its status as of as_of (from the stage history), amount, owner and team. A contract whose
-- opportunity is missing from the CRM keeps empty opportunity fields (a reconciliation
-- finding, not a dropped row).
with

contracts as (

    select * from {{ ref('stg_finance__contracts') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

)

select
    -- ids
    contracts.contract_id,
    contracts.opportunity_id,
    opportunities.opportunity_id is not null as is_opportunity_in_crm,
    opportunities.owner_rep_id,
    reps.team_id,
    -- status
    positions.status_as_of as opportunity_status_as_of,
    -- amounts
    cast(contracts.amount as {{ type_double() }}) as contract_amount,
    cast(opportunities.amount as {{ type_double() }}) as opportunity_amount,
    -- timestamps
    contracts.signed_at,
    cast(contracts.signed_at as date) as signed_on,
    as_of.as_of
from contracts
cross join as_of
left join opportunities
    on opportunities.opportunity_id = contracts.opportunity_id
left join positions
    on positions.opportunity_id = contracts.opportunity_id
left join reps
    on reps.rep_id = opportunities.owner_rep_id
where cast(contracts.signed_at as date) <= as_of.as_of
