-- Attainment 目标达成 per org unit and month: bookings credited to the reps of the unit's
-- subtree ÷ the unit's assigned target (SPEC §5 "Attainment", a unit's assigned one).
with

placed as (

    select * from {{ ref('int_targets_placed') }}

),

bookings as (

    select * from {{ ref('int_bookings_credited') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

units as (

    select
        period,
        period_start,
        holder_id as unit_id,
        target_level as unit_level,
        amount as assigned_target
    from placed
    where target_level <> 'rep'

),

unit_bookings as (

    select
        units.period,
        units.unit_id,
        sum(bookings.amount) as bookings,
        count(*) as contract_count
    from units
    inner join closure
        on closure.ancestor_id = units.unit_id
    inner join bookings
        on bookings.team_id = closure.descendant_id
        and bookings.period = units.period
    group by units.period, units.unit_id

)

select
    -- keys
    units.period,
    units.period_start,
    units.unit_id,
    {{ org_unit_name('units.unit_id') }} as unit_name,
    units.unit_level,
    case
        when regime.structured_since <= units.period_start then 'structured'
        else 'traditional'
    end as process_regime,
    {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'units.period_start')) }}
        <= as_of.as_of as is_period_complete,
    -- amounts (yuan)
    units.assigned_target,
    coalesce(unit_bookings.bookings, 0) as bookings,
    cast(coalesce(unit_bookings.contract_count, 0) as {{ dbt.type_bigint() }}) as contract_count,
    -- rates
    coalesce(unit_bookings.bookings, 0) / nullif(units.assigned_target, 0) as attainment
from units
cross join as_of
left join unit_bookings
    on unit_bookings.period = units.period
    and unit_bookings.unit_id = units.unit_id
left join regime
    on regime.unit_id = units.unit_id
where {{ mart_is_available('fct_attainment_unit_month') }}
