-- Payments 回款 known to finance as of as_of, each with its finance→CRM sync lag. The as_of
-- instant is the end of the as_of day (as_of + 1 day, 00:00, exclusive): a payment counts
-- when recorded_in_finance_at is before it, and is synced as of as_of only when
-- synced_to_crm_at is before it too (a sync after as_of is not known yet). The lag of an
-- unsynced payment is its age at the as_of instant, so a payment that never arrives in
-- the CRM keeps growing its lag instead of dropping out of the figures.
with

payments as (

    select * from {{ ref('stg_finance__payments') }}

),

as_of as (

    select
        as_of,
        cast({{ dbt.dateadd('day', 1, 'as_of') }} as {{ dbt.type_timestamp() }}) as as_of_end_at
    from {{ ref('int_as_of_resolved') }}

),

settings as (

    select
        max(case when parameter = 'sync_lag_alert_hours' then value end) as sync_lag_alert_hours
    from {{ ref('finance_settings') }}

),

known as (

    select
        -- ids
        payments.payment_id,
        payments.contract_id,
        -- amounts
        cast(payments.amount as {{ type_double() }}) as amount,
        -- timestamps
        payments.received_at,
        payments.recorded_in_finance_at,
        case
            when payments.synced_to_crm_at < as_of.as_of_end_at then payments.synced_to_crm_at
        end as synced_to_crm_at,
        as_of.as_of_end_at,
        as_of.as_of
    from payments
    cross join as_of
    where payments.recorded_in_finance_at < as_of.as_of_end_at

),

measured as (

    select
        known.*,
        known.synced_to_crm_at is not null as is_synced,
        {{ dbt.datediff(
            'known.recorded_in_finance_at',
            'coalesce(known.synced_to_crm_at, known.as_of_end_at)',
            'second'
        ) }} / 3600 as sync_lag_hours,
        settings.sync_lag_alert_hours
    from known
    cross join settings

)

select
    -- ids
    payment_id,
    contract_id,
    -- amounts
    amount,
    -- timestamps
    received_at,
    recorded_in_finance_at,
    synced_to_crm_at,
    -- sync
    is_synced,
    cast(sync_lag_hours as {{ type_double() }}) as sync_lag_hours,
    cast(sync_lag_alert_hours as {{ type_double() }}) as sync_lag_alert_hours,
    -- strictly more than the threshold: exactly 24 h is on time, 24 h + 1 s is late
    sync_lag_hours > sync_lag_alert_hours as is_sync_alert,
    case
        when sync_lag_hours <= sync_lag_alert_hours then cast(null as {{ dbt.type_timestamp() }})
        else cast(
            {{ dbt.dateadd('second', 'cast(sync_lag_alert_hours * 3600 as integer)', 'recorded_in_finance_at') }}
            as {{ dbt.type_timestamp() }}
        )
    end as alert_raised_at,
    as_of_end_at,
    as_of
from measured
