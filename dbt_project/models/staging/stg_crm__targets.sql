with source as (

    select * from {{ source('landing', 'targets') }}

),

renamed as (

    select
        -- ids
        cast(unit_id as varchar) as unit_id,
        -- attributes
        cast(period as varchar) as period,
        cast(level as varchar) as level,
        cast(kind as varchar) as kind,
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
