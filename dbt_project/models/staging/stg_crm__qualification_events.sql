with source as (

    select * from {{ source('landing', 'qualification_events') }}

),

renamed as (

    select
        -- ids
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        -- attributes
        cast(kind as {{ dbt.type_string() }}) as kind,
        -- dates and timestamps
        cast(recorded_at as timestamp) as recorded_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
