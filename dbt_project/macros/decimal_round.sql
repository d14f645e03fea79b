{#- A number rounded for display (alert and finding texts): half away from zero on its
    decimal digits, as a decimal(38, digits), the same on every engine. round() on a double
    is not: DuckDB rounds 51.65 (stored as 51.6499…) to 51.6, Spark to 51.7. Through an exact
    decimal both give 51.7. -#}
{% macro decimal_round(expression, digits) -%}
    cast(round(cast({{ expression }} as decimal(38, 9)), {{ digits }}) as decimal(38, {{ digits }}))
{%- endmacro %}
