with source as (

    select * from {{ source('landing', 'external_contacts') }}

),

renamed as (

    select
        -- ids
        cast(contact_id as varchar) as contact_id,
        nullif(trim(cast(follow_user_id as varchar)), '') as follow_user_id,
        nullif(trim(cast(customer_id as varchar)), '') as customer_id,
        -- attributes
        nullif(trim(cast(name as varchar)), '') as name,
        nullif(trim(cast(corp_name as varchar)), '') as corp_name,
        -- dates and timestamps
        cast(added_at as timestamp) as added_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
