-- One row per visit (activities.visit_id) with an activity on or before as_of: who made
-- it, when it started, and which of the mandatory nodes (seed process_visit_nodes) are
-- recorded. A node counts once, at its first record; activities of the visit that are
-- not mandatory nodes start the visit but are not nodes.
--   rep / opportunity: those of the visit's first activity (first with an opportunity);
--   out of order: some node was first recorded before a node that should precede it
--                 (same timestamp is in order); a skipped node is missing, not out of order.
with

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

nodes as (

    select * from {{ ref('process_visit_nodes') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

regimes as (

    select * from {{ ref('int_org_units_regime') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_classified_by_regime') }}

),

visit_activities as (

    select
        activities.activity_id,
        activities.visit_id,
        activities.rep_id,
        activities.opportunity_id,
        activities.node,
        activities.occurred_at,
        as_of.as_of
    from activities
    cross join as_of
    where activities.visit_id is not null
        and cast(activities.occurred_at as date) <= as_of.as_of

),

visit_spans as (

    select
        visit_id,
        as_of,
        min(occurred_at) as started_at,
        max(occurred_at) as last_activity_at
    from visit_activities
    group by visit_id, as_of

),

first_activity as (

    select
        visit_id,
        rep_id,
        row_number() over (
            partition by visit_id
            order by occurred_at, activity_id
        ) as activity_rank
    from visit_activities

),

first_opportunity as (

    select
        visit_id,
        opportunity_id,
        row_number() over (
            partition by visit_id
            order by occurred_at, activity_id
        ) as activity_rank
    from visit_activities
    where opportunity_id is not null

),

node_records as (

    select
        visit_activities.visit_id,
        nodes.node,
        nodes.node_order,
        min(visit_activities.occurred_at) as recorded_at
    from visit_activities
    inner join nodes
        on nodes.node = visit_activities.node
    group by visit_activities.visit_id, nodes.node, nodes.node_order

),

node_records_ordered as (

    select
        visit_id,
        node,
        node_order,
        recorded_at,
        max(recorded_at) over (
            partition by visit_id
            order by node_order
            rows between unbounded preceding and 1 preceding
        ) as latest_earlier_node_at
    from node_records

),

node_summary as (

    select
        visit_id,
        count(*) as nodes_recorded,
        max(case when recorded_at < latest_earlier_node_at then 1 else 0 end) as out_of_order_nodes,
        max(recorded_at) as last_node_at,
        max(case when node = 'appointment_confirmed' then recorded_at end) as appointment_confirmed_at,
        max(case when node = 'pain_diagnosis_submitted' then recorded_at end) as pain_diagnosis_submitted_at,
        max(case when node = 'demo_recording_uploaded' then recorded_at end) as demo_recording_uploaded_at,
        max(case when node = 'objection_handled' then recorded_at end) as objection_handled_at,
        max(case when node = 'next_step_locked' then recorded_at end) as next_step_locked_at
    from node_records_ordered
    group by visit_id

),

missing_nodes as (

    select
        visit_spans.visit_id,
        {{ dbt.listagg('nodes.node', "', '", 'order by nodes.node_order') }} as missing_nodes,
        {{ dbt.listagg('nodes.label_zh', "'、'", 'order by nodes.node_order') }} as missing_nodes_zh,
        {{ dbt.listagg('nodes.label_en', "', '", 'order by nodes.node_order') }} as missing_nodes_en
    from visit_spans
    cross join nodes
    left join node_records
        on node_records.visit_id = visit_spans.visit_id
        and node_records.node = nodes.node
    where node_records.visit_id is null
    group by visit_spans.visit_id

),

required as (

    select count(*) as nodes_required
    from nodes

),

visits as (

    select
        -- ids
        visit_spans.visit_id,
        first_opportunity.opportunity_id,
        opportunities.lead_id,
        first_activity.rep_id,
        reps.team_id,
        -- nodes
        cast(coalesce(node_summary.nodes_recorded, 0) as {{ dbt.type_bigint() }}) as nodes_recorded,
        cast(required.nodes_required as {{ dbt.type_bigint() }}) as nodes_required,
        coalesce(node_summary.out_of_order_nodes, 0) = 1 as is_out_of_order,
        missing_nodes.missing_nodes,
        missing_nodes.missing_nodes_zh,
        missing_nodes.missing_nodes_en,
        -- regimes
        case
            when regimes.structured_since <= cast(visit_spans.started_at as date) then 'structured'
            else 'traditional'
        end as process_regime,
        opportunities.process_regime as opportunity_process_regime,
        -- timestamps
        visit_spans.started_at,
        cast({{ dbt.date_trunc('week', 'visit_spans.started_at') }} as date) as week_start,
        visit_spans.last_activity_at,
        node_summary.last_node_at,
        node_summary.appointment_confirmed_at,
        node_summary.pain_diagnosis_submitted_at,
        node_summary.demo_recording_uploaded_at,
        node_summary.objection_handled_at,
        node_summary.next_step_locked_at,
        visit_spans.as_of
    from visit_spans
    cross join required
    inner join first_activity
        on first_activity.visit_id = visit_spans.visit_id
        and first_activity.activity_rank = 1
    left join first_opportunity
        on first_opportunity.visit_id = visit_spans.visit_id
        and first_opportunity.activity_rank = 1
    left join opportunities
        on opportunities.opportunity_id = first_opportunity.opportunity_id
    left join reps
        on reps.rep_id = first_activity.rep_id
    left join regimes
        on regimes.unit_id = reps.team_id
    left join node_summary
        on node_summary.visit_id = visit_spans.visit_id
    left join missing_nodes
        on missing_nodes.visit_id = visit_spans.visit_id

)

select
    *,
    nodes_recorded = nodes_required as is_complete
from visits
