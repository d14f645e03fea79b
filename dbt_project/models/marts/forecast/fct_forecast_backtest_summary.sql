-- The backtest per method over all backtested months 预测回测汇总: which forecast to trust, per
-- org unit, tenure cohort and lock day. Only the months every method forecast (the model's
-- first months have no model), so the methods are compared on the same months. accuracy is
-- the mean of the months' accuracies; WAPE and bias pool the months (Σ|F − A| ÷ ΣA,
-- (ΣF − ΣA) ÷ ΣA), with the measures of macros/forecast_accuracy.sql. MASE scales the mean
-- absolute error of the scope's forecast by the mean absolute error of the seasonal naive
-- forecast (the same month a year earlier) over the scope's whole history; the seasonal naive
-- forecast's own MASE on the compared months stands beside it, so below it = better than
-- last year's figure.
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

-- the scope's bookings per month (A does not depend on the method or the lock day)
unit_months as (

    select
        unit_id,
        tenure_cohort,
        period_start,
        max(booked_amount) as booked_amount
    from backtest
    group by unit_id, tenure_cohort, period_start

),

year_on_year as (

    select
        this_year.unit_id,
        this_year.tenure_cohort,
        this_year.period_start,
        abs(this_year.booked_amount - last_year.booked_amount) as naive_abs_error
    from unit_months as this_year
    inner join unit_months as last_year
        on last_year.unit_id = this_year.unit_id
        and last_year.tenure_cohort = this_year.tenure_cohort
        and last_year.period_start = cast({{ dbt.dateadd('month', -12, 'this_year.period_start') }} as date)

),

naive_scale as (

    select
        unit_id,
        tenure_cohort,
        avg(naive_abs_error) as naive_mae
    from year_on_year
    group by unit_id, tenure_cohort

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
    compared.method,
    compared.scope_level,
    compared.unit_id,
    max(compared.unit_name) as unit_name,
    compared.lock_day,
    compared.tenure_cohort,
    -- sample
    cast(count(*) as {{ dbt.type_bigint() }}) as months,
    min(compared.period) as first_period,
    max(compared.period) as last_period,
    -- amounts (yuan)
    cast(sum(compared.forecast_amount) as {{ type_double() }}) as forecast_amount,
    cast(sum(compared.booked_amount) as {{ type_double() }}) as booked_amount,
    cast(sum(compared.abs_error_sum) as {{ type_double() }}) as abs_error_sum,
    -- rates
    cast(avg(compared.forecast_accuracy) as {{ type_double() }}) as mean_accuracy,
    cast({{ forecast_wape('sum(compared.abs_error_sum)', 'sum(compared.booked_amount)') }} as {{ type_double() }})
        as forecast_wape,
    cast({{ forecast_bias('sum(compared.forecast_amount)', 'sum(compared.booked_amount)') }} as {{ type_double() }})
        as forecast_bias,
    -- against the seasonal naive forecast
    cast(
        case
            when max(naive_scale.naive_mae) > 0
                then avg(abs(compared.forecast_amount - compared.booked_amount)) / max(naive_scale.naive_mae)
        end as {{ type_double() }}
    ) as mase,
    cast(
        case
            when max(naive_scale.naive_mae) > 0
                then avg(year_on_year.naive_abs_error) / max(naive_scale.naive_mae)
        end as {{ type_double() }}
    ) as seasonal_naive_mase,
    cast(count(year_on_year.naive_abs_error) as {{ dbt.type_bigint() }}) as seasonal_naive_months
from compared
left join naive_scale
    on naive_scale.unit_id = compared.unit_id
    and naive_scale.tenure_cohort = compared.tenure_cohort
left join year_on_year
    on year_on_year.unit_id = compared.unit_id
    and year_on_year.tenure_cohort = compared.tenure_cohort
    and year_on_year.period_start = compared.period_start
group by compared.method, compared.scope_level, compared.unit_id, compared.lock_day, compared.tenure_cohort
