-- Cluster of each deviation report; one row per report with text.
with source as (

    {{ deviation_reasons_source('deviation_reason_assignments', [
        ('report_id', 'varchar'),
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
