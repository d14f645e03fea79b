-- Each lead's latest visit as of as_of (visits reach a lead through their opportunity),
-- with how long it has been incomplete and whether the lead is still open. One row per
-- lead with at least one visit on an opportunity of it.
--   days_incomplete: calendar days from the visit's start date to as_of while it is
--                    incomplete (0 on the day it starts), null once complete;
--   is_lead_open:    at least one of the lead's opportunities is open as of as_of.
with

visits as (

    select * from {{ ref('int_visits_aggregated_from_nodes') }}
    where lead_id is not null

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

lead_status as (

    select
        lead_id,
        max(case when status_as_of = 'open' then 1 else 0 end) = 1 as is_lead_open
    from positions
    group by lead_id

),

ranked as (

    select
        visits.*,
        row_number() over (
            partition by visits.lead_id
            order by visits.started_at desc, visits.visit_id desc
        ) as visit_rank
    from visits

)

select
    -- ids
    ranked.lead_id,
    ranked.visit_id,
    ranked.opportunity_id,
    ranked.rep_id as visit_rep_id,
    positions.owner_rep_id,
    positions.team_id,
    positions.status_as_of as opportunity_status_as_of,
    coalesce(lead_status.is_lead_open, false) as is_lead_open,
    -- nodes
    ranked.nodes_recorded,
    ranked.nodes_required,
    ranked.is_complete,
    ranked.missing_nodes,
    ranked.missing_nodes_zh,
    ranked.missing_nodes_en,
    -- days
    case
        when not ranked.is_complete
            then cast({{ dbt.datediff('cast(ranked.started_at as date)', 'ranked.as_of', 'day') }} as {{ dbt.type_bigint() }})
    end as days_incomplete,
    -- timestamps
    ranked.started_at,
    ranked.last_node_at,
    ranked.as_of
from ranked
left join positions
    on positions.opportunity_id = ranked.opportunity_id
left join lead_status
    on lead_status.lead_id = ranked.lead_id
where ranked.visit_rank = 1
