-- Each deviation report with the cluster of its free-text reason 偏差报告及其文本聚类.
with

reports as (

    select * from {{ ref('int_deviation_reports_joined_to_clusters') }}

)

select
    -- ids
    report_id,
    unit_id,
    {{ org_unit_name('reports.unit_id') }} as unit_name,
    cluster_id,
    -- reason
    reason_type,
    reason_text,
    similarity,
    -- amounts
    deviation_amount,
    -- dates and timestamps
    week_start,
    submitted_at,
    as_of
from reports
where {{ mart_is_available('fct_deviation_reports_clustered') }}
