{#- Every landing table, read through its staging view (`stg_<source>__<table>`, one per
    table; the source system and the table name are read off that name). The list is
    checked against the `landing` source at run time by
    tests/assert_source_availability_lists_every_landing_table.sql, so a table added to
    the contract cannot be left out silently. -#}
{%- set staging_models = [
    'stg_crm__org_units',
    'stg_crm__reps',
    'stg_crm__customers',
    'stg_crm__leads',
    'stg_crm__opportunities',
    'stg_crm__opportunity_stage_history',
    'stg_crm__qualification_events',
    'stg_crm__activities',
    'stg_crm__targets',
    'stg_crm__target_adjustments',
    'stg_crm__deviation_reports',
    'stg_crm__forecast_submissions',
    'stg_crm__competitor_events',
    'stg_crm__market_events',
    'stg_crm__sop_cards',
    'stg_crm__sop_usage',
    'stg_crm__sop_feedback',
    'stg_chat__external_contacts',
    'stg_chat__chat_messages',
    'stg_finance__contracts',
    'stg_finance__payments',
] -%}
{#- Rows the ingest derived because an export lacks the table: a stage history from a
    current-state export says what each row rests on (`derived_from`); reps and org units built
    from department paths carry a `_source_file` that says so ("(derived from …)"). -#}
with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

row_counts as (

    {%- for model_name in staging_models %}
    {%- set source_system, table_name = model_name[4:].split('__', 1) %}
    select
        cast('{{ table_name }}' as {{ dbt.type_string() }}) as table_name,
        cast('{{ source_system }}' as {{ dbt.type_string() }}) as source,
        count(*) as row_count,
        {%- if model_name == 'stg_crm__opportunity_stage_history' %}
        count(derived_from) as derived_rows
        {%- else %}
        count(case when _source_file like '(derived%' then 1 end) as derived_rows
        {%- endif %}
    from {{ ref(model_name) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select
    -- ids
    cast(row_counts.table_name as {{ dbt.type_string() }}) as table_name,
    cast(row_counts.source as {{ dbt.type_string() }}) as source,
    -- counts
    cast(row_counts.row_count as {{ dbt.type_bigint() }}) as row_count,
    row_counts.row_count > 0 as is_available,
    cast(row_counts.derived_rows as {{ dbt.type_bigint() }}) as derived_rows,
    row_counts.derived_rows > 0 as is_derived,
    -- dates
    cast(as_of.as_of as date) as as_of
from row_counts
cross join as_of
