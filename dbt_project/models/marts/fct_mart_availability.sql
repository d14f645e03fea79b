{#- Which marts this build's source can honestly fill. The landing tables each mart needs
    come from dbt's lineage at run time (macros/availability.sql), never from a list typed
    here; the row counts come from fct_source_availability. -#}
{%- set marts = mart_landing_requirements() -%}
{%- set upstream_rows = [] -%}
{%- for mart in marts -%}
    {%- for table_name in mart.required + mart.optional -%}
        {%- do upstream_rows.append("('" ~ mart.mart_name ~ "', '" ~ table_name ~ "', "
            ~ ('true' if table_name in mart.required else 'false') ~ ")") -%}
    {%- endfor -%}
{%- endfor -%}

with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

source_availability as (

    select * from {{ ref('fct_source_availability') }}

),

marts as (

    -- one inline table, not a union of one-row selects: Spark plans a union of hundreds
    -- of branches for half a minute
    select
        cast(mart_name as {{ dbt.type_string() }}) as mart_name,
        cast(description as {{ dbt.type_string() }}) as description
    from (
        values
        {%- for mart in marts %}
        ('{{ mart.mart_name }}', '{{ mart.description | replace("'", "''") }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as listed (mart_name, description)

),

-- one row per mart per upstream landing table, required or optional
upstream_tables as (

    select
        cast(mart_name as {{ dbt.type_string() }}) as mart_name,
        cast(table_name as {{ dbt.type_string() }}) as table_name,
        is_required
    from (
        values
        {%- for row in upstream_rows %}
        {{ row }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as listed (mart_name, table_name, is_required)

),

checked as (

    select
        upstream_tables.mart_name,
        upstream_tables.table_name,
        upstream_tables.is_required,
        coalesce(source_availability.is_available, false) as is_table_available
    from upstream_tables
    left join source_availability
        on source_availability.table_name = upstream_tables.table_name

),

per_mart as (

    select
        mart_name,
        sum(case when is_required and not is_table_available then 1 else 0 end) as missing_required_count,
        {{ dbt.listagg(
            "case when is_required then table_name end", "', '", "order by table_name"
        ) }} as required_tables,
        {{ dbt.listagg(
            "case when not is_required then table_name end", "', '", "order by table_name"
        ) }} as optional_tables,
        {{ dbt.listagg(
            "case when is_required and not is_table_available then table_name end",
            "', '",
            "order by table_name",
        ) }} as missing_tables,
        {{ dbt.listagg(
            "case when not is_required and not is_table_available then table_name end",
            "', '",
            "order by table_name",
        ) }} as missing_optional_tables
    from checked
    group by mart_name

)

select
    -- ids
    cast(marts.mart_name as {{ dbt.type_string() }}) as mart_name,
    -- availability
    coalesce(per_mart.missing_required_count, 0) = 0 as is_available,
    cast(coalesce(per_mart.required_tables, '') as {{ dbt.type_string() }}) as required_tables,
    cast(coalesce(per_mart.optional_tables, '') as {{ dbt.type_string() }}) as optional_tables,
    cast(coalesce(per_mart.missing_tables, '') as {{ dbt.type_string() }}) as missing_tables,
    cast(coalesce(per_mart.missing_optional_tables, '') as {{ dbt.type_string() }}) as missing_optional_tables,
    -- description
    cast(marts.description as {{ dbt.type_string() }}) as description,
    -- dates
    cast(as_of.as_of as date) as as_of
from marts
cross join as_of
left join per_mart
    on per_mart.mart_name = marts.mart_name
