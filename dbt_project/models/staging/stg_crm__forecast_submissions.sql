with source as (

    select * from {{ source('landing', 'forecast_submissions') }}

),

renamed as (

    select
        -- ids
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        -- attributes
        cast(period as {{ dbt.type_string() }}) as period,
        -- amounts and scores
        cast(amount as decimal(18,2)) as amount,
        -- dates and timestamps
        cast(submitted_at as timestamp) as submitted_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
