-- Deviation-reason clusters from the deviation_reasons asset; one row per cluster.
with source as (

    {{ asset_file_source('deviation_reasons', 'deviation_reason_clusters', [
        ('cluster_id', dbt.type_bigint()),
        ('label', dbt.type_string()),
        ('top_terms', dbt.type_string()),
        ('report_count', dbt.type_bigint()),
        ('distinct_texts', dbt.type_bigint()),
    ]) }}

)

select
    -- ids
    cluster_id,
    -- attributes
    label,
    top_terms,
    -- counts
    report_count,
    distinct_texts
from source
