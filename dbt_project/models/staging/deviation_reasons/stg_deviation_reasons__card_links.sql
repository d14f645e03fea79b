-- SOP cards linked to each deviation-reason cluster; one row per cluster × card.
with source as (

    {{ asset_file_source('deviation_reasons', 'deviation_reason_card_links', [
        ('cluster_id', dbt.type_bigint()),
        ('card_id', dbt.type_string()),
        ('link_rank', dbt.type_bigint()),
        ('link_score', 'double'),
        ('matched_terms', dbt.type_string()),
    ]) }}

)

select
    -- ids
    cluster_id,
    card_id,
    -- link
    link_rank,
    link_score,
    matched_terms
from source
