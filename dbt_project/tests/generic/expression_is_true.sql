{#- Fails for every row where the expression is false (null counts as passing, like
    dbt_utils.expression_is_true; add not_null where null is wrong). -#}
{% test expression_is_true(model, expression, where_clause=none) %}
select *
from {{ model }}
where not ({{ expression }})
{%- if where_clause %}
    and ({{ where_clause }})
{%- endif %}
{% endtest %}
