with source as (

    select * from {{ source('landing', 'customers') }}

),

renamed as (

    select
        -- ids
        cast(customer_id as varchar) as customer_id,
        cast(city_id as varchar) as city_id,
        -- attributes
        cast(name as varchar) as name,
        cast(industry as varchar) as industry,
        cast(size_band as varchar) as size_band,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
