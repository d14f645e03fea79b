with source as (

    select * from {{ source('landing', 'activities') }}

),

renamed as (

    select
        -- ids
        cast(activity_id as {{ dbt.type_string() }}) as activity_id,
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        nullif(trim(cast(opportunity_id as {{ dbt.type_string() }})), '') as opportunity_id,
        nullif(trim(cast(visit_id as {{ dbt.type_string() }})), '') as visit_id,
        -- attributes
        cast(kind as {{ dbt.type_string() }}) as kind,
        nullif(trim(cast(node as {{ dbt.type_string() }})), '') as node,
        nullif(trim(cast(note as {{ dbt.type_string() }})), '') as note,
        -- dates and timestamps
        cast(occurred_at as timestamp) as occurred_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
