{#- The rep-tenure cohort 司龄分组 of SPEC §5 Forecasting, defined once: 'new' when the rep was
    hired less than `months` months before `period_start` (the first day of the month the
    figure is for), 'tenured' otherwise, 'unknown' without a hire date. -#}
{% macro tenure_cohort(hire_date, period_start, months) -%}
    case
        when {{ hire_date }} is null then 'unknown'
        when {{ hire_date }} > cast({{ dbt.dateadd('month', '-1 * ' ~ months, period_start) }} as date)
            then 'new'
        else 'tenured'
    end
{%- endmacro %}
