-- Finance contracts 合同 signed on or before as_of, beside the CRM opportunity they name:
-- its status as of as_of (from the stage history), its amount as of as_of (the extract in
-- force then), and the rep and team the contract is booked to (int_bookings_credited: the
-- owner of record when signed). A contract whose opportunity is missing from the CRM keeps
-- empty opportunity fields (a reconciliation finding, not a dropped row).
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

opportunities_as_of as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

bookings as (

    select * from {{ ref('int_bookings_credited') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

)

select
    -- ids
    contracts.contract_id,
    contracts.opportunity_id,
    opportunities.opportunity_id is not null as is_opportunity_in_crm,
    bookings.rep_id as owner_rep_id,
    bookings.team_id,
    -- status
    positions.status_as_of as opportunity_status_as_of,
    -- amounts
    cast(contracts.amount as {{ type_double() }}) as contract_amount,
    cast(
        case
            when opportunities_as_of.opportunity_id is null then opportunities.amount
            else opportunities_as_of.amount
        end as {{ type_double() }}
    ) as opportunity_amount,
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
left join opportunities_as_of
    on opportunities_as_of.opportunity_id = contracts.opportunity_id
left join bookings
    on bookings.contract_id = contracts.contract_id
where cast(contracts.signed_at as date) <= as_of.as_of
