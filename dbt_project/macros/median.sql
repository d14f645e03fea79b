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
