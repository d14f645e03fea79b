-- The three most mentioned dictionary keywords per team and ISO week 团队每周热词 Top 3.
with

hits as (

    select * from {{ ref('int_keyword_hits_joined_to_messages') }}
    where team_id is not null

),

per_keyword as (

    select
        team_id,
        week_start,
        keyword,
        category,
        as_of,
        count(distinct message_id) as mentions,
        count(distinct case when negated then message_id end) as negated_mentions
    from hits
    group by team_id, week_start, keyword, category, as_of

),

ranked as (

    select
        -- ids
        team_id as unit_id,
        {{ org_unit_name('per_keyword.team_id') }} as unit_name,
        -- attributes
        cast(row_number() over (
            partition by team_id, week_start
            order by mentions desc, keyword
        ) as integer) as keyword_rank,
        keyword,
        category,
        -- counts
        cast(mentions as {{ dbt.type_bigint() }}) as mentions,
        cast(negated_mentions as {{ dbt.type_bigint() }}) as negated_mentions,
        -- dates
        week_start,
        week_start + 6 > as_of as is_partial_week,
        as_of
    from per_keyword

)

select * from ranked
where keyword_rank <= 3
    and {{ mart_is_available('fct_team_top_keywords_weekly') }}
