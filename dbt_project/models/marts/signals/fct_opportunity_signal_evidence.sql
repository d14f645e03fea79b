-- Chat evidence per opportunity and keyword category 商机信号证据, up to its close (or the
-- end of the as_of day while open); read by loss attribution.
with

hits as (

    select * from {{ ref('int_keyword_hits_joined_to_messages') }}
    where opportunity_id is not null

),

windows as (

    select * from {{ ref('int_opportunities_with_evidence_window') }}

),

in_window as (

    select
        hits.*,
        windows.status_as_of,
        windows.closed_at_as_of
    from hits
    inner join windows
        on windows.opportunity_id = hits.opportunity_id
    where windows.closed_at_as_of is null
        or hits.sent_at <= windows.closed_at_as_of

),

per_keyword as (

    select
        opportunity_id,
        category,
        keyword,
        count(*) as keyword_mentions
    from in_window
    group by opportunity_id, category, keyword

),

keywords as (

    select
        opportunity_id,
        category,
        {{ dbt.listagg('keyword', "', '", 'order by keyword') }} as keywords
    from per_keyword
    group by opportunity_id, category

),

aggregated as (

    select
        opportunity_id,
        category,
        status_as_of,
        closed_at_as_of,
        as_of,
        count(*) as mentions,
        count(distinct message_id) as messages,
        sum(case when negated then 1 else 0 end) as negated_mentions,
        min(sent_at) as first_seen_at,
        max(sent_at) as last_seen_at
    from in_window
    group by opportunity_id, category, status_as_of, closed_at_as_of, as_of

),

final as (

    select
        -- ids
        aggregated.opportunity_id,
        -- attributes
        aggregated.category,
        aggregated.status_as_of,
        keywords.keywords,
        -- counts and shares
        cast(aggregated.mentions as {{ dbt.type_bigint() }}) as mentions,
        cast(aggregated.messages as {{ dbt.type_bigint() }}) as messages,
        cast(aggregated.negated_mentions as {{ dbt.type_bigint() }}) as negated_mentions,
        cast(aggregated.negated_mentions as {{ type_double() }}) / aggregated.mentions as negated_share,
        -- timestamps
        aggregated.first_seen_at,
        aggregated.last_seen_at,
        aggregated.closed_at_as_of,
        aggregated.as_of
    from aggregated
    inner join keywords
        on keywords.opportunity_id = aggregated.opportunity_id
        and keywords.category = aggregated.category

)

select * from final
where {{ mart_is_available('fct_opportunity_signal_evidence') }}
