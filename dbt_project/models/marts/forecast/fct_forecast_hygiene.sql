{#- Number formats for the finding texts (SQL templates filled with `%`): a ratio as a
    percentage with one decimal, a signed one, a number with one decimal, an integer. -#}
{%- set text_type = dbt.type_string() -%}
{%- set pct = "cast(" ~ decimal_round("(%s) * 100", 1) ~ " as " ~ text_type ~ ")" -%}
{%- set signed_pct = "case when (%s) >= 0 then '+' else '' end || cast(" ~ decimal_round("(%s) * 100", 1) ~ " as " ~ text_type ~ ")" -%}
{%- set num = "cast(" ~ decimal_round("%s", 1) ~ " as " ~ text_type ~ ")" -%}
{%- set int_text = "cast(%s as " ~ text_type ~ ")" -%}

with

as_of as (

    select
        as_of,
        cast({{ dbt.date_trunc('month', 'as_of') }} as date) as as_of_month
    from {{ ref('int_as_of_resolved') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

open_opportunities as (

    select * from {{ ref('int_open_opportunities_classified_for_hygiene') }}

),

lock_forecasts as (

    select * from {{ ref('int_forecast_lock_points_scored') }}

),

payments as (

    select * from {{ ref('int_payments_measured_for_sync') }}

),

contracts as (

    select * from {{ ref('int_contracts_joined_to_opportunities') }}

),

contract_months as (

    select * from {{ ref('int_contract_months_assessed_for_payment') }}

),

checks as (

    select * from {{ ref('forecast_hygiene_checks') }}

),

forecast_settings as (

    select
        max(case when parameter = 'default_probability' then value end) as default_probability
    from {{ ref('forecast_settings') }}

),

finance_settings as (

    select
        max(case when parameter = 'sync_lag_alert_hours' then value end) as sync_lag_alert_hours
    from {{ ref('finance_settings') }}

),

thresholds as (

    select
        {%- for check_id in ['close_date', 'probability_binding', 'forecast_vs_requirement_doc', 'new_rep_bias', 'finance_sync'] %}
        max(case when check_id = '{{ check_id }}' then warn_threshold end) as {{ check_id }}_threshold,
        max(case when check_id = '{{ check_id }}' then secondary_warn_threshold end) as {{ check_id }}_secondary_threshold,
        max(case when check_id = '{{ check_id }}' then min_sample end) as {{ check_id }}_min_sample{{ ',' if not loop.last }}
        {%- endfor %}
    from checks

),

-- checks 1-3: the open pipeline as of as_of ---------------------------------------------

pipeline as (

    select
        closure.ancestor_id as unit_id,
        count(*) as open_opportunity_count,
        sum(case when open_opportunities.is_bad_close_date then 1 else 0 end) as bad_close_date_count,
        sum(case when open_opportunities.close_date_class = 'empty' then 1 else 0 end) as empty_close_date_count,
        sum(case when open_opportunities.close_date_class = 'non_date_text' then 1 else 0 end)
            as non_date_close_date_count,
        sum(case when open_opportunities.is_default_probability then 1 else 0 end) as default_probability_count,
        count(open_opportunities.crm_probability) as probability_known_count,
        count(distinct open_opportunities.crm_probability) as distinct_probability_count,
        count(open_opportunities.forecast_over_doc) as forecast_doc_pair_count,
        avg(open_opportunities.forecast_over_doc) as forecast_over_doc_mean
    from open_opportunities
    inner join closure
        on closure.descendant_id = open_opportunities.team_id
    group by closure.ancestor_id

),

stage_probabilities as (

    select
        closure.ancestor_id as unit_id,
        open_opportunities.stage,
        {{ stage_order('open_opportunities.stage') }} as stage_order,
        count(distinct open_opportunities.crm_probability) as distinct_probabilities
    from open_opportunities
    inner join closure
        on closure.descendant_id = open_opportunities.team_id
    group by closure.ancestor_id, open_opportunities.stage

),

stage_binding as (

    select
        unit_id,
        max(distinct_probabilities) as max_distinct_probabilities_per_stage,
        {{ dbt.listagg(
            "stage || ':' || cast(distinct_probabilities as " ~ dbt.type_string() ~ ")",
            "', '",
            "order by stage_order"
        ) }} as distinct_probabilities_by_stage
    from stage_probabilities
    group by unit_id

),

-- check 4: lock-point forecasts of complete periods --------------------------------------

bias as (

    select
        closure.ancestor_id as unit_id,
        lock_forecasts.period_start as month_start,
        count(case when lock_forecasts.tenure_cohort = 'new' then lock_forecasts.forecast_bias end)
            as new_rep_forecast_count,
        avg(case when lock_forecasts.tenure_cohort = 'new' then lock_forecasts.forecast_bias end) as new_rep_bias,
        count(case when lock_forecasts.tenure_cohort = 'tenured' then lock_forecasts.forecast_bias end)
            as tenured_forecast_count,
        avg(case when lock_forecasts.tenure_cohort = 'tenured' then lock_forecasts.forecast_bias end) as tenured_bias
    from lock_forecasts
    inner join closure
        on closure.descendant_id = lock_forecasts.team_id
    where lock_forecasts.is_period_complete
    group by closure.ancestor_id, lock_forecasts.period_start

),

-- check 5: payments recorded in the month; naive vs corrected risk at the month's end ----

payments_teamed as (

    select
        payments.*,
        contracts.team_id,
        cast({{ dbt.date_trunc('month', 'payments.recorded_in_finance_at') }} as date) as month_start
    from payments
    inner join contracts
        on contracts.contract_id = payments.contract_id

),

sync as (

    select
        closure.ancestor_id as unit_id,
        payments_teamed.month_start,
        count(*) as payments_recorded_count,
        avg(case when payments_teamed.is_synced then payments_teamed.sync_lag_hours end) as mean_sync_lag_hours,
        {{ median('case when payments_teamed.is_synced then payments_teamed.sync_lag_hours end') }}
            as median_sync_lag_hours,
        sum(case when payments_teamed.is_synced then 0 else 1 end) as unsynced_payment_count,
        sum(case when payments_teamed.is_sync_alert then 1 else 0 end) as sync_alert_count
    from payments_teamed
    inner join closure
        on closure.descendant_id = payments_teamed.team_id
    group by closure.ancestor_id, payments_teamed.month_start

),

risk as (

    select
        closure.ancestor_id as unit_id,
        contract_months.month_start,
        sum(case when contract_months.is_naive_high_risk then 1 else 0 end) as naive_high_risk_count,
        sum(case when contract_months.is_misread_high_risk then 1 else 0 end) as misread_high_risk_count
    from contract_months
    inner join closure
        on closure.descendant_id = contract_months.team_id
    group by closure.ancestor_id, contract_months.month_start

),

-- the grid: every unit × every month with something to check, through the as_of month ----

months as (

    select period_start as month_start from lock_forecasts where is_period_complete
    union
    select month_start from payments_teamed
    union
    select month_start from contract_months
    union
    select as_of_month as month_start from as_of

),

grid as (

    select
        org_units.unit_id,
        org_units.level as unit_level,
        months.month_start,
        as_of.as_of,
        months.month_start = as_of.as_of_month as is_as_of_month,
        cast({{ dbt.dateadd('month', 1, 'months.month_start') }} as date)
            <= cast({{ dbt.dateadd('day', 1, 'as_of.as_of') }} as date) as is_month_complete
    from org_units
    cross join months
    cross join as_of
    where months.month_start <= as_of.as_of_month

),

measured as (

    select
        grid.*,
        -- 1 expected close date
        case when grid.is_as_of_month then coalesce(pipeline.open_opportunity_count, 0) end as open_opportunity_count,
        case when grid.is_as_of_month then coalesce(pipeline.bad_close_date_count, 0) end as bad_close_date_count,
        case when grid.is_as_of_month then coalesce(pipeline.empty_close_date_count, 0) end as empty_close_date_count,
        case when grid.is_as_of_month then coalesce(pipeline.non_date_close_date_count, 0) end
            as non_date_close_date_count,
        case when grid.is_as_of_month and pipeline.open_opportunity_count > 0
            then cast(pipeline.bad_close_date_count as {{ type_double() }}) / pipeline.open_opportunity_count end as bad_close_date_share,
        case when grid.is_as_of_month and pipeline.open_opportunity_count > 0
            then cast(pipeline.empty_close_date_count as {{ type_double() }}) / pipeline.open_opportunity_count end as empty_close_date_share,
        case when grid.is_as_of_month and pipeline.open_opportunity_count > 0
            then cast(pipeline.non_date_close_date_count as {{ type_double() }}) / pipeline.open_opportunity_count end
            as non_date_close_date_share,
        -- 2 probability bound to stage
        case when grid.is_as_of_month then coalesce(pipeline.default_probability_count, 0) end
            as default_probability_count,
        case when grid.is_as_of_month and pipeline.probability_known_count > 0
            then cast(pipeline.default_probability_count as {{ type_double() }}) / pipeline.probability_known_count end
            as default_probability_share,
        case when grid.is_as_of_month then coalesce(pipeline.distinct_probability_count, 0) end
            as distinct_probability_count,
        case when grid.is_as_of_month then stage_binding.max_distinct_probabilities_per_stage end
            as max_distinct_probabilities_per_stage,
        case when grid.is_as_of_month then stage_binding.distinct_probabilities_by_stage end
            as distinct_probabilities_by_stage,
        coalesce(pipeline.probability_known_count, 0) as probability_known_count,
        -- 3 forecast vs requirement document
        case when grid.is_as_of_month then coalesce(pipeline.forecast_doc_pair_count, 0) end
            as forecast_doc_pair_count,
        case when grid.is_as_of_month then pipeline.forecast_over_doc_mean end as forecast_over_doc_mean,
        -- 4 new-rep bias
        coalesce(bias.new_rep_forecast_count, 0) as new_rep_forecast_count,
        bias.new_rep_bias,
        coalesce(bias.tenured_forecast_count, 0) as tenured_forecast_count,
        bias.tenured_bias,
        bias.new_rep_bias - bias.tenured_bias as new_minus_tenured_bias,
        -- 5 finance sync
        coalesce(sync.payments_recorded_count, 0) as payments_recorded_count,
        sync.mean_sync_lag_hours,
        sync.median_sync_lag_hours,
        coalesce(sync.unsynced_payment_count, 0) as unsynced_payment_count,
        coalesce(sync.sync_alert_count, 0) as sync_alert_count,
        case when sync.payments_recorded_count > 0
            then cast(sync.sync_alert_count as {{ type_double() }}) / sync.payments_recorded_count end as sync_alert_share,
        coalesce(risk.naive_high_risk_count, 0) as naive_high_risk_count,
        coalesce(risk.misread_high_risk_count, 0) as misread_high_risk_count
    from grid
    left join pipeline
        on pipeline.unit_id = grid.unit_id
    left join stage_binding
        on stage_binding.unit_id = grid.unit_id
    left join bias
        on bias.unit_id = grid.unit_id
        and bias.month_start = grid.month_start
    left join sync
        on sync.unit_id = grid.unit_id
        and sync.month_start = grid.month_start
    left join risk
        on risk.unit_id = grid.unit_id
        and risk.month_start = grid.month_start

),

judged as (

    select
        measured.*,
        forecast_settings.default_probability,
        finance_settings.sync_lag_alert_hours,
        thresholds.*,
        case
            when not measured.is_as_of_month then 'not_evaluated'
            when measured.open_opportunity_count < thresholds.close_date_min_sample then 'no_data'
            when measured.bad_close_date_share > thresholds.close_date_threshold then 'warn'
            else 'pass'
        end as close_date_status,
        case
            when not measured.is_as_of_month then 'not_evaluated'
            when measured.probability_known_count < thresholds.probability_binding_min_sample then 'no_data'
            when measured.default_probability_share > thresholds.probability_binding_threshold then 'warn'
            else 'pass'
        end as probability_binding_status,
        case
            when not measured.is_as_of_month then 'not_evaluated'
            when measured.forecast_doc_pair_count < thresholds.forecast_vs_requirement_doc_min_sample then 'no_data'
            when abs(measured.forecast_over_doc_mean) > thresholds.forecast_vs_requirement_doc_threshold then 'warn'
            else 'pass'
        end as forecast_vs_requirement_doc_status,
        case
            when not measured.is_month_complete then 'not_evaluated'
            when measured.new_rep_forecast_count < thresholds.new_rep_bias_min_sample
                or measured.tenured_forecast_count < thresholds.new_rep_bias_min_sample then 'no_data'
            when abs(measured.new_minus_tenured_bias) > thresholds.new_rep_bias_threshold then 'warn'
            else 'pass'
        end as new_rep_bias_status,
        case
            when measured.payments_recorded_count < thresholds.finance_sync_min_sample
                and measured.misread_high_risk_count = 0 then 'no_data'
            when coalesce(measured.sync_alert_share > thresholds.finance_sync_threshold, false)
                or measured.misread_high_risk_count > thresholds.finance_sync_secondary_threshold then 'warn'
            else 'pass'
        end as finance_sync_status
    from measured
    cross join thresholds
    cross join forecast_settings
    cross join finance_settings

),

worded as (

    select
        judged.*,
        -- 1
        case close_date_status
            when 'not_evaluated' then '仅在统计截止月评估（没有预计成交日期的历史快照）'
            when 'no_data' then '没有在途商机'
            else '在途商机 ' || {{ int_text % 'open_opportunity_count' }} || ' 个，其中 '
                || {{ pct % 'bad_close_date_share' }} || '% 的预计成交日期为空或不是日期（空白 '
                || {{ pct % 'empty_close_date_share' }} || '%，“尽快”等文字 '
                || {{ pct % 'non_date_close_date_share' }} || '%）；阈值 '
                || {{ pct % 'close_date_threshold' }} || '%'
        end as close_date_finding_zh,
        case close_date_status
            when 'not_evaluated' then 'Evaluated for the as_of month only (expected close dates have no history)'
            when 'no_data' then 'No open opportunities'
            else 'Of ' || {{ int_text % 'open_opportunity_count' }} || ' open opportunities, '
                || {{ pct % 'bad_close_date_share' }} || '% have an empty or non-date expected close date (empty '
                || {{ pct % 'empty_close_date_share' }} || '%, words such as 尽快 '
                || {{ pct % 'non_date_close_date_share' }} || '%); threshold '
                || {{ pct % 'close_date_threshold' }} || '%'
        end as close_date_finding_en,
        -- 2
        case probability_binding_status
            when 'not_evaluated' then '仅在统计截止月评估'
            when 'no_data' then '没有填写赢率的在途商机'
            else {{ pct % 'default_probability_share' }} || '% 的在途商机赢率为默认值 '
                || {{ pct % 'default_probability' }} || '%；共 '
                || {{ int_text % 'distinct_probability_count' }} || ' 种赢率，各阶段赢率种数：'
                || coalesce(distinct_probabilities_by_stage, '') || '；阈值 '
                || {{ pct % 'probability_binding_threshold' }} || '%'
        end as probability_binding_finding_zh,
        case probability_binding_status
            when 'not_evaluated' then 'Evaluated for the as_of month only'
            when 'no_data' then 'No open opportunity has a probability'
            else {{ pct % 'default_probability_share' }} || '% of open opportunities sit at the default '
                || {{ pct % 'default_probability' }} || '%; '
                || {{ int_text % 'distinct_probability_count' }} || ' distinct probabilities, per stage: '
                || coalesce(distinct_probabilities_by_stage, '') || '; threshold '
                || {{ pct % 'probability_binding_threshold' }} || '%'
        end as probability_binding_finding_en,
        -- 3
        case forecast_vs_requirement_doc_status
            when 'not_evaluated' then '仅在统计截止月评估'
            when 'no_data' then '有需求文档金额的在途商机太少'
            else '有需求文档金额的在途商机 ' || {{ int_text % 'forecast_doc_pair_count' }}
                || ' 个，预测金额平均偏离需求文档金额 ' || {{ signed_pct % ('forecast_over_doc_mean', 'forecast_over_doc_mean') }}
                || '%；阈值 ±' || {{ pct % 'forecast_vs_requirement_doc_threshold' }} || '%'
        end as forecast_vs_requirement_doc_finding_zh,
        case forecast_vs_requirement_doc_status
            when 'not_evaluated' then 'Evaluated for the as_of month only'
            when 'no_data' then 'Too few open opportunities with a requirement-document amount'
            else {{ int_text % 'forecast_doc_pair_count' }}
                || ' open opportunities with a requirement document: forecast amount differs from it by '
                || {{ signed_pct % ('forecast_over_doc_mean', 'forecast_over_doc_mean') }} || '% on average; threshold ±'
                || {{ pct % 'forecast_vs_requirement_doc_threshold' }} || '%'
        end as forecast_vs_requirement_doc_finding_en,
        -- 4
        case new_rep_bias_status
            when 'not_evaluated' then '月份尚未结束，暂不评估'
            when 'no_data' then '新人或老员工的锁定预测太少'
            else '新人预测偏差 ' || {{ signed_pct % ('new_rep_bias', 'new_rep_bias') }} || '%（'
                || {{ int_text % 'new_rep_forecast_count' }} || ' 次锁定预测），老员工 '
                || {{ signed_pct % ('tenured_bias', 'tenured_bias') }} || '%（' || {{ int_text % 'tenured_forecast_count' }}
                || ' 次）；相差 ' || {{ pct % 'new_minus_tenured_bias' }} || ' 个百分点，阈值 '
                || {{ pct % 'new_rep_bias_threshold' }} || ' 个百分点'
        end as new_rep_bias_finding_zh,
        case new_rep_bias_status
            when 'not_evaluated' then 'Month not complete yet'
            when 'no_data' then 'Too few lock-point forecasts from new or tenured reps'
            else 'New reps'' forecast bias ' || {{ signed_pct % ('new_rep_bias', 'new_rep_bias') }} || '% ('
                || {{ int_text % 'new_rep_forecast_count' }} || ' lock-point forecasts), tenured '
                || {{ signed_pct % ('tenured_bias', 'tenured_bias') }} || '% (' || {{ int_text % 'tenured_forecast_count' }}
                || '); gap ' || {{ pct % 'new_minus_tenured_bias' }} || ' pp; threshold '
                || {{ pct % 'new_rep_bias_threshold' }} || ' pp'
        end as new_rep_bias_finding_en,
        -- 5
        case finance_sync_status
            when 'no_data' then '本月没有财务入账的回款'
            else '本月财务入账回款 ' || {{ int_text % 'payments_recorded_count' }} || ' 笔，平均同步延迟 '
                || coalesce({{ num % 'mean_sync_lag_hours' }}, '–') || ' 小时（中位数 '
                || coalesce({{ num % 'median_sync_lag_hours' }}, '–') || '），超过 '
                || {{ num % 'sync_lag_alert_hours' }} || ' 小时的占 '
                || coalesce({{ pct % 'sync_alert_share' }}, '–') || '%，尚未同步 '
                || {{ int_text % 'unsynced_payment_count' }} || ' 笔；月末被朴素规则误判为高风险（实已回款）的合同 '
                || {{ int_text % 'misread_high_risk_count' }} || ' 个'
        end as finance_sync_finding_zh,
        case finance_sync_status
            when 'no_data' then 'No payment recorded by finance this month'
            else {{ int_text % 'payments_recorded_count' }} || ' payments recorded by finance: mean CRM sync lag '
                || coalesce({{ num % 'mean_sync_lag_hours' }}, '–') || ' h (median '
                || coalesce({{ num % 'median_sync_lag_hours' }}, '–') || '), '
                || coalesce({{ pct % 'sync_alert_share' }}, '–') || '% over '
                || {{ num % 'sync_lag_alert_hours' }} || ' h, ' || {{ int_text % 'unsynced_payment_count' }}
                || ' not synced; ' || {{ int_text % 'misread_high_risk_count' }}
                || ' contracts called high-risk by the naive rule at month end although finance was paid'
        end as finance_sync_finding_en
    from judged

),

final as (

    select
        worded.*,
        (case when close_date_status = 'warn' then 1 else 0 end)
        + (case when probability_binding_status = 'warn' then 1 else 0 end)
        + (case when forecast_vs_requirement_doc_status = 'warn' then 1 else 0 end)
        + (case when new_rep_bias_status = 'warn' then 1 else 0 end)
        + (case when finance_sync_status = 'warn' then 1 else 0 end) as warn_check_count
    from worded
    where {{ mart_is_available('fct_forecast_hygiene') }}

)

select
    -- scope and month
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(month_start as date) as month_start,
    cast(substr(cast(month_start as {{ dbt.type_string() }}), 1, 7) as {{ dbt.type_string() }}) as period,
    is_as_of_month,
    is_month_complete,
    cast(warn_check_count as {{ dbt.type_bigint() }}) as warn_check_count,
    -- 1 expected close date
    cast(open_opportunity_count as {{ dbt.type_bigint() }}) as open_opportunity_count,
    cast(bad_close_date_count as {{ dbt.type_bigint() }}) as bad_close_date_count,
    cast(empty_close_date_count as {{ dbt.type_bigint() }}) as empty_close_date_count,
    cast(non_date_close_date_count as {{ dbt.type_bigint() }}) as non_date_close_date_count,
    cast(bad_close_date_share as {{ type_double() }}) as bad_close_date_share,
    cast(empty_close_date_share as {{ type_double() }}) as empty_close_date_share,
    cast(non_date_close_date_share as {{ type_double() }}) as non_date_close_date_share,
    cast(close_date_status as {{ dbt.type_string() }}) as close_date_status,
    cast(close_date_finding_zh as {{ dbt.type_string() }}) as close_date_finding_zh,
    cast(close_date_finding_en as {{ dbt.type_string() }}) as close_date_finding_en,
    -- 2 probability bound to stage
    cast(default_probability_count as {{ dbt.type_bigint() }}) as default_probability_count,
    cast(default_probability_share as {{ type_double() }}) as default_probability_share,
    cast(distinct_probability_count as {{ dbt.type_bigint() }}) as distinct_probability_count,
    cast(max_distinct_probabilities_per_stage as {{ dbt.type_bigint() }}) as max_distinct_probabilities_per_stage,
    cast(distinct_probabilities_by_stage as {{ dbt.type_string() }}) as distinct_probabilities_by_stage,
    cast(probability_binding_status as {{ dbt.type_string() }}) as probability_binding_status,
    cast(probability_binding_finding_zh as {{ dbt.type_string() }}) as probability_binding_finding_zh,
    cast(probability_binding_finding_en as {{ dbt.type_string() }}) as probability_binding_finding_en,
    -- 3 forecast vs requirement-document amount
    cast(forecast_doc_pair_count as {{ dbt.type_bigint() }}) as forecast_doc_pair_count,
    cast(forecast_over_doc_mean as {{ type_double() }}) as forecast_over_doc_mean,
    cast(forecast_vs_requirement_doc_status as {{ dbt.type_string() }}) as forecast_vs_requirement_doc_status,
    cast(forecast_vs_requirement_doc_finding_zh as {{ dbt.type_string() }}) as forecast_vs_requirement_doc_finding_zh,
    cast(forecast_vs_requirement_doc_finding_en as {{ dbt.type_string() }}) as forecast_vs_requirement_doc_finding_en,
    -- 4 new-rep forecast bias
    cast(new_rep_forecast_count as {{ dbt.type_bigint() }}) as new_rep_forecast_count,
    cast(new_rep_bias as {{ type_double() }}) as new_rep_bias,
    cast(tenured_forecast_count as {{ dbt.type_bigint() }}) as tenured_forecast_count,
    cast(tenured_bias as {{ type_double() }}) as tenured_bias,
    cast(new_minus_tenured_bias as {{ type_double() }}) as new_minus_tenured_bias,
    cast(new_rep_bias_status as {{ dbt.type_string() }}) as new_rep_bias_status,
    cast(new_rep_bias_finding_zh as {{ dbt.type_string() }}) as new_rep_bias_finding_zh,
    cast(new_rep_bias_finding_en as {{ dbt.type_string() }}) as new_rep_bias_finding_en,
    -- 5 finance sync and signed-but-unpaid misreads
    cast(payments_recorded_count as {{ dbt.type_bigint() }}) as payments_recorded_count,
    cast(mean_sync_lag_hours as {{ type_double() }}) as mean_sync_lag_hours,
    cast(median_sync_lag_hours as {{ type_double() }}) as median_sync_lag_hours,
    cast(unsynced_payment_count as {{ dbt.type_bigint() }}) as unsynced_payment_count,
    cast(sync_alert_count as {{ dbt.type_bigint() }}) as sync_alert_count,
    cast(sync_alert_share as {{ type_double() }}) as sync_alert_share,
    cast(naive_high_risk_count as {{ dbt.type_bigint() }}) as naive_high_risk_count,
    cast(misread_high_risk_count as {{ dbt.type_bigint() }}) as misread_high_risk_count,
    cast(finance_sync_status as {{ dbt.type_string() }}) as finance_sync_status,
    cast(finance_sync_finding_zh as {{ dbt.type_string() }}) as finance_sync_finding_zh,
    cast(finance_sync_finding_en as {{ dbt.type_string() }}) as finance_sync_finding_en
from final
