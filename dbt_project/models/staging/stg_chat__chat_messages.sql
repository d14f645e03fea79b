with source as (

    select * from {{ source('landing', 'chat_messages') }}

),

renamed as (

    select
        -- ids
        cast(message_id as varchar) as message_id,
        cast(conversation_id as varchar) as conversation_id,
        nullif(trim(cast(opportunity_id as varchar)), '') as opportunity_id,
        cast(rep_id as varchar) as rep_id,
        cast(contact_id as varchar) as contact_id,
        -- attributes
        cast(channel as varchar) as channel,
        cast(sender as varchar) as sender,
        cast(text as varchar) as text,
        -- dates and timestamps
        cast(sent_at as timestamp) as sent_at,
        -- lineage
        _source_file,
        _source_line

    from source

)

select * from renamed
