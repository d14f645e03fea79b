-- Every table of the `landing` source (dbt's own list, read from the graph at run time)
-- has exactly one row in fct_source_availability, and no other table does. Returns the
-- offending table names.
{%- set landing_tables = [] -%}
{%- if execute -%}
    {%- for source_node in graph.sources.values() if source_node.source_name == 'landing' -%}
        {%- do landing_tables.append(source_node.name) -%}
    {%- endfor -%}
{%- endif %}

with

expected as (

    {%- for table_name in landing_tables | sort %}
    select cast('{{ table_name }}' as {{ dbt.type_string() }}) as table_name
    union all
    {%- endfor %}
    select cast(null as {{ dbt.type_string() }}) as table_name
    where 1 = 0

),

reported as (

    select table_name, count(*) as row_count
    from {{ ref('fct_source_availability') }}
    group by table_name

)

select
    coalesce(expected.table_name, reported.table_name) as table_name,
    reported.row_count
from expected
full outer join reported
    on reported.table_name = expected.table_name
where expected.table_name is null
    or reported.table_name is null
    or reported.row_count <> 1
