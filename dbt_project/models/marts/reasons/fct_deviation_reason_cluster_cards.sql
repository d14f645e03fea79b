-- SOP cards linked to each deviation-reason cluster 聚类关联SOP卡, best link first.
with

links as (

    select * from {{ ref('stg_deviation_reasons__card_links') }}

),

cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

)

select
    -- ids
    links.cluster_id,
    links.card_id,
    -- link
    links.link_rank,
    links.link_score,
    links.matched_terms,
    -- card
    cards.title as card_title,
    cards.scenario as card_scenario,
    cards.status as card_status,
    cards.industry as card_industry,
    cards.stage as card_stage,
    as_of.as_of
from links
inner join cards
    on cards.card_id = links.card_id
cross join as_of
where cast(cards.created_at as date) <= as_of.as_of
    and {{ mart_is_available('fct_deviation_reason_cluster_cards') }}
