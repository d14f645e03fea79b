-- The 待激活 (to-reactivate) pool: leads whose latest visit has stayed incomplete for more
-- than the threshold (seed process_reactivation_rules) as of as_of.
with

latest_visits as (

    select * from {{ ref('int_leads_joined_to_latest_visit') }}

),

rules as (

    select * from {{ ref('process_reactivation_rules') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_classified_by_regime') }}

),

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

)

select
    -- ids
    latest_visits.lead_id,
    latest_visits.visit_id as latest_visit_id,
    latest_visits.opportunity_id,
    opportunities.customer_id,
    latest_visits.owner_rep_id,
    latest_visits.team_id,
    latest_visits.visit_rep_id,
    -- attributes
    customers.name as customer_name,
    owners.name as owner_name,
    teams.name as team_name,
    latest_visits.opportunity_status_as_of,
    -- nodes
    latest_visits.nodes_recorded,
    latest_visits.nodes_required,
    latest_visits.missing_nodes,
    latest_visits.missing_nodes_zh,
    latest_visits.missing_nodes_en,
    -- days
    latest_visits.days_incomplete,
    cast(rules.incomplete_days_threshold as {{ dbt.type_bigint() }}) as incomplete_days_threshold,
    -- timestamps
    latest_visits.started_at as visit_started_at,
    latest_visits.last_node_at,
    cast(latest_visits.as_of as date) as as_of
from latest_visits
cross join rules
left join opportunities
    on opportunities.opportunity_id = latest_visits.opportunity_id
left join customers
    on customers.customer_id = opportunities.customer_id
left join reps as owners
    on owners.rep_id = latest_visits.owner_rep_id
left join org_units as teams
    on teams.unit_id = latest_visits.team_id
where not latest_visits.is_complete
    and latest_visits.days_incomplete > rules.incomplete_days_threshold
    and (latest_visits.is_lead_open or rules.include_closed_leads)
    and {{ mart_is_available('fct_reactivation_pool') }}
