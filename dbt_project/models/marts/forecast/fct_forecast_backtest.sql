-- The forecast backtest 预测回测 (SPEC §6): five ways to forecast a month, as each stood on the
-- lock days 1/8/15/22 of every completed month, scored against what was booked with the same
-- measures as the reps' forecasts (macros/forecast_accuracy.sql), per org unit and tenure
-- cohort. Methods: the reps' own submissions; bookings to date + the pipeline expected in the
-- month at a flat 50%; the same pipeline weighted by the rules engine of that day; bookings to
-- date + every open deal weighted by the model's in-month win probability; and that plus the
-- run-rate of business not yet in the pipeline.
with

inputs as (

    select * from {{ ref('fct_forecast_pipeline_lock_points') }}

),

components as (

    select * from {{ ref('stg_ml__forecast_backtest_components') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

completed as (

    select
        inputs.*,
        components.model_weighted_amount,
        components.run_rate_amount
    from inputs
    left join components
        on components.rep_id = inputs.rep_id
        and components.period = inputs.period
        and components.lock_day = inputs.lock_day
    where inputs.is_period_complete

),

-- months the model scored (it needs a few ended months of history before its first)
modelled_months as (

    select distinct period, lock_day from completed where model_weighted_amount is not null

),

methods as (

    select completed.*, 'rep_submission' as method, submitted_forecast as forecast_amount
    from completed
    union all
    select completed.*, 'pipeline_flat_50', booked_to_date + flat_weighted_amount
    from completed
    union all
    select completed.*, 'rules_engine', booked_to_date + rules_weighted_amount
    from completed
    union all
    select completed.*, 'ml', booked_to_date + coalesce(model_weighted_amount, 0)
    from completed
    inner join modelled_months
        on modelled_months.period = completed.period
        and modelled_months.lock_day = completed.lock_day
    union all
    select
        completed.*,
        'ml_run_rate',
        booked_to_date + coalesce(model_weighted_amount, 0) + coalesce(run_rate_amount, 0)
    from completed
    inner join modelled_months
        on modelled_months.period = completed.period
        and modelled_months.lock_day = completed.lock_day

),

members as (

    select
        methods.*,
        case when methods.forecast_amount is not null then 1 else 0 end as reps_forecasting,
        {{ forecast_abs_error('methods.forecast_amount', 'methods.booked_amount') }} as abs_error
    from methods

),

rolled_up as (

    {{ roll_up_to_org_units('members', 'closure', 'org_units') }}

),

cohorted as (

    {{ with_unit_tenure_cohorts('rolled_up') }}

),

scopes as (

    select
        cohorted.method,
        org_units.level as scope_level,
        cohorted.unit_id,
        cohorted.period,
        cohorted.period_start,
        cohorted.lock_day,
        cohorted.scope_cohort as tenure_cohort,
        count(*) as reps,
        sum(cohorted.reps_forecasting) as reps_forecasting,
        case
            when sum(cohorted.reps_forecasting) > 0 then sum(coalesce(cohorted.forecast_amount, 0))
        end as forecast_amount,
        sum(cohorted.booked_amount) as booked_amount,
        case when sum(cohorted.reps_forecasting) > 0 then sum(cohorted.abs_error) end as abs_error_sum,
        max(cohorted.as_of) as as_of
    from cohorted
    inner join org_units
        on org_units.unit_id = cohorted.unit_id
    group by
        cohorted.method,
        org_units.level,
        cohorted.unit_id,
        cohorted.period,
        cohorted.period_start,
        cohorted.lock_day,
        cohorted.scope_cohort

)

select
    -- keys
    cast(method as {{ dbt.type_string() }}) as method,
    cast(scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('scopes.unit_id') }} as unit_name,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(period_start as date) as period_start,
    cast(lock_day as {{ dbt.type_bigint() }}) as lock_day,
    cast(tenure_cohort as {{ dbt.type_string() }}) as tenure_cohort,
    -- counts
    cast(reps as {{ dbt.type_bigint() }}) as reps,
    cast(reps_forecasting as {{ dbt.type_bigint() }}) as reps_forecasting,
    -- amounts (yuan)
    cast(forecast_amount as {{ type_double() }}) as forecast_amount,
    cast(booked_amount as {{ type_double() }}) as booked_amount,
    cast(abs_error_sum as {{ type_double() }}) as abs_error_sum,
    -- rates
    cast({{ forecast_accuracy('forecast_amount', 'booked_amount') }} as {{ type_double() }}) as forecast_accuracy,
    cast({{ forecast_wape('abs_error_sum', 'booked_amount') }} as {{ type_double() }}) as forecast_wape,
    cast({{ forecast_bias('forecast_amount', 'booked_amount') }} as {{ type_double() }}) as forecast_bias,
    cast(as_of as date) as as_of
from scopes
where {{ mart_is_available('fct_forecast_backtest') }}
