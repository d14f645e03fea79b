-- Finance→CRM sync alerts 回款同步超时告警: every payment whose CRM sync lag is more than the
-- threshold (finance_settings.sync_lag_alert_hours, default 24 h) as of as_of, synced late
-- or still not synced, with a message for the owner's manager.
with

payments as (

    select * from {{ ref('fct_finance_payments') }}

),

alerts as (

    select
        payments.*,
        case when payments.is_synced then 'synced_late' else 'not_synced' end as alert_kind,
        cast({{ decimal_round('payments.sync_lag_hours', 1) }} as {{ dbt.type_string() }}) as lag_text
    from payments
    where payments.is_sync_alert

),

final as (

    select
        -- ids
        payment_id,
        contract_id,
        opportunity_id,
        owner_rep_id,
        team_id,
        -- alert
        alert_kind,
        amount,
        sync_lag_hours,
        recorded_in_finance_at,
        synced_to_crm_at,
        alert_raised_at,
        case alert_kind
            when 'not_synced' then
                '回款 ' || payment_id || '（合同 ' || coalesce(contract_id, '?') || '）财务已入账 '
                || lag_text || ' 小时仍未同步到CRM'
            else
                '回款 ' || payment_id || '（合同 ' || coalesce(contract_id, '?') || '）同步到CRM用时 '
                || lag_text || ' 小时，超过阈值'
        end as alert_text_zh,
        case alert_kind
            when 'not_synced' then
                'Payment ' || payment_id || ' (contract ' || coalesce(contract_id, '?')
                || ') recorded in finance ' || lag_text || ' h ago, still not in the CRM'
            else
                'Payment ' || payment_id || ' (contract ' || coalesce(contract_id, '?')
                || ') took ' || lag_text || ' h to reach the CRM, over the threshold'
        end as alert_text_en,
        as_of
    from alerts
    where {{ mart_is_available('fct_finance_sync_alerts') }}

)

select
    cast(payment_id as {{ dbt.type_string() }}) as payment_id,
    cast(contract_id as {{ dbt.type_string() }}) as contract_id,
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    cast(alert_kind as {{ dbt.type_string() }}) as alert_kind,
    cast(amount as {{ type_double() }}) as amount,
    cast(sync_lag_hours as {{ type_double() }}) as sync_lag_hours,
    cast(recorded_in_finance_at as {{ dbt.type_timestamp() }}) as recorded_in_finance_at,
    cast(synced_to_crm_at as {{ dbt.type_timestamp() }}) as synced_to_crm_at,
    cast(alert_raised_at as {{ dbt.type_timestamp() }}) as alert_raised_at,
    cast(alert_text_zh as {{ dbt.type_string() }}) as alert_text_zh,
    cast(alert_text_en as {{ dbt.type_string() }}) as alert_text_en,
    cast(as_of as date) as as_of
from final
