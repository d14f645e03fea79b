-- What needs a manager's attention on as_of 今日待办: one row per item, from the marts that
-- raise it (coaching alerts, ±2σ process flags, MOT violations, the 待激活 pool, finance
-- sync alerts). Each kind's window is in the seed attention_item_kinds.
with

kinds as (

    select * from {{ ref('attention_item_kinds') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

opportunities as (

    select * from {{ ref('dim_opportunities') }}

),

dual_track as (

    select * from {{ ref('fct_dual_track_rep_month') }}

),

health_flags as (

    select * from {{ ref('fct_process_health_flags') }}

),

health_metrics as (

    select * from {{ ref('health_metrics') }}

),

mot_violations as (

    select * from {{ ref('fct_mot_gate_violations') }}

),

reactivation_pool as (

    select * from {{ ref('fct_reactivation_pool') }}

),

finance_alerts as (

    select * from {{ ref('fct_finance_sync_alerts') }}

),

latest_flag_week as (

    select max(health_flags.week_start) as week_start
    from health_flags
    cross join as_of
    cross join kinds
    where kinds.item_kind = 'health_flag'
        and health_flags.week_start <= as_of.as_of
        and health_flags.week_start > {{ dbt.dateadd('day', '-(kinds.lookback_days + 6)', 'as_of.as_of') }}

),

coaching as (

    select
        'coaching_alert' as item_kind,
        {{ dbt.concat(["dual_track.rep_id", "'|'", "dual_track.period"]) }} as item_id,
        dual_track.rep_id,
        dual_track.team_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        -- what the gap asks of the rep beyond their own commitment, in yuan
        dual_track.challenge_target - dual_track.committed_target as amount,
        dual_track.month_start as item_on,
        dual_track.gap_ratio as measure,
        cast(null as {{ dbt.type_string() }}) as note_zh,
        cast(null as {{ dbt.type_string() }}) as note_en
    from dual_track
    cross join as_of
    where dual_track.coaching_alert
        and dual_track.month_start = {{ dbt.date_trunc('month', 'as_of.as_of') }}

),

flags as (

    select
        'health_flag' as item_kind,
        {{ dbt.concat([
            "health_flags.scope_level", "'|'", "coalesce(health_flags.rep_id, health_flags.unit_id)",
            "'|'", "health_flags.metric_code", "'|'", dbt.cast("health_flags.week_start", dbt.type_string())
        ]) }} as item_id,
        health_flags.rep_id,
        health_flags.unit_id as team_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as {{ type_double() }}) as amount,
        health_flags.week_start as item_on,
        health_flags.z_score as measure,
        health_metrics.name_zh as note_zh,
        health_metrics.name_en as note_en
    from health_flags
    inner join latest_flag_week
        on latest_flag_week.week_start = health_flags.week_start
    left join health_metrics
        on health_metrics.metric_code = health_flags.metric_code

),

mot as (

    select
        'mot_violation' as item_kind,
        {{ dbt.concat([
            "mot_violations.opportunity_id", "'|'",
            dbt.cast("mot_violations.quote_entry_number", dbt.type_string())
        ]) }} as item_id,
        mot_violations.rep_id,
        mot_violations.team_id,
        mot_violations.opportunity_id,
        opportunities.amount,
        cast(mot_violations.entered_at as date) as item_on,
        cast(mot_violations.facts_not_before_entry as {{ type_double() }}) as measure,
        coalesce(mot_violations.missing_facts_zh, mot_violations.late_facts_zh) as note_zh,
        coalesce(mot_violations.missing_facts_en, mot_violations.late_facts_en) as note_en
    from mot_violations
    cross join as_of
    inner join kinds
        on kinds.item_kind = 'mot_violation'
    left join opportunities
        on opportunities.opportunity_id = mot_violations.opportunity_id
    where cast(mot_violations.entered_at as date) <= as_of.as_of
        and cast(mot_violations.entered_at as date)
            > {{ dbt.dateadd('day', '-kinds.lookback_days', 'as_of.as_of') }}

),

reactivation as (

    select
        'reactivation' as item_kind,
        reactivation_pool.lead_id as item_id,
        reactivation_pool.owner_rep_id as rep_id,
        reactivation_pool.team_id,
        reactivation_pool.opportunity_id,
        opportunities.amount,
        cast(reactivation_pool.visit_started_at as date) as item_on,
        cast(reactivation_pool.days_incomplete as {{ type_double() }}) as measure,
        reactivation_pool.missing_nodes_zh as note_zh,
        reactivation_pool.missing_nodes_en as note_en
    from reactivation_pool
    left join opportunities
        on opportunities.opportunity_id = reactivation_pool.opportunity_id

),

finance as (

    select
        'finance_sync' as item_kind,
        finance_alerts.payment_id as item_id,
        finance_alerts.owner_rep_id as rep_id,
        finance_alerts.team_id,
        finance_alerts.opportunity_id,
        finance_alerts.amount,
        cast(finance_alerts.alert_raised_at as date) as item_on,
        finance_alerts.sync_lag_hours as measure,
        finance_alerts.alert_text_zh as note_zh,
        finance_alerts.alert_text_en as note_en
    from finance_alerts
    cross join as_of
    inner join kinds
        on kinds.item_kind = 'finance_sync'
    where cast(finance_alerts.alert_raised_at as date) <= as_of.as_of
        and cast(finance_alerts.alert_raised_at as date)
            > {{ dbt.dateadd('day', '-kinds.lookback_days', 'as_of.as_of') }}

),

items as (

    select * from coaching
    union all
    select * from flags
    union all
    select * from mot
    union all
    select * from reactivation
    union all
    select * from finance

)

select
    -- ids
    cast(items.item_kind as {{ dbt.type_string() }}) as item_kind,
    cast(items.item_id as {{ dbt.type_string() }}) as item_id,
    cast(items.rep_id as {{ dbt.type_string() }}) as rep_id,
    cast(items.team_id as {{ dbt.type_string() }}) as team_id,
    cast(items.opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    -- names
    cast(opportunities.customer_name as {{ dbt.type_string() }}) as customer_name,
    cast(kinds.label_zh as {{ dbt.type_string() }}) as kind_label_zh,
    cast(kinds.label_en as {{ dbt.type_string() }}) as kind_label_en,
    cast(kinds.page as {{ dbt.type_string() }}) as page,
    kinds.sort_order,
    -- amounts
    cast(items.amount as {{ type_double() }}) as amount,
    cast(items.measure as {{ type_double() }}) as measure,
    cast(items.note_zh as {{ dbt.type_string() }}) as note_zh,
    cast(items.note_en as {{ dbt.type_string() }}) as note_en,
    -- dates
    cast(items.item_on as date) as item_on,
    as_of.as_of
from items
cross join as_of
inner join kinds
    on kinds.item_kind = items.item_kind
left join opportunities
    on opportunities.opportunity_id = items.opportunity_id
