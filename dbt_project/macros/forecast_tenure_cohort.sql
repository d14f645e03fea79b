{#- A rep's tenure cohort 司龄分组 for a forecast period (SPEC §5: < 6 months vs more): `new`
    when hired less than `tenure_months` months (forecast_settings.new_rep_tenure_months)
    before the period's first day, `tenured` otherwise, `unknown` without a hire date. One
    definition for every forecast model that splits by tenure. -#}
{% macro forecast_tenure_cohort(hire_date, period_start, tenure_months) -%}
    case
        when {{ hire_date }} is null then 'unknown'
        when {{ hire_date }} > cast(
            {{ dbt.dateadd('month', '-1 * ' ~ tenure_months, period_start) }}
            as date
        ) then 'new'
        else 'tenured'
    end
{%- endmacro %}
