-- Emerging terms per team and ISO week 团队新兴词: terms whose weekly count rose most against
-- the mean of the team's previous four weeks. A term is read from the data, not a dictionary:
-- a run of 1-4 adjacent jieba tokens (ml/chat_signals/terms.py), so a new name that jieba cuts
-- into pieces is still found whole.
--   mentions           messages of the team in the week containing the term
--   baseline_mentions  mean over the previous 4 weeks (a week without the term counts 0)
--   emergence_score    ln((mentions + 1) / (baseline_mentions + 1)) (add-one smoothing)
-- A term qualifies with mentions >= var signals_emerging_min_mentions (default 5), in a complete
-- week that has four weeks of the team's chat before it, and then, within its team-week
-- (share = var signals_emerging_term_share, default 0.8):
--   cohesive  a run of 2+ tokens counts as a term only when it holds at least `share` of the
--             messages of its rarest one-token piece (the pieces mostly occur together; a
--             chance neighbour such as 价格|太高 is two words, not a term);
--   whole     a term is not reported when a longer qualifying term that contains it holds at
--             least `share` of its messages (a piece that only occurs inside the longer term);
--   rising    a positive score.
-- Ranked by score, then mentions, then fewer tokens, then the term; the top var
-- signals_emerging_top_n (10) kept.
with

counts as (

    select * from {{ ref('int_token_counts_aggregated_to_team_weeks') }}

),

candidates as (

    select
        current_week.team_id,
        current_week.week_start,
        current_week.token,
        current_week.n_tokens,
        current_week.mentions,
        current_week.as_of,
        coalesce(sum(prior_weeks.mentions), 0) / 4 as baseline_mentions
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
        current_week.n_tokens,
        current_week.mentions,
        current_week.as_of

),

rarest_pieces as (

    select
        candidates.team_id,
        candidates.week_start,
        candidates.token,
        min(pieces.mentions) as rarest_piece_mentions
    from candidates
    inner join counts as pieces
        on pieces.team_id = candidates.team_id
        and pieces.week_start = candidates.week_start
        and pieces.n_tokens = 1
        and pieces.token <> candidates.token
        and {{ dbt.position('pieces.token', 'candidates.token') }} > 0
    where candidates.n_tokens > 1
    group by candidates.team_id, candidates.week_start, candidates.token

),

terms as (

    select candidates.*
    from candidates
    left join rarest_pieces
        on rarest_pieces.team_id = candidates.team_id
        and rarest_pieces.week_start = candidates.week_start
        and rarest_pieces.token = candidates.token
    where rarest_pieces.rarest_piece_mentions is null
        or candidates.mentions
        >= {{ var('signals_emerging_term_share', 0.8) }} * rarest_pieces.rarest_piece_mentions

),

absorbed as (

    select distinct
        shorter.team_id,
        shorter.week_start,
        shorter.token
    from terms as shorter
    inner join terms as longer
        on longer.team_id = shorter.team_id
        and longer.week_start = shorter.week_start
        and {{ dbt.length('longer.token') }} > {{ dbt.length('shorter.token') }}
        and {{ dbt.position('shorter.token', 'longer.token') }} > 0
    where longer.mentions >= {{ var('signals_emerging_term_share', 0.8) }} * shorter.mentions

),

scored as (

    select
        terms.*,
        ln((terms.mentions + 1.0) / (terms.baseline_mentions + 1.0)) as emergence_score
    from terms
    where not exists (
        select 1
        from absorbed
        where absorbed.team_id = terms.team_id
            and absorbed.week_start = terms.week_start
            and absorbed.token = terms.token
    )

),

ranked as (

    select
        -- ids
        team_id as unit_id,
        {{ org_unit_name('scored.team_id') }} as unit_name,
        -- attributes
        cast(row_number() over (
            partition by team_id, week_start
            order by emergence_score desc, mentions desc, n_tokens, token
        ) as integer) as term_rank,
        token,
        cast(n_tokens as integer) as n_tokens,
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
