with source as (

    select * from {{ source('landing', 'market_events') }}

),

renamed as (

    select
        -- ids
        nullif(trim(cast(region_id as {{ dbt.type_string() }})), '') as region_id,
        -- attributes
        cast(name as {{ dbt.type_string() }}) as name,
        -- amounts and scores
        cast(expected_uplift as double) as expected_uplift,
        -- dates and timestamps
        cast(start_on as date) as start_on,
        cast(end_on as date) as end_on,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
