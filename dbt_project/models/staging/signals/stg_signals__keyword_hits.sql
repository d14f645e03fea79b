-- Dictionary keyword hits from the signals asset; one row per message × keyword × negated.
with source as (

    {{ asset_file_source('signals', 'keyword_hits', [
        ('message_id', 'varchar'),
        ('conversation_id', 'varchar'),
        ('opportunity_id', 'varchar'),
        ('rep_id', 'varchar'),
        ('sender', 'varchar'),
        ('sent_at', 'timestamp'),
        ('keyword', 'varchar'),
        ('category', 'varchar'),
        ('negated', 'boolean'),
    ]) }}

),

renamed as (

    select
        -- ids
        message_id,
        conversation_id,
        nullif(trim(opportunity_id), '') as opportunity_id,
        rep_id,
        -- attributes
        sender,
        keyword,
        category,
        negated,
        -- timestamps
        sent_at
    from source

)

select * from renamed
