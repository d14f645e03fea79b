-- Every CRM extract of the opportunities, not only the latest: one row per opportunity per
-- extract date (bronze/_history/opportunities.parquet, written by the ingest). A bronze layer
-- written without the history (before it existed, or by hand) falls back to the latest
-- extract alone, dated by its latest timestamp, so the snapshot still builds.
{%- set history = source('landing_history', 'opportunities') %}
{%- set latest = source('landing', 'opportunities') %}

with source as (

    {%- if execute and not source_file_exists(history) %}

    select
        *,
        cast(max(coalesce(closed_at, created_at)) over () as date) as _extract_date
    from {{ latest }}

    {%- else %}

    select * from {{ history }}

    {%- endif %}

),

renamed as (

    select
        -- ids
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
        -- attributes
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(expected_close_date as {{ dbt.type_string() }}) as expected_close_date,
        nullif(trim(cast(loss_reason_code as {{ dbt.type_string() }})), '') as loss_reason_code,
        nullif(trim(cast(loss_reason_text as {{ dbt.type_string() }})), '') as loss_reason_text,
        -- amounts and scores
        cast(amount as decimal(18,2)) as amount,
        cast(forecast_amount as decimal(18,2)) as forecast_amount,
        cast(probability as double) as probability,
        cast(requirement_doc_amount as decimal(18,2)) as requirement_doc_amount,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        cast(closed_at as timestamp) as closed_at,
        cast(_extract_date as date) as extract_date,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
