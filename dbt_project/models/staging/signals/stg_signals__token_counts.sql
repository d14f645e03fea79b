-- Weekly token counts from the signals asset; one row per rep × ISO week × token.
with source as (

    {{ signals_source('token_counts', [
        ('rep_id', 'varchar'),
        ('week_start', 'date'),
        ('token', 'varchar'),
        ('messages', dbt.type_bigint()),
    ]) }}

),

renamed as (

    select
        -- ids
        rep_id,
        -- attributes
        token,
        -- counts
        messages,
        -- dates
        week_start
    from source

)

select * from renamed
