with source as (

    select * from {{ source('landing', 'sop_cards') }}

),

renamed as (

    select
        -- ids
        cast(card_id as {{ dbt.type_string() }}) as card_id,
        nullif(trim(cast(author_rep_id as {{ dbt.type_string() }})), '') as author_rep_id,
        -- attributes
        cast(title as {{ dbt.type_string() }}) as title,
        cast(scenario as {{ dbt.type_string() }}) as scenario,
        cast(must_do as {{ dbt.type_string() }}) as must_do,
        cast(taboos as {{ dbt.type_string() }}) as taboos,
        cast(validation_points as {{ dbt.type_string() }}) as validation_points,
        nullif(trim(cast(industry as {{ dbt.type_string() }})), '') as industry,
        nullif(trim(cast(stage as {{ dbt.type_string() }})), '') as stage,
        cast(permission_level as {{ dbt.type_string() }}) as permission_level,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(status as {{ dbt.type_string() }}) as status,
        -- dates and timestamps
        cast(created_at as timestamp) as created_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
