with source as (

    select * from {{ source('landing', 'deviation_reports') }}

),

renamed as (

    select
        -- ids
        cast(report_id as varchar) as report_id,
        cast(unit_id as varchar) as unit_id,
        -- attributes
        cast(reason_type as varchar) as reason_type,
        cast(reason_text as varchar) as reason_text,
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
