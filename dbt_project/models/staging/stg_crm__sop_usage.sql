with source as (

    select * from {{ source('landing', 'sop_usage') }}

),

renamed as (

    select
        -- ids
        cast(usage_id as {{ dbt.type_string() }}) as usage_id,
        cast(card_id as {{ dbt.type_string() }}) as card_id,
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        nullif(trim(cast(opportunity_id as {{ dbt.type_string() }})), '') as opportunity_id,
        -- dates and timestamps
        cast(used_at as timestamp) as used_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
