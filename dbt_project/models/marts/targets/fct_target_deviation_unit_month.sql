-- Target deviation 目标偏差 averaged over the reps of each org unit and month (SPEC §5
-- "team average"): the mean of the rep-month deviation rates and attainment volatility of
-- the reps whose team is in the unit's subtree.
with

rep_months as (

    select * from {{ ref('fct_attainment_rep_month') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

),

rolled as (

    select
        rep_months.period,
        min(rep_months.period_start) as period_start,
        closure.ancestor_id as unit_id,
        count(*) as rep_count,
        sum(rep_months.committed_target) as committed_target_sum,
        sum(rep_months.bookings) as bookings_sum,
        avg(rep_months.target_deviation_rate) as avg_target_deviation_rate,
        avg(rep_months.attainment) as avg_attainment,
        avg(rep_months.attainment_volatility_pp) as avg_attainment_volatility_pp,
        count(rep_months.attainment_volatility_pp) as volatility_rep_count
    from rep_months
    inner join closure
        on closure.descendant_id = rep_months.team_id
    group by rep_months.period, closure.ancestor_id

)

select
    -- keys
    rolled.period,
    rolled.period_start,
    rolled.unit_id,
    cast(org_units.name as {{ dbt.type_string() }}) as unit_name,
    org_units.level as unit_level,
    case
        when regime.structured_since <= rolled.period_start then 'structured'
        else 'traditional'
    end as process_regime,
    -- counts
    cast(rolled.rep_count as {{ dbt.type_bigint() }}) as rep_count,
    cast(rolled.volatility_rep_count as {{ dbt.type_bigint() }}) as volatility_rep_count,
    -- amounts (yuan)
    rolled.committed_target_sum,
    rolled.bookings_sum,
    -- rates
    rolled.avg_target_deviation_rate,
    rolled.avg_attainment,
    rolled.avg_attainment_volatility_pp
from rolled
left join org_units
    on org_units.unit_id = rolled.unit_id
left join regime
    on regime.unit_id = rolled.unit_id
where {{ mart_is_available('fct_target_deviation_unit_month') }}
