with source as (

    select * from {{ source('landing', 'targets') }}

),

renamed as (

    select
        -- ids
        cast(unit_id as {{ dbt.type_string() }}) as unit_id,
        -- attributes
        cast(period as {{ dbt.type_string() }}) as period,
        cast(level as {{ dbt.type_string() }}) as level,
        cast(kind as {{ dbt.type_string() }}) as kind,
        -- amounts and scores
        cast(amount as decimal(18,2)) as amount,
        -- dates and timestamps
        cast(signed_at as timestamp) as signed_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
