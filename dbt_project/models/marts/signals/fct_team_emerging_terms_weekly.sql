-- Emerging terms per team and ISO week 团队新兴词: tokens whose weekly count rose most
-- against the mean of the team's previous four weeks.
--   mentions           messages of the team in the week containing the token
--   baseline_mentions  mean over the previous 4 weeks (a week without the token counts 0)
--   emergence_score    ln((mentions + 1) / (baseline_mentions + 1)) (add-one smoothing)
-- A token qualifies with mentions >= var signals_emerging_min_mentions (default 5) and a
-- positive score, in a complete week that has four weeks of the team's chat before it.
-- Ranked by score, then mentions, then token; the top var signals_emerging_top_n (10) kept.
with

counts as (

    select * from {{ ref('int_token_counts_aggregated_to_team_weeks') }}

),

candidates as (

    select
        current_week.team_id,
        current_week.week_start,
        current_week.token,
        current_week.mentions,
        current_week.as_of,
        coalesce(sum(prior_weeks.mentions), 0) / 4.0 as baseline_mentions
    from counts as current_week
    left join counts as prior_weeks
        on prior_weeks.team_id = current_week.team_id
        and prior_weeks.token = current_week.token
        and prior_weeks.week_start between current_week.week_start - 28 and current_week.week_start - 7
    where current_week.mentions >= {{ var('signals_emerging_min_mentions', 5) }}
        and current_week.week_start - 28 >= current_week.first_week_start
    group by
        current_week.team_id,
        current_week.week_start,
        current_week.token,
        current_week.mentions,
        current_week.as_of

),

scored as (

    select
        *,
        ln((mentions + 1.0) / (baseline_mentions + 1.0)) as emergence_score
    from candidates

),

ranked as (

    select
        -- ids
        team_id as unit_id,
        {{ org_unit_name('scored.team_id') }} as unit_name,
        -- attributes
        cast(row_number() over (
            partition by team_id, week_start
            order by emergence_score desc, mentions desc, token
        ) as integer) as term_rank,
        token,
        -- counts and scores
        cast(mentions as {{ dbt.type_bigint() }}) as mentions,
        cast(baseline_mentions as {{ type_double() }}) as baseline_mentions,
        cast(emergence_score as {{ type_double() }}) as emergence_score,
        -- dates
        week_start,
        as_of
    from scored
    where emergence_score > 0

)

select * from ranked
where term_rank <= {{ var('signals_emerging_top_n', 10) }}
    and {{ mart_is_available('fct_team_emerging_terms_weekly') }}
