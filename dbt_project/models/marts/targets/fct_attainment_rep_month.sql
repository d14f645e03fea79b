-- Attainment and target deviation 目标达成与偏差 per rep and month (SPEC §5): bookings ÷
-- committed target, |bookings − committed| ÷ committed, and the standard deviation of the
-- rep's monthly attainment over the trailing 6 months (pp), taken only over months worked
-- under the same process regime as this one.
with

placed as (

    select * from {{ ref('int_targets_placed') }}

),

bookings as (

    select * from {{ ref('int_bookings_credited') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

rep_bookings as (

    select
        rep_id,
        period,
        sum(amount) as bookings,
        count(*) as contract_count
    from bookings
    where rep_id is not null
    group by rep_id, period

),

rep_months as (

    select
        placed.period,
        placed.period_start,
        placed.rep_id,
        placed.anchor_unit_id as team_id,
        placed.amount as committed_target,
        coalesce(rep_bookings.bookings, 0) as bookings,
        coalesce(rep_bookings.contract_count, 0) as contract_count,
        case
            when regime.structured_since <= placed.period_start then 'structured'
            else 'traditional'
        end as process_regime,
        {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'placed.period_start')) }}
            <= as_of.as_of as is_period_complete
    from placed
    cross join as_of
    left join rep_bookings
        on rep_bookings.rep_id = placed.rep_id
        and rep_bookings.period = placed.period
    left join regime
        on regime.unit_id = placed.anchor_unit_id
    where placed.target_level = 'rep'

),

scored as (

    select
        *,
        bookings / nullif(committed_target, 0) as attainment,
        abs(bookings - committed_target) / nullif(committed_target, 0) as target_deviation_rate
    from rep_months

),

trailing_window as (

    select
        scored.rep_id,
        scored.period,
        count(window_months.attainment) as window_months,
        stddev_samp(window_months.attainment) * 100 as volatility_pp
    from scored
    inner join scored as window_months
        on window_months.rep_id = scored.rep_id
        and window_months.process_regime = scored.process_regime
        and window_months.period_start <= scored.period_start
        and window_months.period_start > {{ dbt.dateadd('month', -6, 'scored.period_start') }}
    group by scored.rep_id, scored.period

)

select
    -- keys
    scored.period,
    scored.period_start,
    scored.rep_id,
    scored.team_id,
    scored.process_regime,
    scored.is_period_complete,
    -- amounts (yuan)
    scored.committed_target,
    scored.bookings,
    cast(scored.contract_count as {{ dbt.type_bigint() }}) as contract_count,
    -- rates
    scored.attainment,
    scored.target_deviation_rate,
    case when trailing_window.window_months = 6 then trailing_window.volatility_pp end as attainment_volatility_pp,
    cast(trailing_window.window_months as {{ dbt.type_bigint() }}) as volatility_window_months
from scored
left join trailing_window
    on trailing_window.rep_id = scored.rep_id
    and trailing_window.period = scored.period
where {{ mart_is_available('fct_attainment_rep_month') }}
