-- Where each opportunity stands in the funnel as of as_of. One row per opportunity
-- created on or before as_of.
--   furthest_stage_order: furthest canonical stage reached over non-lost entries
--     (won = 6, beyond contract_approval); an opportunity with no entry yet counts as
--     a lead (1).
--   furthest_open_stage_order: the same capped at the open stages (1-5).
--   latest_stage / status_as_of: the latest entry decides open / won / lost.
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

),

furthest as (

    select
        opportunity_id,
        max(stage_order) as furthest_stage_order,
        max(case when stage_order <= 5 then stage_order end) as furthest_open_stage_order
    from entries
    where stage <> 'lost'
    group by opportunity_id

),

latest as (

    select
        opportunity_id,
        stage as latest_stage,
        entered_at as latest_entered_at
    from entries
    where next_entered_at is null

)

select
    -- ids
    opportunities.opportunity_id,
    opportunities.lead_id,
    opportunities.owner_rep_id,
    opportunities.team_id,
    -- funnel position
    cast(coalesce(furthest.furthest_stage_order, 1) as {{ dbt.type_bigint() }}) as furthest_stage_order,
    cast(coalesce(furthest.furthest_open_stage_order, 1) as {{ dbt.type_bigint() }}) as furthest_open_stage_order,
    coalesce(latest.latest_stage, 'lead') as latest_stage,
    case coalesce(latest.latest_stage, 'lead')
        when 'won' then 'won'
        when 'lost' then 'lost'
        else 'open'
    end as status_as_of,
    -- timestamps
    opportunities.created_at,
    latest.latest_entered_at,
    opportunities.as_of
from opportunities
left join furthest
    on furthest.opportunity_id = opportunities.opportunity_id
left join latest
    on latest.opportunity_id = opportunities.opportunity_id
