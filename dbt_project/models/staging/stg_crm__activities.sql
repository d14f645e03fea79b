with source as (

    select * from {{ source('landing', 'activities') }}

),

renamed as (

    select
        -- ids
        cast(activity_id as varchar) as activity_id,
        cast(rep_id as varchar) as rep_id,
        nullif(trim(cast(opportunity_id as varchar)), '') as opportunity_id,
        nullif(trim(cast(visit_id as varchar)), '') as visit_id,
        -- attributes
        cast(kind as varchar) as kind,
        nullif(trim(cast(node as varchar)), '') as node,
        nullif(trim(cast(note as varchar)), '') as note,
        -- dates and timestamps
        cast(occurred_at as timestamp) as occurred_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
