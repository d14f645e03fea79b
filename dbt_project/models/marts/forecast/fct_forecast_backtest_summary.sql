-- The backtest per method over all backtested months 预测回测汇总: which forecast to trust, per
-- org unit, tenure cohort and lock day. Only the months every method forecast (the model's
-- first months have no model), so the methods are compared on the same months. accuracy is
-- the mean of the months' accuracies; WAPE and bias pool the months (Σ|F − A| ÷ ΣA,
-- (ΣF − ΣA) ÷ ΣA), with the measures of macros/forecast_accuracy.sql.
with

backtest as (

    select * from {{ ref('fct_forecast_backtest') }}

),

methods_per_month as (

    select period, lock_day, count(distinct method) as methods
    from backtest
    group by period, lock_day

),

all_methods as (

    select max(methods) as methods from methods_per_month

),

compared as (

    select backtest.*
    from backtest
    inner join methods_per_month
        on methods_per_month.period = backtest.period
        and methods_per_month.lock_day = backtest.lock_day
    cross join all_methods
    where methods_per_month.methods = all_methods.methods
        and {{ mart_is_available('fct_forecast_backtest_summary') }}

)

select
    -- keys
    method,
    scope_level,
    unit_id,
    max(unit_name) as unit_name,
    lock_day,
    tenure_cohort,
    -- sample
    cast(count(*) as {{ dbt.type_bigint() }}) as months,
    min(period) as first_period,
    max(period) as last_period,
    -- amounts (yuan)
    cast(sum(forecast_amount) as {{ type_double() }}) as forecast_amount,
    cast(sum(booked_amount) as {{ type_double() }}) as booked_amount,
    cast(sum(abs_error_sum) as {{ type_double() }}) as abs_error_sum,
    -- rates
    cast(avg(forecast_accuracy) as {{ type_double() }}) as mean_accuracy,
    cast({{ forecast_wape('sum(abs_error_sum)', 'sum(booked_amount)') }} as {{ type_double() }}) as forecast_wape,
    cast({{ forecast_bias('sum(forecast_amount)', 'sum(booked_amount)') }} as {{ type_double() }}) as forecast_bias
from compared
group by method, scope_level, unit_id, lock_day, tenure_cohort
