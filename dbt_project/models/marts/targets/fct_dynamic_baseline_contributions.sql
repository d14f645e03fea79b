-- Dynamic baseline 动态基线 explained: one row per rep-month × driver, the driver's value
-- before the month and its contribution to the rep's baseline (SPEC §6).
with

contributions as (

    select * from {{ ref('stg_ml__baseline_contributions') }}

),

attainment as (

    select * from {{ ref('fct_attainment_rep_month') }}

)

select
    -- grain
    contributions.rep_id,
    contributions.month_start,
    contributions.driver,
    attainment.period,
    attainment.team_id,
    -- the driver before the month
    contributions.driver_value,
    contributions.standardised_value,
    -- yuan per standard deviation, and the contribution (yuan)
    contributions.coefficient,
    contributions.contribution
from contributions
inner join attainment
    on attainment.rep_id = contributions.rep_id
    and attainment.period_start = contributions.month_start
where {{ mart_is_available('fct_dynamic_baseline_contributions') }}
