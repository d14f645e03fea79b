-- Weekly term counts from the signals asset; one row per rep × ISO week × token (a run of 1-4
-- tokens, n_tokens long: ml/chat_signals/terms.py).
with source as (

    {{ asset_file_source('signals', 'token_counts', [
        ('rep_id', dbt.type_string()),
        ('week_start', 'date'),
        ('token', dbt.type_string()),
        ('n_tokens', 'integer'),
        ('messages', dbt.type_bigint()),
    ]) }}

),

renamed as (

    select
        -- ids
        rep_id,
        -- attributes
        token,
        n_tokens,
        -- counts
        messages,
        -- dates
        week_start
    from source

)

select * from renamed
