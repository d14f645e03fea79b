with source as (

    select * from {{ source('landing', 'deviation_reports') }}

),

renamed as (

    select
        -- ids
        cast(report_id as {{ dbt.type_string() }}) as report_id,
        cast(unit_id as {{ dbt.type_string() }}) as unit_id,
        -- attributes
        cast(reason_type as {{ dbt.type_string() }}) as reason_type,
        cast(reason_text as {{ dbt.type_string() }}) as reason_text,
        -- amounts and scores
        cast(deviation_amount as decimal(18,2)) as deviation_amount,
        -- dates and timestamps
        cast(week as date) as week,
        cast(submitted_at as timestamp) as submitted_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
