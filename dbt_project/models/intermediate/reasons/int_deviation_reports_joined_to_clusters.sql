-- Deviation reports submitted on or before as_of, with the cluster of their free text (from
-- the deviation_reasons asset; empty cluster when the text is empty or the asset has not run).
with

reports as (

    select * from {{ ref('stg_crm__deviation_reports') }}

),

assignments as (

    select * from {{ ref('stg_deviation_reasons__assignments') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

)

select
    -- ids
    reports.report_id,
    reports.unit_id,
    assignments.cluster_id,
    -- attributes
    reports.reason_type,
    reports.reason_text,
    assignments.similarity,
    -- amounts
    reports.deviation_amount,
    -- dates and timestamps
    cast({{ dbt.date_trunc('week', 'reports.week') }} as date) as week_start,
    reports.submitted_at,
    as_of.as_of
from reports
cross join as_of
left join assignments
    on assignments.report_id = reports.report_id
where cast(reports.submitted_at as date) <= as_of.as_of
