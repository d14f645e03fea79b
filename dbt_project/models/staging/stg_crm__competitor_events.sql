with source as (

    select * from {{ source('landing', 'competitor_events') }}

),

renamed as (

    select
        -- ids
        cast(region_id as {{ dbt.type_string() }}) as region_id,
        -- attributes
        cast(competitor as {{ dbt.type_string() }}) as competitor,
        cast(kind as {{ dbt.type_string() }}) as kind,
        -- amounts and scores
        cast(magnitude as double) as magnitude,
        -- dates and timestamps
        cast(occurred_on as date) as occurred_on,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
