-- Cluster of each deviation report; one row per report with text.
with source as (

    {{ asset_file_source('deviation_reasons', 'deviation_reason_assignments', [
        ('report_id', dbt.type_string()),
        ('cluster_id', dbt.type_bigint()),
        ('similarity', 'double'),
    ]) }}

)

select
    -- ids
    report_id,
    cluster_id,
    -- scores
    similarity
from source
