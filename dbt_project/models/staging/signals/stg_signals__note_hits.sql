-- Dictionary keyword hits in activity notes from the signals asset; one row per activity ×
-- keyword × negated.
with source as (

    {{ asset_file_source('signals', 'note_hits', [
        ('activity_id', 'varchar'),
        ('opportunity_id', 'varchar'),
        ('rep_id', 'varchar'),
        ('occurred_at', 'timestamp'),
        ('keyword', 'varchar'),
        ('category', 'varchar'),
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
