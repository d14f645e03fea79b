-- The alerts to push to the group bots 告警推送: one row per alert, keyed by the event it is
-- about (a rerun yields the same alert_id, so the push ledger sends it once), with its
-- recipient from the org tree and the message ready in Chinese and English.
with

kinds as (

    select * from {{ ref('alert_kinds') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

attention_items as (

    select * from {{ ref('fct_attention_items') }}

),

deviation_events as (

    select * from {{ ref('fct_deviation_events') }}

),

deviation_reports as (

    select * from {{ ref('stg_crm__deviation_reports') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

org_units as (

    select * from {{ ref('dim_org_units') }}

),

reps as (

    select * from {{ ref('dim_reps') }}

),

managers as (

    select * from {{ ref('int_org_units_joined_to_nearest_manager') }}

),

-- one manager per unit, so an event is pushed once: where several managers share the
-- nearest unit, the first by rep id
unit_manager as (

    select
        unit_id,
        manager_rep_id,
        manager_name
    from (
        select
            managers.*,
            row_number() over (partition by managers.unit_id order by managers.manager_rep_id)
                as manager_rank
        from managers
    ) as ranked
    where manager_rank = 1

),

-- events of the as-of ISO week without a deviation report of the rep's team, city or region
-- submitted since the event: the report is due on the week's Friday at 17:00
open_deviation_events as (

    select deviation_events.*
    from deviation_events
    cross join as_of
    where deviation_events.week_start = {{ dbt.date_trunc('week', 'as_of.as_of') }}
        and not exists (
            select 1
            from closure
            inner join org_units
                on org_units.unit_id = closure.ancestor_id
                and org_units.level <> 'hq'
            inner join deviation_reports
                on deviation_reports.unit_id = closure.ancestor_id
            where closure.descendant_id = deviation_events.team_id
                and deviation_reports.submitted_at >= deviation_events.event_at
                and deviation_reports.submitted_at
                    < cast({{ dbt.dateadd('day', 1, 'as_of.as_of') }} as timestamp)
        )

),

events as (

    select
        attention_items.item_kind as alert_kind,
        attention_items.item_id as event_key,
        attention_items.rep_id,
        attention_items.team_id,
        attention_items.opportunity_id,
        attention_items.customer_name,
        attention_items.amount,
        cast(null as {{ type_double() }}) as reference_amount,
        attention_items.measure,
        attention_items.note_zh,
        attention_items.note_en,
        attention_items.item_on as event_on,
        cast(null as timestamp) as due_at
    from attention_items

    union all

    select
        'deviation_report' as alert_kind,
        {{ dbt.concat([
            "open_deviation_events.rep_id", "'|'",
            dbt.cast("open_deviation_events.week_start", dbt.type_string()),
        ]) }} as event_key,
        open_deviation_events.rep_id,
        open_deviation_events.team_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as {{ dbt.type_string() }}) as customer_name,
        open_deviation_events.forecast_amount as amount,
        open_deviation_events.committed_target as reference_amount,
        open_deviation_events.forecast_deviation_rate as measure,
        cast(null as {{ dbt.type_string() }}) as note_zh,
        cast(null as {{ dbt.type_string() }}) as note_en,
        open_deviation_events.week_start as event_on,
        {{ dbt.dateadd('hour', '(4 * 24 + 17)', 'cast(open_deviation_events.week_start as timestamp)') }}
            as due_at
    from open_deviation_events

),

addressed as (

    select
        events.*,
        kinds.sort_order,
        kinds.recipient as recipient_role,
        kinds.label_zh,
        kinds.label_en,
        kinds.action_zh,
        kinds.action_en,
        case when kinds.recipient = 'rep' then events.rep_id else unit_manager.manager_rep_id end
            as recipient_rep_id,
        case when kinds.recipient = 'rep' then reps.name else unit_manager.manager_name end
            as recipient_name,
        reps.name as rep_name,
        teams.name as team_name,
        -- pieces of text, never empty (a null would blank the whole message)
        coalesce(reps.name, events.rep_id, teams.name, events.team_id, '?') as who_text,
        coalesce(teams.name, events.team_id, '?') as team_text,
        coalesce(events.customer_name, events.opportunity_id, '?') as customer_text,
        coalesce(events.note_zh, '') as note_zh_text,
        coalesce(events.note_en, '') as note_en_text,
        coalesce(
            {{ dbt.concat([
                "'¥'", dbt.cast(decimal_round("events.amount / 10000", 1), dbt.type_string()), "'万'",
            ]) }},
            '—'
        ) as amount_text,
        coalesce(
            {{ dbt.concat([
                "'¥'", dbt.cast(decimal_round("events.reference_amount / 10000", 1), dbt.type_string()), "'万'",
            ]) }},
            '—'
        ) as reference_amount_text,
        coalesce({{ dbt.cast(decimal_round("events.measure", 1), dbt.type_string()) }}, '—')
            as measure_text,
        coalesce({{ dbt.cast(decimal_round("events.measure * 100", 0), dbt.type_string()) }}, '—')
            as percent_text,
        coalesce({{ dbt.cast(decimal_round("events.measure", 0), dbt.type_string()) }}, '—')
            as whole_text,
        {{ dbt.cast("events.event_on", dbt.type_string()) }} as event_on_text
    from events
    inner join kinds
        on kinds.alert_kind = events.alert_kind
    left join reps
        on reps.rep_id = events.rep_id
    left join org_units as teams
        on teams.unit_id = events.team_id
    left join unit_manager
        on unit_manager.unit_id = events.team_id

),

worded as (

    select
        addressed.*,
        case alert_kind
            when 'coaching_alert' then {{ dbt.concat([
                'who_text', "'（'", 'team_text', "'）本月挑战目标比自报承诺高 '", 'amount_text',
                "'（差距 '", 'percent_text', "'%）。'",
            ]) }}
            when 'health_flag' then {{ dbt.concat([
                'who_text', "'（'", 'team_text', "'）「'", 'note_zh_text', "'」偏离团队均值 z = '",
                'measure_text', "'（'", 'event_on_text', "' 当周）。'",
            ]) }}
            when 'mot_violation' then {{ dbt.concat([
                'who_text', "' 的商机「'", 'customer_text', "'」（'", 'amount_text',
                "'）进入报价阶段前缺少：'", 'note_zh_text', "'。'",
            ]) }}
            when 'reactivation' then {{ dbt.concat([
                'who_text', "' 的线索「'", 'customer_text', "'」（'", 'amount_text', "'）最近拜访已 '",
                'whole_text', "' 天未完成，缺少：'", 'note_zh_text', "'。'",
            ]) }}
            when 'finance_sync' then {{ dbt.concat([
                'who_text', "' 的客户「'", 'customer_text', "'」回款 '", 'amount_text', "' 状态同步滞后 '",
                'measure_text', "' 小时。'",
            ]) }}
            when 'deviation_report' then {{ dbt.concat([
                "'你（'", 'team_text', "'）本月预测 '", 'amount_text', "' 偏离承诺目标 '",
                'reference_amount_text', "' 达 '", 'percent_text', "'%，本周（'", 'event_on_text',
                "' 起）的偏差报告尚未提交。'",
            ]) }}
        end as body_zh,
        case alert_kind
            when 'coaching_alert' then {{ dbt.concat([
                'who_text', "' ('", 'team_text', "'): this month''s challenge target is '", 'amount_text',
                "' above the rep''s own commitment (gap '", 'percent_text', "'%).'",
            ]) }}
            when 'health_flag' then {{ dbt.concat([
                'who_text', "' ('", 'team_text', "'): '", 'note_en_text', "' is off the team mean, z = '",
                'measure_text', "' (week of '", 'event_on_text', "').'",
            ]) }}
            when 'mot_violation' then {{ dbt.concat([
                'who_text', "'''s opportunity with '", 'customer_text', "' ('", 'amount_text',
                "') entered the quote stage without: '", 'note_en_text', "'.'",
            ]) }}
            when 'reactivation' then {{ dbt.concat([
                'who_text', "'''s lead with '", 'customer_text', "' ('", 'amount_text',
                "'): latest visit incomplete for '", 'whole_text', "' days; missing: '", 'note_en_text', "'.'",
            ]) }}
            when 'finance_sync' then {{ dbt.concat([
                'who_text', "'''s customer '", 'customer_text', "': payment of '", 'amount_text',
                "' has not synced for '", 'measure_text', "' hours.'",
            ]) }}
            when 'deviation_report' then {{ dbt.concat([
                "'your forecast for the month ('", 'team_text', "') of '", 'amount_text',
                "' deviates '", 'percent_text', "'% from the committed target '", 'reference_amount_text',
                "'; no deviation report yet for the week of '", 'event_on_text', "'.'",
            ]) }}
        end as body_en
    from addressed

)

select
    -- ids
    cast({{ dbt.concat(['alert_kind', "':'", 'event_key']) }} as {{ dbt.type_string() }}) as alert_id,
    cast(alert_kind as {{ dbt.type_string() }}) as alert_kind,
    cast(event_key as {{ dbt.type_string() }}) as event_key,
    cast(rep_id as {{ dbt.type_string() }}) as rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(recipient_rep_id as {{ dbt.type_string() }}) as recipient_rep_id,
    -- names
    cast(recipient_role as {{ dbt.type_string() }}) as recipient_role,
    cast(recipient_name as {{ dbt.type_string() }}) as recipient_name,
    cast(rep_name as {{ dbt.type_string() }}) as rep_name,
    cast(team_name as {{ dbt.type_string() }}) as team_name,
    cast(customer_name as {{ dbt.type_string() }}) as customer_name,
    cast(label_zh as {{ dbt.type_string() }}) as label_zh,
    cast(label_en as {{ dbt.type_string() }}) as label_en,
    sort_order,
    -- amounts
    cast(amount as {{ type_double() }}) as amount,
    cast(measure as {{ type_double() }}) as measure,
    -- messages
    cast({{ dbt.concat([
        "'【'", 'label_zh', "'】'", "coalesce(recipient_name, '负责人')", "'，'", 'body_zh', 'action_zh',
    ]) }} as {{ dbt.type_string() }}) as message_zh,
    cast({{ dbt.concat([
        "'['", 'label_en', "'] '", "coalesce(recipient_name, 'Owner')", "': '", 'body_en', "' '", 'action_en',
    ]) }} as {{ dbt.type_string() }}) as message_en,
    -- dates
    cast(event_on as date) as event_on,
    cast(due_at as timestamp) as due_at,
    as_of.as_of
from worded
cross join as_of
