{#- Sources on Spark. On DuckDB a source is its Parquet file (`meta.external_location`, read
    through the profile's file_search_path). Spark reads tables: at the start of every run the
    files of the home are registered as Parquet tables, `<source>.<table>`, located under
    SALESOPS_SPARK_DATA_ROOT (default: the home; on a cluster, where the cluster sees the
    home: a shared file system or object store, README "When one machine is not enough").
    Only the files that exist are registered: salesops-dbt lists them in
    SALESOPS_PRESENT_SOURCES (`source.table` names, comma separated) before dbt starts; an
    absent model output reads as empty (macro asset_file_source). -#}
{% macro register_sources() -%}
    {{ return(adapter.dispatch('register_sources', 'salesops')()) }}
{%- endmacro %}

{% macro default__register_sources() -%}
    select 1
{%- endmacro %}

{% macro spark__register_sources() -%}
    {%- if execute -%}
    {%- set root = env_var('SALESOPS_SPARK_DATA_ROOT', env_var('SALESOPS_HOME')) | replace('\\', '/') -%}
    {%- set present = present_sources() -%}
    {%- set schemas = [] -%}
    {%- for node in graph.sources.values() if node.meta.get('external_location') -%}
        {%- if node.source_name not in schemas -%}
            {%- do run_query('create database if not exists ' ~ node.source_name) -%}
            {%- do schemas.append(node.source_name) -%}
        {%- endif -%}
        {%- set name = node.source_name ~ '.' ~ node.name -%}
        {%- do run_query('drop table if exists ' ~ name) -%}
        {%- if name in present -%}
            {%- set path = root ~ '/' ~ node.meta['external_location'].format(name=node.name) -%}
            {%- do run_query("create table " ~ name ~ " using parquet location '" ~ path ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro present_sources() -%}
    {{ return(env_var('SALESOPS_PRESENT_SOURCES', '').split(',')) }}
{%- endmacro %}
