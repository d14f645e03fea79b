with source as (

    select * from {{ source('landing', 'leads') }}

),

renamed as (

    select
        -- ids
        cast(lead_id as varchar) as lead_id,
        cast(customer_id as varchar) as customer_id,
        cast(assigned_rep_id as varchar) as assigned_rep_id,
        -- attributes
        cast(source as varchar) as source,
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
