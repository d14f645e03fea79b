{#- A composite primary key: no two rows share the combination, and no part is null. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
with keyed as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)

select *
from keyed
where row_count > 1
    {%- for column in combination_of_columns %}
    or {{ column }} is null
    {%- endfor %}
{% endtest %}
