-- Forecast accuracy 预测准确度 per scope, period, lock point and tenure cohort (SPEC §5
-- Forecasting): how close each forecast was, as it stood on day 1, 8, 15 and 22 of the month,
-- to what was booked. A scope is a rep, or an org unit of any level with every rep of the
-- teams under it; a unit's forecast F is the sum of its reps' latest submissions at the lock
-- and its bookings A those of every rep of the scope, forecast or not. The measures are the
-- macros of macros/forecast_accuracy.sql.
with

rep_locks as (

    select * from {{ ref('int_forecast_lock_points_scored') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

-- each rep at each lock point, flagged once: rep rows show the flags, unit rows sum them
rep_members as (

    select
        rep_locks.*,
        case when rep_locks.has_forecast then 1 else 0 end as reps_forecasting,
        case when rep_locks.booked_amount > 0 then 1 else 0 end as reps_booking,
        case when rep_locks.booked_amount > 0 and not rep_locks.has_forecast then 1 else 0 end
            as reps_without_forecast
    from rep_locks

),

rep_scopes as (

    select
        'rep' as scope_level,
        rep_id as scope_id,
        team_id as unit_id,
        rep_id,
        period,
        period_start,
        lock_day,
        tenure_cohort,
        is_period_complete,
        reps_forecasting,
        reps_booking,
        reps_without_forecast,
        forecast_amount,
        booked_amount,
        case when has_forecast then abs_error end as abs_error_sum,
        submitted_at,
        as_of
    from rep_members

),

rolled_up as (

    {{ roll_up_to_org_units('rep_members', 'closure', 'org_units') }}

),

-- every unit row counts all its reps ('all', unknown tenure included) and each known cohort
cohorted as (

    {{ with_unit_tenure_cohorts('rolled_up') }}

),

-- F and Σ|F_i − A_i| exist only where some rep of the scope had a forecast at the lock
unit_scopes as (

    select
        org_units.level as scope_level,
        cohorted.unit_id as scope_id,
        cohorted.unit_id,
        cast(null as {{ dbt.type_string() }}) as rep_id,
        cohorted.period,
        cohorted.period_start,
        cohorted.lock_day,
        cohorted.scope_cohort as tenure_cohort,
        cohorted.is_period_complete,
        sum(cohorted.reps_forecasting) as reps_forecasting,
        sum(cohorted.reps_booking) as reps_booking,
        sum(cohorted.reps_without_forecast) as reps_without_forecast,
        case
            when sum(cohorted.reps_forecasting) > 0 then sum(coalesce(cohorted.forecast_amount, 0))
        end as forecast_amount,
        sum(cohorted.booked_amount) as booked_amount,
        case when sum(cohorted.reps_forecasting) > 0 then sum(cohorted.abs_error) end as abs_error_sum,
        cast(null as {{ dbt.type_timestamp() }}) as submitted_at,
        cohorted.as_of
    from cohorted
    inner join org_units
        on org_units.unit_id = cohorted.unit_id
    group by
        org_units.level,
        cohorted.unit_id,
        cohorted.period,
        cohorted.period_start,
        cohorted.lock_day,
        cohorted.scope_cohort,
        cohorted.is_period_complete,
        cohorted.as_of

),

scopes as (

    -- same columns in the same order
    select * from unit_scopes
    union all
    select * from rep_scopes

)

select
    -- keys
    cast(scopes.scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(scopes.scope_id as {{ dbt.type_string() }}) as scope_id,
    case
        when scopes.scope_level = 'rep' then cast(reps.name as {{ dbt.type_string() }})
        else {{ org_unit_name('scopes.unit_id') }}
    end as scope_name,
    cast(scopes.unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('scopes.unit_id') }} as unit_name,
    cast(scopes.rep_id as {{ dbt.type_string() }}) as rep_id,
    cast(scopes.period as {{ dbt.type_string() }}) as period,
    cast(scopes.period_start as date) as period_start,
    cast(scopes.lock_day as {{ dbt.type_bigint() }}) as lock_day,
    cast({{ dbt.dateadd('day', 'scopes.lock_day - 1', 'scopes.period_start') }} as date) as lock_date,
    cast(scopes.tenure_cohort as {{ dbt.type_string() }}) as tenure_cohort,
    -- context
    cast(
        case
            when scopes.unit_id is null then null
            when regime.structured_since <= scopes.period_start then 'structured'
            else 'traditional'
        end as {{ dbt.type_string() }}
    ) as process_regime,
    scopes.is_period_complete,
    -- counts
    cast(scopes.reps_forecasting as {{ dbt.type_bigint() }}) as reps_forecasting,
    cast(scopes.reps_booking as {{ dbt.type_bigint() }}) as reps_booking,
    cast(scopes.reps_without_forecast as {{ dbt.type_bigint() }}) as reps_without_forecast,
    -- amounts (yuan)
    cast(scopes.forecast_amount as {{ type_double() }}) as forecast_amount,
    cast(scopes.booked_amount as {{ type_double() }}) as booked_amount,
    cast(scopes.abs_error_sum as {{ type_double() }}) as abs_error_sum,
    -- rates
    cast({{ forecast_accuracy('scopes.forecast_amount', 'scopes.booked_amount') }} as {{ type_double() }})
        as forecast_accuracy,
    cast({{ forecast_wape('scopes.abs_error_sum', 'scopes.booked_amount') }} as {{ type_double() }})
        as forecast_wape,
    cast({{ forecast_bias('scopes.forecast_amount', 'scopes.booked_amount') }} as {{ type_double() }})
        as forecast_bias,
    -- timestamps
    cast(scopes.submitted_at as {{ dbt.type_timestamp() }}) as submitted_at,
    cast(scopes.as_of as date) as as_of
from scopes
left join reps
    on reps.rep_id = scopes.rep_id
left join regime
    on regime.unit_id = scopes.unit_id
where {{ mart_is_available('fct_forecast_accuracy') }}
