-- Dictionary keyword hits from the signals asset; one row per message × keyword × negated.
with source as (

    {{ asset_file_source('signals', 'keyword_hits', [
        ('message_id', dbt.type_string()),
        ('conversation_id', dbt.type_string()),
        ('opportunity_id', dbt.type_string()),
        ('rep_id', dbt.type_string()),
        ('sender', dbt.type_string()),
        ('sent_at', 'timestamp'),
        ('keyword', dbt.type_string()),
        ('category', dbt.type_string()),
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
