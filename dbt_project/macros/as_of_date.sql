{#- The date every "as of" figure is computed for, as a SQL date literal.

    Given: the `as_of` var (YYYY-MM-DD), e.g. `dbt build --vars '{"as_of": "2026-03-31"}'`.
    Not given: the latest fact date of any kind — the latest calendar day on which something
    recorded in the extracts happened (`as_of_fact_dates()` lists them: an opportunity created
    or closed, a stage entered, a lead created or answered, an activity, a contract signed, a
    payment received, a chat message sent, a forecast submitted …). No model reads the wall
    clock, so any past day's numbers can be rebuilt exactly. -#}
{% macro as_of_date() -%}
    {#- Every fact table is referenced whether or not the var is given, so a model's lineage
        (and the availability of the marts above it) does not change with the var;
        int_as_of_resolved is `availability_transparent`: it reads whichever tables have rows
        and needs none of them. -#}
    {%- set fact_queries = [] -%}
    {%- for table_name, columns in as_of_fact_dates().items() -%}
        {%- set relation = source('landing', table_name) -%}
        {%- for column in columns -%}
            {%- do fact_queries.append(
                "select max(cast(" ~ column ~ " as date)) as latest_on from " ~ relation
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is not none and as_of | string | trim != '' -%}
        {%- set parsed = modules.datetime.datetime.strptime(as_of | string | trim, '%Y-%m-%d') -%}
        cast('{{ parsed.strftime("%Y-%m-%d") }}' as date)
    {%- elif execute -%}
        {%- set latest = run_query(
            "select max(latest_on) from (" ~ (fact_queries | join(' union all ')) ~ ") as fact_dates"
        ).columns[0].values()[0] -%}
        {%- if latest is none -%}
            cast(null as date)
        {%- else -%}
            cast('{{ latest }}' as date)
        {%- endif -%}
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}


{#- The fact dates the default as_of is the latest of: landing table → its columns that record
    when something happened. Left out on purpose, as they can lie ahead of the data: planned
    dates (expected_close_date, targets.period, market_events start_on / end_on, a rep's
    hire_date or termination_date entered in advance) and the extracts' own dates (an
    undated file is dated by its modification time, i.e. the wall clock). -#}
{% macro as_of_fact_dates() -%}
    {{ return({
        'opportunities': ['created_at', 'closed_at'],
        'opportunity_stage_history': ['entered_at'],
        'leads': ['created_at', 'first_response_at'],
        'customers': ['created_at'],
        'qualification_events': ['recorded_at'],
        'activities': ['occurred_at'],
        'targets': ['signed_at'],
        'target_adjustments': ['requested_at', 'decided_at'],
        'deviation_reports': ['submitted_at'],
        'forecast_submissions': ['submitted_at'],
        'competitor_events': ['occurred_on'],
        'sop_cards': ['created_at'],
        'sop_usage': ['used_at'],
        'sop_feedback': ['submitted_at'],
        'chat_messages': ['sent_at'],
        'contracts': ['signed_at'],
        'payments': ['received_at', 'recorded_in_finance_at', 'synced_to_crm_at'],
    }) }}
{%- endmacro %}
