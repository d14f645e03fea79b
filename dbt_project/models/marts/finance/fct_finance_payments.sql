-- Payments 回款 known to finance as of as_of, with the contract and opportunity they pay
-- for and their finance→CRM sync lag (hours) and alert flag.
with

payments as (

    select * from {{ ref('int_payments_measured_for_sync') }}

),

contracts as (

    select * from {{ ref('int_contracts_joined_to_opportunities') }}

),

final as (

    select
        -- ids
        payments.payment_id,
        payments.contract_id,
        contracts.opportunity_id,
        contracts.owner_rep_id,
        contracts.team_id,
        -- amounts
        payments.amount,
        -- timestamps
        payments.received_at,
        payments.recorded_in_finance_at,
        payments.synced_to_crm_at,
        -- sync
        payments.is_synced,
        payments.sync_lag_hours,
        payments.is_sync_alert,
        payments.alert_raised_at,
        payments.as_of
    from payments
    left join contracts
        on contracts.contract_id = payments.contract_id
    where {{ mart_is_available('fct_finance_payments') }}

)

select
    cast(payment_id as {{ dbt.type_string() }}) as payment_id,
    cast(contract_id as {{ dbt.type_string() }}) as contract_id,
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    cast(amount as {{ type_double() }}) as amount,
    cast(received_at as {{ dbt.type_timestamp() }}) as received_at,
    cast(recorded_in_finance_at as {{ dbt.type_timestamp() }}) as recorded_in_finance_at,
    cast(synced_to_crm_at as {{ dbt.type_timestamp() }}) as synced_to_crm_at,
    is_synced,
    cast(sync_lag_hours as {{ type_double() }}) as sync_lag_hours,
    is_sync_alert,
    cast(alert_raised_at as {{ dbt.type_timestamp() }}) as alert_raised_at,
    cast(as_of as date) as as_of
from final
