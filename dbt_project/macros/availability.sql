{#- Which landing tables each mart needs, read from dbt's own lineage (the `graph`) at run
    time, so the answer follows the models: no list of tables per mart is typed anywhere.

    The rule (also in models/marts/_marts__models.yml, fct_mart_availability):
    - A mart is a model in the `marts` schema, except the availability reports themselves
      (`meta: {availability_report: true}`), which describe availability and need none.
    - Its upstream landing tables are every `source('landing', …)` reachable by walking
      `depends_on` up through models (marts included; the availability reports are not
      walked through, since every mart reads fct_mart_availability for its own guard, nor
      models marked `meta: {availability_transparent: true}` — int_as_of_resolved, which
      reads the latest extract date from whichever tables have rows and needs none).
    - It *requires* every upstream landing table except those it lists as optional in
      `meta: {optional_sources: [...]}` (each must be an upstream landing table, or the
      build fails: a typo must not silently turn a requirement off).
    - It is available when every required table has at least one bronze row.
    - A mart with required tables must read its own availability (`mart_is_available`),
      so it is built empty when not available; one that does not fails the build.

    Before execution (`dbt parse`) the graph is empty and the macro returns no marts; so it
    is in dbt unit tests, which run against a manifest of their own inputs. The rule is
    therefore tested on real builds (tests/dbt/test_partial_source.py). -#}
{% macro mart_landing_requirements() -%}
    {%- set marts = [] -%}
    {%- if execute -%}
        {%- for node in graph.get('nodes', {}).values() | sort(attribute='name') -%}
            {%- if node.resource_type == 'model' and node.config.schema == 'marts'
                    and not is_availability_report(node) -%}
                {%- set upstream = [] -%}
                {%- do collect_landing_sources(node.unique_id, upstream, []) -%}
                {%- set optional = node.config.meta.get('optional_sources', []) -%}
                {%- for table in optional if table not in upstream -%}
                    {{ exceptions.raise_compiler_error(
                        node.name ~ ": meta.optional_sources lists " ~ table
                        ~ ", which is not an upstream landing table (upstream: "
                        ~ (upstream | sort | join(', ')) ~ ")"
                    ) }}
                {%- endfor -%}
                {%- set required = upstream | reject('in', optional) | sort -%}
                {%- set guard = 'model.' ~ project_name ~ '.fct_mart_availability' -%}
                {%- if required and guard not in node.depends_on.nodes -%}
                    {{ exceptions.raise_compiler_error(
                        node.name ~ " requires " ~ (required | join(', '))
                        ~ " but has no guard: end it with"
                        ~ " `where {{ mart_is_available('" ~ node.name ~ "') }}`"
                    ) }}
                {%- endif -%}
                {%- do marts.append({
                    'mart_name': node.name,
                    'description': mart_summary(node.description),
                    'required': required,
                    'optional': optional | sort,
                }) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(marts) }}
{%- endmacro %}


{% macro is_availability_report(node) -%}
    {{ return(node.config.meta.get('availability_report', false) is true) }}
{%- endmacro %}


{#- Depth-first walk up `depends_on`, appending each `landing` source table to `found`. -#}
{% macro collect_landing_sources(unique_id, found, visited) -%}
    {%- if unique_id not in visited -%}
        {%- do visited.append(unique_id) -%}
        {%- if unique_id in graph.sources -%}
            {%- set source_node = graph.sources[unique_id] -%}
            {%- if source_node.source_name == 'landing' and source_node.name not in found -%}
                {%- do found.append(source_node.name) -%}
            {%- endif -%}
        {%- elif unique_id in graph.nodes -%}
            {%- set node = graph.nodes[unique_id] -%}
            {%- if node.resource_type == 'model' and not is_availability_report(node)
                    and not node.config.meta.get('availability_transparent', false) -%}
                {%- for parent_id in node.depends_on.nodes -%}
                    {%- do collect_landing_sources(parent_id, found, visited) -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The first sentence of a model description, on one line. -#}
{% macro mart_summary(description) -%}
    {%- set one_line = description | replace('\n', ' ') | trim -%}
    {{ return(one_line.split('. ')[0] | replace('**', '') | trim | trim('.')) }}
{%- endmacro %}


{#- A mart's guard: true when fct_mart_availability reports the mart available. A mart
    puts it in its final `where`, so a mart built from a source that lacks a table it
    requires comes out empty, exactly as reported, instead of fabricating figures. -#}
{% macro mart_is_available(mart_name) -%}
    exists (
        select 1
        from {{ ref('fct_mart_availability') }} as mart_availability
        where mart_availability.mart_name = '{{ mart_name }}'
            and mart_availability.is_available
    )
{%- endmacro %}
