-- Product-requirement mentions per product line and ISO week 需求声音 (voice of customer, for R&D).
with

hits as (

    select * from {{ ref('int_keyword_hits_joined_to_messages') }}
    where category = 'requirement'
        and product_line is not null

),

aggregated as (

    select
        -- attributes
        product_line,
        keyword,
        -- counts
        cast(count(distinct message_id) as {{ dbt.type_bigint() }}) as mentions,
        cast(count(distinct opportunity_id) as {{ dbt.type_bigint() }}) as opportunities,
        -- dates
        week_start,
        week_start + 6 > as_of as is_partial_week,
        as_of
    from hits
    group by product_line, keyword, week_start, as_of

)

select * from aggregated
where {{ mart_is_available('fct_requirement_mentions_weekly') }}
