-- Visit node completeness 拜访节点完整度 per visit, as of as_of.
with

visits as (

    select * from {{ ref('int_visits_aggregated_from_nodes') }}

)

select
    -- ids
    visit_id,
    opportunity_id,
    lead_id,
    rep_id,
    team_id,
    -- nodes
    nodes_recorded,
    nodes_required,
    cast(nodes_recorded as {{ type_double() }}) / nodes_required as node_completion_rate,
    is_complete,
    is_out_of_order,
    missing_nodes,
    missing_nodes_zh,
    missing_nodes_en,
    -- regimes
    process_regime,
    opportunity_process_regime,
    -- timestamps
    started_at,
    week_start,
    last_node_at,
    appointment_confirmed_at,
    pain_diagnosis_submitted_at,
    demo_recording_uploaded_at,
    objection_handled_at,
    next_step_locked_at,
    cast(as_of as date) as as_of
from visits
where {{ mart_is_available('fct_visit_completeness') }}
