-- Finance contracts and payments reconciled to CRM opportunities as of as_of: every contract
-- signed on or before as_of, and every opportunity won as of as_of that has no such
-- contract; amounts side by side, what finance has been paid, what the CRM shows, and the
-- naive vs corrected risk reading of a signed-but-unpaid deal.
with

contracts as (

    select * from {{ ref('int_contracts_joined_to_opportunities') }}

),

contract_months as (

    select * from {{ ref('int_contract_months_assessed_for_payment') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

-- amounts as of as_of (the extract in force then), not today's
opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

settings as (

    select
        max(case when parameter = 'amount_tolerance_yuan' then value end) as amount_tolerance_yuan
    from {{ ref('finance_settings') }}

),

opportunity_totals as (

    select
        opportunity_id,
        sum(contract_amount) as opportunity_contract_total
    from contracts
    where opportunity_id is not null
    group by opportunity_id

),

-- the as_of month's row is the contract's state as of as_of
as_of_state as (

    select contract_months.*
    from contract_months
    cross join as_of
    where contract_months.month_start = cast({{ dbt.date_trunc('month', 'as_of.as_of') }} as date)

),

contract_rows as (

    select
        'contract:' || contracts.contract_id as reconciliation_key,
        contracts.contract_id,
        contracts.opportunity_id,
        contracts.owner_rep_id,
        contracts.team_id,
        case
            when not contracts.is_opportunity_in_crm then 'contract_without_opportunity'
            when contracts.opportunity_status_as_of = 'won' then 'matched'
            else 'contract_on_unwon_opportunity'
        end as reconciliation_status,
        contracts.opportunity_status_as_of,
        contracts.signed_on,
        contracts.contract_amount,
        contracts.opportunity_amount,
        opportunity_totals.opportunity_contract_total,
        as_of_state.finance_payment_count,
        as_of_state.finance_paid_amount,
        as_of_state.crm_payment_count,
        as_of_state.crm_paid_amount,
        as_of_state.payment_status,
        as_of_state.days_since_signed,
        as_of_state.is_naive_high_risk,
        as_of_state.is_misread_high_risk,
        as_of_state.corrected_risk_status
    from contracts
    left join opportunity_totals
        on opportunity_totals.opportunity_id = contracts.opportunity_id
    left join as_of_state
        on as_of_state.contract_id = contracts.contract_id

),

won_without_contract as (

    select
        'opportunity:' || positions.opportunity_id as reconciliation_key,
        cast(null as {{ dbt.type_string() }}) as contract_id,
        positions.opportunity_id,
        positions.owner_rep_id,
        positions.team_id,
        'won_without_contract' as reconciliation_status,
        positions.status_as_of as opportunity_status_as_of,
        cast(null as date) as signed_on,
        cast(null as {{ type_double() }}) as contract_amount,
        cast(opportunities.amount as {{ type_double() }}) as opportunity_amount,
        cast(null as {{ type_double() }}) as opportunity_contract_total,
        cast(null as {{ dbt.type_bigint() }}) as finance_payment_count,
        cast(null as {{ type_double() }}) as finance_paid_amount,
        cast(null as {{ dbt.type_bigint() }}) as crm_payment_count,
        cast(null as {{ type_double() }}) as crm_paid_amount,
        cast(null as {{ dbt.type_string() }}) as payment_status,
        cast(null as {{ dbt.type_bigint() }}) as days_since_signed,
        cast(null as boolean) as is_naive_high_risk,
        cast(null as boolean) as is_misread_high_risk,
        cast(null as {{ dbt.type_string() }}) as corrected_risk_status
    from positions
    inner join opportunities
        on opportunities.opportunity_id = positions.opportunity_id
    left join opportunity_totals
        on opportunity_totals.opportunity_id = positions.opportunity_id
    where positions.status_as_of = 'won'
        and opportunity_totals.opportunity_id is null

),

unioned as (

    select * from contract_rows
    union all
    select * from won_without_contract

),

final as (

    select
        unioned.*,
        unioned.opportunity_contract_total - unioned.opportunity_amount as amount_difference,
        case
            when unioned.opportunity_contract_total is null or unioned.opportunity_amount is null then null
            else abs(unioned.opportunity_contract_total - unioned.opportunity_amount)
                <= settings.amount_tolerance_yuan
        end as is_amount_matched,
        unioned.contract_amount - unioned.finance_paid_amount as unpaid_amount,
        unioned.finance_paid_amount - unioned.crm_paid_amount as paid_not_in_crm_amount,
        as_of.as_of
    from unioned
    cross join settings
    cross join as_of
    where {{ mart_is_available('fct_finance_contracts_reconciled') }}

)

select
    -- ids
    cast(reconciliation_key as {{ dbt.type_string() }}) as reconciliation_key,
    cast(contract_id as {{ dbt.type_string() }}) as contract_id,
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    -- reconciliation
    cast(reconciliation_status as {{ dbt.type_string() }}) as reconciliation_status,
    cast(opportunity_status_as_of as {{ dbt.type_string() }}) as opportunity_status_as_of,
    cast(signed_on as date) as signed_on,
    -- amounts
    cast(contract_amount as {{ type_double() }}) as contract_amount,
    cast(opportunity_amount as {{ type_double() }}) as opportunity_amount,
    cast(opportunity_contract_total as {{ type_double() }}) as opportunity_contract_total,
    cast(amount_difference as {{ type_double() }}) as amount_difference,
    is_amount_matched,
    -- payments: finance vs CRM
    cast(finance_payment_count as {{ dbt.type_bigint() }}) as finance_payment_count,
    cast(finance_paid_amount as {{ type_double() }}) as finance_paid_amount,
    cast(unpaid_amount as {{ type_double() }}) as unpaid_amount,
    cast(crm_payment_count as {{ dbt.type_bigint() }}) as crm_payment_count,
    cast(crm_paid_amount as {{ type_double() }}) as crm_paid_amount,
    cast(paid_not_in_crm_amount as {{ type_double() }}) as paid_not_in_crm_amount,
    cast(payment_status as {{ dbt.type_string() }}) as payment_status,
    -- risk: naive vs corrected
    cast(days_since_signed as {{ dbt.type_bigint() }}) as days_since_signed,
    is_naive_high_risk,
    is_misread_high_risk,
    cast(corrected_risk_status as {{ dbt.type_string() }}) as corrected_risk_status,
    cast(as_of as date) as as_of
from final
