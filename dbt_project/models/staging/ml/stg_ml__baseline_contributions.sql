-- Driver contributions to the dynamic baselines; one row per rep-month × driver.
with source as (

    {{ asset_file_source('ml', 'baseline_contributions', [
        ('rep_id', dbt.type_string()),
        ('month_start', 'date'),
        ('driver', dbt.type_string()),
        ('driver_value', type_double()),
        ('standardised_value', type_double()),
        ('coefficient', type_double()),
        ('contribution', type_double()),
    ]) }}

)

select
    -- grain
    rep_id,
    month_start,
    driver,
    -- the driver before the month
    driver_value,
    standardised_value,
    -- yuan per standard deviation, and this rep-month's contribution (yuan)
    coefficient,
    contribution
from source
