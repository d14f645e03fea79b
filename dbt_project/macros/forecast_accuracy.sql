{#- The forecast accuracy measures 预测准确度 (SPEC §5 Forecasting), defined once: the lock-point
    mart (fct_forecast_accuracy), the rep lock points (int_forecast_lock_points_scored) and
    the forecast backtest score every forecast with these. F = forecast, A = actual bookings;
    each is empty unless A > 0 (no ratio without bookings), and empty when F is. Arguments
    are SQL expressions; for a scope of several reps pass the sums (Σ F_i, Σ A_i,
    Σ |F_i − A_i|). Plain CASE / ABS / division only, so the SQL is the same on every
    adapter (no greatest(), whose null handling differs between engines). -#}

{#- accuracy = max(0, 1 − |F − A| ÷ A): 1 is a perfect forecast, 0 a miss by A or more. -#}
{% macro forecast_accuracy(forecast, actual) -%}
    case
        when ({{ actual }}) > 0 and ({{ forecast }}) is not null then
            case
                when abs(({{ forecast }}) - ({{ actual }})) >= ({{ actual }}) then cast(0 as {{ type_double() }})
                else 1 - abs(({{ forecast }}) - ({{ actual }})) / cast(({{ actual }}) as {{ type_double() }})
            end
    end
{%- endmacro %}

{#- WAPE = Σ |F_i − A_i| ÷ Σ A_i over the members (reps) of a scope; `abs_error_sum` is the
    numerator (forecast_abs_error summed), `actual_sum` the denominator. Unlike accuracy of
    the sums, over- and under-forecasts of different reps do not cancel. -#}
{% macro forecast_wape(abs_error_sum, actual_sum) -%}
    case
        when ({{ actual_sum }}) > 0 then ({{ abs_error_sum }}) / cast(({{ actual_sum }}) as {{ type_double() }})
    end
{%- endmacro %}

{#- One member's |F_i − A_i|, the term WAPE sums; a member without a forecast counts F_i = 0
    (its bookings were missed by the forecast). -#}
{% macro forecast_abs_error(forecast, actual) -%}
    abs(coalesce({{ forecast }}, 0) - coalesce({{ actual }}, 0))
{%- endmacro %}

{#- bias = (F − A) ÷ A: positive = over-forecast 高报, negative = under-forecast 低报. -#}
{% macro forecast_bias(forecast, actual) -%}
    case
        when ({{ actual }}) > 0 then (({{ forecast }}) - ({{ actual }})) / cast(({{ actual }}) as {{ type_double() }})
    end
{%- endmacro %}
