with source as (

    select * from {{ source('landing', 'opportunities') }}

),

renamed as (

    select
        -- ids
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
        -- attributes
        cast(product_line as {{ dbt.type_string() }}) as product_line,
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
        -- the amount as exported, when the ingest converted it to yuan
        cast(amount_original as decimal(18,2)) as amount_original,
        nullif(trim(cast(currency as {{ dbt.type_string() }})), '') as currency,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        cast(closed_at as timestamp) as closed_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
