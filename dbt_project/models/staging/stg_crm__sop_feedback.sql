with source as (

    select * from {{ source('landing', 'sop_feedback') }}

),

renamed as (

    select
        -- ids
        cast(usage_id as {{ dbt.type_string() }}) as usage_id,
        -- attributes
        cast(verdict as {{ dbt.type_string() }}) as verdict,
        nullif(trim(cast(reason_text as {{ dbt.type_string() }})), '') as reason_text,
        -- dates and timestamps
        cast(submitted_at as timestamp) as submitted_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
