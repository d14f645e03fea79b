with source as (

    select * from {{ source('landing', 'customers') }}

),

renamed as (

    select
        -- ids
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(city_id as {{ dbt.type_string() }}) as city_id,
        -- attributes
        cast(name as {{ dbt.type_string() }}) as name,
        cast(industry as {{ dbt.type_string() }}) as industry,
        cast(size_band as {{ dbt.type_string() }}) as size_band,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
