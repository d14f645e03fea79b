with source as (

    select * from {{ source('landing', 'org_units') }}

),

renamed as (

    select
        -- ids
        cast(unit_id as {{ dbt.type_string() }}) as unit_id,
        nullif(trim(cast(parent_id as {{ dbt.type_string() }})), '') as parent_id,
        -- attributes
        cast(level as {{ dbt.type_string() }}) as level,
        cast(name as {{ dbt.type_string() }}) as name,
        -- dates and timestamps
        cast(structured_since as date) as structured_since,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
