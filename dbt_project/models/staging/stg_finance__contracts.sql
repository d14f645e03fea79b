with source as (

    select * from {{ source('landing', 'contracts') }}

),

renamed as (

    select
        -- ids
        cast(contract_id as {{ dbt.type_string() }}) as contract_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
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
