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


{#- Each record (a rep's row already rolled up to a unit, `unit_id`) counted twice for the
    unit's forecast figures: in the unit's 'all' row, and in the row of its rep's tenure cohort
    when known (`scope_cohort`). One definition of how a unit splits by tenure, for the
    accuracy mart and the backtest. -#}
{% macro with_unit_tenure_cohorts(records) -%}
    select records.*, 'all' as scope_cohort from {{ records }} as records
    union all
    select records.*, records.tenure_cohort as scope_cohort
    from {{ records }} as records
    where records.tenure_cohort in ('new', 'tenured')
{%- endmacro %}
