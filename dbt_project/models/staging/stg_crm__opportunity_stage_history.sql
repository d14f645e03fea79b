with source as (

    select * from {{ source('landing', 'opportunity_stage_history') }}

),

renamed as (

    select
        -- ids
        cast(opportunity_id as varchar) as opportunity_id,
        -- attributes
        cast(stage as varchar) as stage,
        cast(changed_by as varchar) as changed_by,
        -- amounts and scores
        cast(probability as double) as probability,
        -- dates and timestamps
        cast(entered_at as timestamp) as entered_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
