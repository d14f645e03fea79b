-- Free-text deviation reasons clustered 偏差原因文本聚类, each with its linked SOP cards.
with

reports as (

    select * from {{ ref('int_deviation_reports_joined_to_clusters') }}
    where cluster_id is not null

),

clusters as (

    select * from {{ ref('stg_deviation_reasons__clusters') }}

),

links as (

    select * from {{ ref('fct_deviation_reason_cluster_cards') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

per_cluster as (

    select
        cluster_id,
        count(*) as report_count,
        count(distinct unit_id) as unit_count,
        min(week_start) as first_week_start,
        max(week_start) as last_week_start
    from reports
    group by cluster_id

),

per_type as (

    select
        cluster_id,
        reason_type,
        count(*) as type_count,
        row_number() over (
            partition by cluster_id
            order by count(*) desc, reason_type
        ) as type_rank
    from reports
    group by cluster_id, reason_type

),

card_lists as (

    select
        cluster_id,
        count(*) as linked_card_count,
        {{ dbt.listagg('card_title', "' | '", 'order by link_rank') }} as linked_card_titles
    from links
    group by cluster_id

),

top_cards as (

    select * from links
    where link_rank = 1

)

select
    -- ids
    clusters.cluster_id,
    top_cards.card_id as top_card_id,
    -- label
    clusters.label,
    clusters.top_terms,
    -- reports as of as_of
    cast(coalesce(per_cluster.report_count, 0) as {{ dbt.type_bigint() }}) as report_count,
    cast(coalesce(per_cluster.unit_count, 0) as {{ dbt.type_bigint() }}) as unit_count,
    per_type.reason_type as main_reason_type,
    cast(per_type.type_count as {{ type_double() }}) / per_cluster.report_count as main_reason_type_share,
    -- SOP cards
    top_cards.card_title as top_card_title,
    top_cards.card_status as top_card_status,
    cast(coalesce(card_lists.linked_card_count, 0) as {{ dbt.type_bigint() }}) as linked_card_count,
    card_lists.linked_card_titles,
    -- dates
    per_cluster.first_week_start,
    per_cluster.last_week_start,
    as_of.as_of
from clusters
cross join as_of
left join per_cluster
    on per_cluster.cluster_id = clusters.cluster_id
left join per_type
    on per_type.cluster_id = clusters.cluster_id
    and per_type.type_rank = 1
left join card_lists
    on card_lists.cluster_id = clusters.cluster_id
left join top_cards
    on top_cards.cluster_id = clusters.cluster_id
where {{ mart_is_available('fct_deviation_reason_clusters') }}
