with source as (

    select * from {{ source('landing', 'payments') }}

),

renamed as (

    select
        -- ids
        cast(payment_id as {{ dbt.type_string() }}) as payment_id,
        cast(contract_id as {{ dbt.type_string() }}) as contract_id,
        -- amounts and scores
        cast(amount as decimal(18,2)) as amount,
        -- dates and timestamps
        cast(received_at as timestamp) as received_at,
        cast(recorded_in_finance_at as timestamp) as recorded_in_finance_at,
        cast(synced_to_crm_at as timestamp) as synced_to_crm_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
