{#- Use the folder's custom schema as is (`marts`, not `main_marts`): the published
    warehouse has stable schema names the dashboards and analysts query directly. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
