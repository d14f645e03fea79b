with source as (

    select * from {{ source('landing', 'leads') }}

),

renamed as (

    select
        -- ids
        cast(lead_id as {{ dbt.type_string() }}) as lead_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(assigned_rep_id as {{ dbt.type_string() }}) as assigned_rep_id,
        -- attributes
        cast(source as {{ dbt.type_string() }}) as source,
        -- amounts and scores
        cast(quality_score as double) as quality_score,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        cast(first_response_at as timestamp) as first_response_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
