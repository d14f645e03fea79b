with source as (

    select * from {{ source('landing', 'external_contacts') }}

),

renamed as (

    select
        -- ids
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        nullif(trim(cast(follow_user_id as {{ dbt.type_string() }})), '') as follow_user_id,
        nullif(trim(cast(customer_id as {{ dbt.type_string() }})), '') as customer_id,
        -- attributes
        nullif(trim(cast(name as {{ dbt.type_string() }})), '') as name,
        nullif(trim(cast(corp_name as {{ dbt.type_string() }})), '') as corp_name,
        -- dates and timestamps
        cast(added_at as timestamp) as added_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
