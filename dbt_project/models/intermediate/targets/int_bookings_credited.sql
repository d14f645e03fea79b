-- Bookings 签约业绩 (SPEC §5): each finance contract signed on or before as_of, credited to
-- its opportunity's owner rep and that rep's team, in the month of signed_at. Rolling up
-- through the org tree is one join of team_id to int_org_units_closure.descendant_id.
-- The owner is the owner of record when the deal was signed, from the CRM extracts known as
-- of as_of (snapshot/int_opportunity_values_spanned_by_day): the first extract dated on or
-- after the signing day (extracts are periodic: the one in force on the signing day may
-- predate a reassignment made before signing); else, no extract since, the owner as of
-- as_of (int_opportunities_joined_to_owner_team); else the latest extract's. So a deal
-- reassigned after it was recorded as signed (its rep left) stays booked to that rep, and
-- a past as_of is rebuilt with the owners known then, never today's.
with

contracts as (

    select * from {{ ref('stg_finance__contracts') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

owners_as_of as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

value_spans as (

    select * from {{ ref('int_opportunity_values_spanned_by_day') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

recorded_after_signing as (

    select
        contracts.contract_id,
        value_spans.owner_rep_id,
        row_number() over (
            partition by contracts.contract_id
            order by value_spans.extract_date
        ) as record_seq
    from contracts
    cross join as_of
    inner join value_spans
        on value_spans.opportunity_id = contracts.opportunity_id
        and value_spans.extract_date >= cast(contracts.signed_at as date)
        and value_spans.extract_date <= as_of.as_of

),

owners as (

    select
        contracts.contract_id,
        case
            when recorded_after_signing.contract_id is not null
                then recorded_after_signing.owner_rep_id
            when owners_as_of.opportunity_id is not null then owners_as_of.owner_rep_id
            else opportunities.owner_rep_id
        end as owner_rep_id
    from contracts
    left join recorded_after_signing
        on recorded_after_signing.contract_id = contracts.contract_id
        and recorded_after_signing.record_seq = 1
    left join owners_as_of
        on owners_as_of.opportunity_id = contracts.opportunity_id
    left join opportunities
        on opportunities.opportunity_id = contracts.opportunity_id

),

credited as (

    select
        -- ids
        contracts.contract_id,
        contracts.opportunity_id,
        owners.owner_rep_id as rep_id,
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
    left join owners
        on owners.contract_id = contracts.contract_id
    left join reps
        on reps.rep_id = owners.owner_rep_id
    where cast(contracts.signed_at as date) <= as_of.as_of

)

select * from credited
