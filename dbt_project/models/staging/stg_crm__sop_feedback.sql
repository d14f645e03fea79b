with source as (

    select * from {{ source('landing', 'sop_feedback') }}

),

renamed as (

    select
        -- ids
        cast(usage_id as varchar) as usage_id,
        -- attributes
        cast(verdict as varchar) as verdict,
        nullif(trim(cast(reason_text as varchar)), '') as reason_text,
        -- dates and timestamps
        cast(submitted_at as timestamp) as submitted_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
