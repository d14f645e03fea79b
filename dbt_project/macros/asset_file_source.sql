{#- A table of a source that a Dagster asset writes as a Parquet file under SALESOPS_HOME
    (`signals`: the chat signals; `deviation_reasons`: the reason clusters; `ml`: the
    forecasting models' predictions), or an empty relation of the same columns while the file
    does not exist yet (a warehouse built before the asset ever ran, or from a hand-made bronze
    layer). `source()` is always called, so the lineage (and Dagster's dependency on the
    asset) does not depend on the file being there.
    `columns`: [(name, type), ...] in the file's order. -#}
{% macro asset_file_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and not source_file_exists(relation) -%}
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


{% macro source_file_exists(relation) -%}
    {{ return(adapter.dispatch('source_file_exists', 'salesops')(relation)) }}
{%- endmacro %}

{% macro default__source_file_exists(relation) -%}
    {%- set found = run_query("select count(*) from glob(" ~ relation ~ ")").columns[0].values()[0] -%}
    {{ return(found > 0) }}
{%- endmacro %}

{#- Spark: the tables registered at the start of the run (macros/spark_sources.sql). -#}
{% macro spark__source_file_exists(relation) -%}
    {{ return((relation.schema ~ '.' ~ relation.identifier) in present_sources()) }}
{%- endmacro %}
