{#- dbt.listagg on Spark: dbt-spark drops the order (a warning, then collect_list in whatever
    order the rows arrive). Spark 4 has listagg with WITHIN GROUP (ORDER BY): used, so lists
    read the same on DuckDB and Spark. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("listagg with a limit: not implemented for Spark (macros/spark_listagg.sql)") }}
    {%- elif order_by_clause -%}
        listagg({{ measure }}, {{ delimiter_text }}) within group ({{ order_by_clause }})
    {%- else -%}
        listagg({{ measure }}, {{ delimiter_text }})
    {%- endif -%}
{%- endmacro %}
