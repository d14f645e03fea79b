{#- A double-precision float. dbt.type_float() renders `float`, which DuckDB reads as a
    4-byte REAL; rates and day counts need DOUBLE. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'salesops')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
