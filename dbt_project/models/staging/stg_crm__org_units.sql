with source as (

    select * from {{ source('landing', 'org_units') }}

),

renamed as (

    select
        -- ids
        cast(unit_id as varchar) as unit_id,
        nullif(trim(cast(parent_id as varchar)), '') as parent_id,
        -- attributes
        cast(level as varchar) as level,
        cast(name as varchar) as name,
        -- dates and timestamps
        cast(structured_since as date) as structured_since,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
