{#- The date every "as of" figure is computed for, as a SQL date literal.

    Given: the `as_of` var (YYYY-MM-DD), e.g. `dbt build --vars '{"as_of": "2026-03-31"}'`.
    Not given: the latest extract date, i.e. the latest date found in the stage history
    (entered_at) and the opportunities (created_at). No model reads the wall clock, so
    any past day's numbers can be rebuilt exactly. -#}
{% macro as_of_date() -%}
    {#- Both sources are referenced whether or not the var is given, so a model's lineage
        (and the availability of the marts above it) does not change with the var;
        int_as_of_resolved is `availability_transparent`, as it needs neither table. -#}
    {%- set history = source('landing', 'opportunity_stage_history') -%}
    {%- set opportunities = source('landing', 'opportunities') -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is not none and as_of | string | trim != '' -%}
        {%- set parsed = modules.datetime.datetime.strptime(as_of | string | trim, '%Y-%m-%d') -%}
        cast('{{ parsed.strftime("%Y-%m-%d") }}' as date)
    {%- else -%}
        {%- if execute -%}
            {%- set latest = run_query(
                "select max(latest_on) from ("
                ~ " select max(cast(entered_at as date)) as latest_on from " ~ history
                ~ " union all"
                ~ " select max(cast(created_at as date)) as latest_on from " ~ opportunities
                ~ ")"
            ).columns[0].values()[0] -%}
            {%- if latest is none -%}
                cast(null as date)
            {%- else -%}
                cast('{{ latest }}' as date)
            {%- endif -%}
        {%- else -%}
            cast(null as date)
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
