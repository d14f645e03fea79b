with source as (

    select * from {{ source('landing', 'target_adjustments') }}

),

renamed as (

    select
        -- ids
        cast(request_id as {{ dbt.type_string() }}) as request_id,
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        -- attributes
        cast(period as {{ dbt.type_string() }}) as period,
        cast(status as {{ dbt.type_string() }}) as status,
        -- amounts and scores
        cast(old_amount as decimal(18,2)) as old_amount,
        cast(new_amount as decimal(18,2)) as new_amount,
        -- dates and timestamps
        cast(requested_at as timestamp) as requested_at,
        cast(decided_at as timestamp) as decided_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
