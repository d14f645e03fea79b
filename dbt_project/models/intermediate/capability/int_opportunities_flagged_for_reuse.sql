-- Best-practice reuse per opportunity (SPEC §5): eligible when a card exists for its
-- scenario — a non-draft card created on or before the opportunity was last active (closed
-- date, or as_of while open) whose industry is the customer's or all and whose stage is one
-- the opportunity reached (or all) — and reused when any card was used on it by as_of.
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_scenario') }}

),

cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

usages as (

    select * from {{ ref('int_sop_usages_joined_to_feedback') }}

),

scenario_cards as (

    select
        card_id,
        industry,
        {{ stage_order('stage') }} as stage_order,
        stage,
        cast(created_at as date) as created_on
    from cards
    where status <> 'draft'

),

eligible as (

    select distinct opportunities.opportunity_id
    from opportunities
    inner join scenario_cards
        on scenario_cards.created_on <= opportunities.active_until
        and (scenario_cards.industry is null or scenario_cards.industry = opportunities.industry)
        and (
            scenario_cards.stage is null
            or scenario_cards.stage_order <= opportunities.furthest_open_stage_order
        )

),

reused as (

    select distinct opportunity_id
    from usages
    where opportunity_id is not null

)

select
    opportunities.opportunity_id,
    opportunities.team_id,
    opportunities.process_regime,
    opportunities.created_on,
    cast({{ dbt.date_trunc('month', 'opportunities.created_on') }} as date) as created_month,
    eligible.opportunity_id is not null as is_eligible,
    reused.opportunity_id is not null as is_reused,
    opportunities.as_of
from opportunities
left join eligible
    on eligible.opportunity_id = opportunities.opportunity_id
left join reused
    on reused.opportunity_id = opportunities.opportunity_id
