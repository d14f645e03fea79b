-- Keyword signals per opportunity and day 商机每日信号, as of as_of.
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

    select * from (
        {{ signal_mart_hits('fct_opportunity_signals_daily') }}
    ) as hits_to_compute
    where opportunity_id is not null

),

per_keyword as (

    select
        opportunity_id,
        signal_date,
        category,
        negated,
        keyword,
        as_of,
        count(*) as keyword_messages
    from hits
    group by opportunity_id, signal_date, category, negated, keyword, as_of

),

messages as (

    select
        opportunity_id,
        signal_date,
        category,
        negated,
        count(distinct message_id) as messages
    from hits
    group by opportunity_id, signal_date, category, negated

),

aggregated as (

    select
        -- ids
        per_keyword.opportunity_id,
        -- attributes
        per_keyword.category,
        per_keyword.negated,
        {{ dbt.listagg('per_keyword.keyword', "', '", 'order by per_keyword.keyword') }} as keywords,
        -- counts
        cast(sum(per_keyword.keyword_messages) as {{ dbt.type_bigint() }}) as mentions,
        cast(max(messages.messages) as {{ dbt.type_bigint() }}) as messages,
        -- dates
        per_keyword.signal_date,
        per_keyword.as_of
    from per_keyword
    inner join messages
        on messages.opportunity_id = per_keyword.opportunity_id
        and messages.signal_date = per_keyword.signal_date
        and messages.category = per_keyword.category
        and messages.negated = per_keyword.negated
    group by
        per_keyword.opportunity_id,
        per_keyword.category,
        per_keyword.negated,
        per_keyword.signal_date,
        per_keyword.as_of

)

select * from aggregated
where {{ mart_is_available('fct_opportunity_signals_daily') }}
