-- Bookings 签约业绩 (SPEC §5): each finance contract signed on or before as_of, credited to
-- its opportunity's owner rep and that rep's team, in the month of signed_at. Rolling up
-- through the org tree is one join of team_id to int_org_units_closure.descendant_id.
with

contracts as (

    select * from {{ ref('stg_finance__contracts') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

credited as (

    select
        -- ids
        contracts.contract_id,
        contracts.opportunity_id,
        opportunities.owner_rep_id as rep_id,
        reps.team_id,
        -- timestamps
        contracts.signed_at,
        cast(contracts.signed_at as date) as signed_on,
        -- periods
        cast(
            substr(
                cast(cast({{ dbt.date_trunc('month', 'contracts.signed_at') }} as date)
                    as {{ dbt.type_string() }}),
                1,
                7
            ) as {{ dbt.type_string() }}
        ) as period,
        -- amounts
        cast(contracts.amount as {{ type_double() }}) as amount
    from contracts
    cross join as_of
    left join opportunities
        on opportunities.opportunity_id = contracts.opportunity_id
    left join reps
        on reps.rep_id = opportunities.owner_rep_id
    where cast(contracts.signed_at as date) <= as_of.as_of

)

select * from credited
