with source as (

    select * from {{ source('landing', 'opportunity_stage_history') }}

),

renamed as (

    select
        -- ids
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        -- attributes
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(changed_by as {{ dbt.type_string() }}) as changed_by,
        -- empty for a CRM history row; what a derived row rests on otherwise
        nullif(trim(cast(derived_from as {{ dbt.type_string() }})), '') as derived_from,
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
