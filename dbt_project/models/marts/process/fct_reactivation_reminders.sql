-- Manager reminders for the 待激活 pool 待激活提醒: one per pool lead and manager, with the
-- text ready to show or send, in Chinese and English.
with

pool as (

    select * from {{ ref('fct_reactivation_pool') }}

),

managers as (

    select * from {{ ref('int_org_units_joined_to_nearest_manager') }}

),

texts as (

    select
        managers.manager_rep_id,
        managers.manager_name,
        managers.manager_role,
        managers.manager_unit_id,
        pool.*,
        cast(pool.days_incomplete as {{ dbt.type_string() }}) as days_text,
        coalesce(pool.owner_name, pool.owner_rep_id, '?') as owner_text,
        coalesce(pool.team_name, pool.team_id, '?') as team_text,
        coalesce(pool.customer_name, pool.customer_id, '?') as customer_text
    from pool
    inner join managers
        on managers.unit_id = pool.team_id

)

select
    -- ids
    manager_rep_id,
    lead_id,
    latest_visit_id,
    opportunity_id,
    owner_rep_id,
    team_id,
    manager_unit_id,
    -- attributes
    manager_name,
    manager_role,
    owner_name,
    team_name,
    customer_name,
    -- reminder
    days_incomplete,
    missing_nodes,
    {{ dbt.concat([
        "'【待激活提醒】'", 'owner_text', "'（'", 'team_text', "'）的线索 '", 'lead_id',
        "'（客户：'", 'customer_text', "'）最近一次拜访 '", 'latest_visit_id',
        "' 已 '", 'days_text', "' 天未完成，缺少节点：'", 'missing_nodes_zh',
        "'。请督促跟进。'",
    ]) }} as reminder_text_zh,
    {{ dbt.concat([
        "'[To reactivate] Lead '", 'lead_id', "' ('", 'customer_text', "') of '", 'owner_text',
        "' ('", 'team_text', "'): latest visit '", 'latest_visit_id',
        "' has been incomplete for '", 'days_text', "' days; missing: '", 'missing_nodes_en',
        "'. Please follow up.'",
    ]) }} as reminder_text_en,
    -- timestamps
    visit_started_at,
    as_of
from texts
where {{ mart_is_available('fct_reactivation_reminders') }}
