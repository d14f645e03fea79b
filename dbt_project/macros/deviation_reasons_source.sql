{#- A `deviation_reasons` source table, or an empty relation of the same columns while its
    Parquet file does not exist yet; the same contract as `signals_source` (macros/signals_source.sql),
    for the files the Dagster asset group `deviation_reasons` writes. -#}
{% macro deviation_reasons_source(table_name, columns) -%}
    {%- set relation = source('deviation_reasons', table_name) -%}
    {%- if execute and not signals_file_exists(relation) -%}
        select
        {%- for name, type in columns %}
            cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
        where false
    {%- else -%}
        select
        {%- for name, type in columns %}
            cast({{ name }} as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ relation }}
    {%- endif -%}
{%- endmacro %}
