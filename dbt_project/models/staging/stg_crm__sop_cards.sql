with source as (

    select * from {{ source('landing', 'sop_cards') }}

),

renamed as (

    select
        -- ids
        cast(card_id as varchar) as card_id,
        nullif(trim(cast(author_rep_id as varchar)), '') as author_rep_id,
        -- attributes
        cast(title as varchar) as title,
        cast(scenario as varchar) as scenario,
        cast(must_do as varchar) as must_do,
        cast(taboos as varchar) as taboos,
        cast(validation_points as varchar) as validation_points,
        nullif(trim(cast(industry as varchar)), '') as industry,
        nullif(trim(cast(stage as varchar)), '') as stage,
        cast(permission_level as varchar) as permission_level,
        cast(source as varchar) as source,
        cast(status as varchar) as status,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
