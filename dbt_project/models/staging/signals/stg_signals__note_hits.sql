-- Dictionary keyword hits in activity notes from the signals asset; one row per activity ×
-- keyword × negated.
with source as (

    {{ asset_file_source('signals', 'note_hits', [
        ('activity_id', dbt.type_string()),
        ('opportunity_id', dbt.type_string()),
        ('rep_id', dbt.type_string()),
        ('occurred_at', 'timestamp'),
        ('keyword', dbt.type_string()),
        ('category', dbt.type_string()),
        ('negated', 'boolean'),
    ]) }}

),

renamed as (

    select
        -- ids
        activity_id,
        nullif(trim(opportunity_id), '') as opportunity_id,
        rep_id,
        -- attributes
        keyword,
        category,
        negated,
        -- timestamps
        occurred_at
    from source

)

select * from renamed
