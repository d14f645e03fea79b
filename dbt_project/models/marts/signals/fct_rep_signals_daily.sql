-- Keyword signals per rep and day 销售每日信号, as of as_of.
--   Incremental by day (macro signal_mart_hits): only the days whose keyword hits are new or
--   changed are computed again; tests/test_incremental_snapshot.py checks it against a full
--   rebuild.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns'
) }}

with

hits as (

    {{ signal_mart_hits('fct_rep_signals_daily') }}

),

per_keyword as (

    select
        rep_id,
        signal_date,
        category,
        negated,
        keyword,
        count(*) as keyword_messages
    from hits
    group by rep_id, signal_date, category, negated, keyword

),

keywords as (

    select
        rep_id,
        signal_date,
        category,
        negated,
        {{ dbt.listagg('keyword', "', '", 'order by keyword') }} as keywords,
        sum(keyword_messages) as mentions
    from per_keyword
    group by rep_id, signal_date, category, negated

),

messages as (

    select
        rep_id,
        max(team_id) as team_id,
        signal_date,
        category,
        negated,
        as_of,
        count(distinct message_id) as messages,
        count(distinct opportunity_id) as opportunities
    from hits
    group by rep_id, signal_date, category, negated, as_of

),

joined as (

    select
        -- ids
        messages.rep_id,
        messages.team_id,
        -- attributes
        messages.category,
        messages.negated,
        keywords.keywords,
        -- counts
        cast(keywords.mentions as {{ dbt.type_bigint() }}) as mentions,
        cast(messages.messages as {{ dbt.type_bigint() }}) as messages,
        cast(messages.opportunities as {{ dbt.type_bigint() }}) as opportunities,
        -- dates
        messages.signal_date,
        messages.as_of
    from messages
    inner join keywords
        on keywords.rep_id = messages.rep_id
        and keywords.signal_date = messages.signal_date
        and keywords.category = messages.category
        and keywords.negated = messages.negated

)

select * from joined
where {{ mart_is_available('fct_rep_signals_daily') }}
