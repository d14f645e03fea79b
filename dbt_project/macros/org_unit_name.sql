{#- The org unit's name, to sit beside its id: every mart calls the org unit a row is about
    `unit_id` and shows `unit_name` next to it (issue 11), so an analyst reading a mart need
    not join the org tree. `unit_id_expression` must be qualified by its relation (e.g.
    `final.unit_id`): unqualified, it would bind to the lookup's own unit_id. Aggregated, as
    Spark requires of a correlated scalar subquery; unit_id is the tree's key, so max() is
    the one name. -#}
{% macro org_unit_name(unit_id_expression) -%}
    {%- if '.' not in unit_id_expression -%}
        {{ exceptions.raise_compiler_error(
            "org_unit_name('" ~ unit_id_expression ~ "'): qualify the column by its relation "
            ~ "(e.g. 'final.unit_id'); unqualified it binds to the lookup's own unit_id and "
            ~ "every row gets the same name"
        ) }}
    {%- endif -%}
    cast((
        select max(org_unit_names.name)
        from {{ ref('int_org_units_resolved') }} as org_unit_names
        where org_unit_names.unit_id = {{ unit_id_expression }}
    ) as {{ dbt.type_string() }})
{%- endmacro %}
