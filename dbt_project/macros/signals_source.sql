{#- A `signals` source table, or an empty relation of the same columns while its Parquet file
    does not exist yet (a warehouse built before the signals asset ever ran, or from a
    hand-made bronze layer). `source()` is always called, so the lineage (and Dagster's
    dependency on the signals asset) does not depend on the file being there.
    `columns`: [(name, type), ...] in the file's order. -#}
{% macro signals_source(table_name, columns) -%}
    {%- set relation = source('signals', table_name) -%}
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


{% macro signals_file_exists(relation) -%}
    {%- set found = run_query("select count(*) from glob(" ~ relation ~ ")").columns[0].values()[0] -%}
    {{ return(found > 0) }}
{%- endmacro %}
