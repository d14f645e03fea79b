-- What finance and the CRM each knew about a contract's payments at the end of every month
-- from its signing month to the as_of month (the as_of month ends at the end of the as_of
-- day), and what the naive risk rule made of it.
--   naive rule 朴素规则: signed more than `naive_unpaid_days` days before the cutoff day and no
--     payment visible in the CRM (synced_to_crm_at before the cutoff) → high-risk.
--   corrected: what finance had in fact recorded by then. A naive flag on a contract that
--     finance had already been paid for is a misread (paid_not_synced).
-- One row per contract per month; the as_of month's row is the contract's state as of as_of.
with

contracts as (

    select * from {{ ref('int_contracts_joined_to_opportunities') }}

),

payments as (

    select * from {{ ref('int_payments_measured_for_sync') }}

),

as_of as (

    select
        as_of,
        cast({{ dbt.dateadd('day', 1, 'as_of') }} as {{ dbt.type_timestamp() }}) as as_of_end_at
    from {{ ref('int_as_of_resolved') }}

),

settings as (

    select
        max(case when parameter = 'naive_unpaid_days' then value end) as naive_unpaid_days,
        max(case when parameter = 'amount_tolerance_yuan' then value end) as amount_tolerance_yuan
    from {{ ref('finance_settings') }}

),

month_offsets as (

    select whole_number as month_offset from ({{ whole_numbers(10) }}) as numbers

),

-- the months from the signing month to the as_of month, once per contract: the join to the
-- month offsets below compares two integers. Spark runs a non-equi join as a nested loop; with
-- the month difference computed in it for every contract and offset this model took 61.6 s
-- at SF1 and 478 s at SF10 on Spark, this way 3.4 s and 15.3 s, the same rows
-- (benchmarks/results/2026-12-05-3ffd9fa4e2-engines.md, then 7ff2b3029b).
contracts_to_as_of as (

    select
        contracts.contract_id,
        {{ dbt.date_trunc('month', 'contracts.signed_on') }} as signed_month,
        {{ dbt.datediff(
            dbt.date_trunc('month', 'contracts.signed_on'),
            dbt.date_trunc('month', 'as_of.as_of'),
            'month'
        ) }} as months_to_as_of,
        as_of.as_of,
        as_of.as_of_end_at
    from contracts
    cross join as_of

),

contract_months as (

    select
        contracts_to_as_of.contract_id,
        cast(
            {{ dbt.dateadd('month', 'month_offsets.month_offset', 'contracts_to_as_of.signed_month') }}
            as date
        ) as month_start,
        contracts_to_as_of.as_of,
        contracts_to_as_of.as_of_end_at
    from contracts_to_as_of
    inner join month_offsets
        on month_offsets.month_offset <= contracts_to_as_of.months_to_as_of

),

cutoffs as (

    select
        contract_id,
        month_start,
        case
            when cast({{ dbt.dateadd('month', 1, 'month_start') }} as {{ dbt.type_timestamp() }}) < as_of_end_at
                then cast({{ dbt.dateadd('month', 1, 'month_start') }} as {{ dbt.type_timestamp() }})
            else as_of_end_at
        end as cutoff_at,
        as_of
    from contract_months

),

known as (

    select
        cutoffs.contract_id,
        cutoffs.month_start,
        cutoffs.cutoff_at,
        count(case when payments.recorded_in_finance_at < cutoffs.cutoff_at then 1 end)
            as finance_payment_count,
        coalesce(sum(case when payments.recorded_in_finance_at < cutoffs.cutoff_at then payments.amount end), 0)
            as finance_paid_amount,
        count(case when payments.synced_to_crm_at < cutoffs.cutoff_at then 1 end)
            as crm_payment_count,
        coalesce(sum(case when payments.synced_to_crm_at < cutoffs.cutoff_at then payments.amount end), 0)
            as crm_paid_amount
    from cutoffs
    left join payments
        on payments.contract_id = cutoffs.contract_id
    group by cutoffs.contract_id, cutoffs.month_start, cutoffs.cutoff_at

),

assessed as (

    select
        known.contract_id,
        contracts.opportunity_id,
        contracts.owner_rep_id,
        contracts.team_id,
        known.month_start,
        cast({{ dbt.dateadd('day', -1, 'known.cutoff_at') }} as date) as cutoff_on,
        contracts.signed_on,
        contracts.contract_amount,
        known.finance_payment_count,
        known.finance_paid_amount,
        known.crm_payment_count,
        known.crm_paid_amount,
        settings.naive_unpaid_days,
        settings.amount_tolerance_yuan
    from known
    inner join contracts
        on contracts.contract_id = known.contract_id
    cross join settings

),

flagged as (

    select
        assessed.*,
        {{ dbt.datediff('signed_on', 'cutoff_on', 'day') }} as days_since_signed,
        {{ dbt.datediff('signed_on', 'cutoff_on', 'day') }} > naive_unpaid_days
            and crm_payment_count = 0 as is_naive_high_risk
    from assessed

)

select
    -- ids
    contract_id,
    opportunity_id,
    owner_rep_id,
    team_id,
    -- month and cutoff
    month_start,
    cutoff_on,
    signed_on,
    cast(days_since_signed as {{ dbt.type_bigint() }}) as days_since_signed,
    -- amounts
    contract_amount,
    cast(finance_payment_count as {{ dbt.type_bigint() }}) as finance_payment_count,
    cast(finance_paid_amount as {{ type_double() }}) as finance_paid_amount,
    cast(crm_payment_count as {{ dbt.type_bigint() }}) as crm_payment_count,
    cast(crm_paid_amount as {{ type_double() }}) as crm_paid_amount,
    case
        when finance_payment_count = 0 then 'unpaid'
        when finance_paid_amount > contract_amount + amount_tolerance_yuan then 'overpaid'
        when finance_paid_amount >= contract_amount - amount_tolerance_yuan then 'fully_paid'
        else 'partially_paid'
    end as payment_status,
    -- risk: the naive reading and the corrected one
    is_naive_high_risk,
    is_naive_high_risk and finance_payment_count > 0 as is_misread_high_risk,
    case
        when crm_payment_count > 0 then 'paid_in_crm'
        when finance_payment_count > 0 then 'paid_not_synced'
        when days_since_signed > naive_unpaid_days then 'unpaid_overdue'
        else 'unpaid_within_terms'
    end as corrected_risk_status
from flagged
