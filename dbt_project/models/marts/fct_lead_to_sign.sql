with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

contracts as (

    select * from {{ ref('stg_finance__contracts') }}

),

first_signatures as (

    select
        opportunity_id,
        min(signed_at) as signed_at
    from contracts
    cross join as_of
    where cast(contracts.signed_at as date) <= as_of.as_of
    group by opportunity_id

),

won_and_signed as (

    select
        -- ids
        positions.opportunity_id,
        positions.lead_id,
        positions.owner_rep_id,
        positions.team_id,
        -- timestamps
        coalesce(leads.created_at, positions.created_at) as lead_created_at,
        first_signatures.signed_at,
        positions.as_of
    from positions
    inner join first_signatures
        on first_signatures.opportunity_id = positions.opportunity_id
    left join leads
        on leads.lead_id = positions.lead_id
    where positions.status_as_of = 'won'
        and {{ mart_is_available('fct_lead_to_sign') }}

)

select
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(lead_id as {{ dbt.type_string() }}) as lead_id,
    cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    cast(lead_created_at as {{ dbt.type_timestamp() }}) as lead_created_at,
    cast(signed_at as {{ dbt.type_timestamp() }}) as signed_at,
    cast(
        {{ dbt.datediff('cast(lead_created_at as date)', 'cast(signed_at as date)', 'day') }}
        as {{ dbt.type_bigint() }}
    ) as lead_to_sign_days,
    cast(as_of as date) as as_of
from won_and_signed
