{#- Median of an expression, swappable per adapter (the ANSI form is the default). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'salesops')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}


{#- Continuous percentile (0–1) of an expression, interpolated like median(): ANSI ordered-set
    aggregate by default, DuckDB's quantile_cont (the same interpolation). -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'salesops')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
