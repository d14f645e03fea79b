with source as (

    select * from {{ source('landing', 'chat_messages') }}

),

renamed as (

    select
        -- ids
        cast(message_id as {{ dbt.type_string() }}) as message_id,
        cast(conversation_id as {{ dbt.type_string() }}) as conversation_id,
        nullif(trim(cast(opportunity_id as {{ dbt.type_string() }})), '') as opportunity_id,
        cast(rep_id as {{ dbt.type_string() }}) as rep_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        -- attributes
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(sender as {{ dbt.type_string() }}) as sender,
        cast(text as {{ dbt.type_string() }}) as text,
        -- dates and timestamps
        cast(sent_at as timestamp) as sent_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
