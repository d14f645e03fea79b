-- The top SOP cards for every team × customer industry × open stage (SPEC §5
-- Recommendation). Candidates: active cards for the scenario (the card's industry is the
-- customer's or all; its stage is the stage or all), except retirement candidates and cards
-- whose uplift is measurably harmful (rankable with the 95% interval below 0). Order: shrunk
-- win-rate uplift (0 when never measured), then this week's new-rep practice rate, then
-- card_id; the first recommendation_count (seed sop_rules, 3) are kept.
-- Labels: "highest practice rate among this team's new reps this week" holds for the
-- candidates with the highest new-rep practice rate of the scenario in the ISO week of
-- as_of (above 0); "win-rate lift after use by top reps" holds when the card's uplift on
-- uses by top reps is positive over at least top_rep_min_uses closed opportunities.
with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

rules as (

    select * from {{ ref('sop_rules') }}

),

cards as (

    select * from {{ ref('fct_sop_card_performance') }}

),

practice as (

    select * from {{ ref('fct_sop_practice_weekly') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

stages as (

    select * from {{ open_funnel_stages_relation() }}

),

industries as (

    select distinct industry
    from customers
    where industry is not null

),

scenarios as (

    select
        org_units.unit_id as team_id,
        industries.industry,
        stages.stage
    from org_units
    cross join industries
    cross join stages
    where org_units.level = 'team'

),

this_week as (

    select
        practice.team_id,
        practice.card_id,
        practice.new_rep_practice_rate
    from practice
    cross join as_of
    where practice.week_start = cast({{ dbt.date_trunc('week', 'as_of.as_of') }} as date)

),

candidates as (

    select
        scenarios.team_id,
        scenarios.industry,
        scenarios.stage,
        cards.card_id,
        cards.title,
        cards.industry as card_industry,
        cards.uplift_pp,
        cards.shrunk_uplift_pp,
        cards.used_closed_count,
        cards.top_rep_uplift_pp,
        cards.has_top_rep_lift,
        this_week.new_rep_practice_rate
    from scenarios
    inner join cards
        on (cards.industry is null or cards.industry = scenarios.industry)
        and (cards.stage is null or cards.stage = scenarios.stage)
    left join this_week
        on this_week.team_id = scenarios.team_id
        and this_week.card_id = cards.card_id
    where cards.status = 'active'
        and not cards.is_retirement_candidate
        and not (cards.is_rankable and cards.uplift_ci_high_pp < 0)

),

ranked as (

    select
        candidates.*,
        row_number() over (
            partition by team_id, industry, stage
            order by
                coalesce(shrunk_uplift_pp, 0) desc,
                coalesce(new_rep_practice_rate, 0) desc,
                card_id
        ) as recommendation_rank,
        max(coalesce(new_rep_practice_rate, 0)) over (
            partition by team_id, industry, stage
        ) as best_new_rep_practice_rate
    from candidates

)

select
    -- scenario
    ranked.team_id,
    ranked.industry,
    ranked.stage,
    ranked.recommendation_rank,
    -- card
    ranked.card_id,
    ranked.title,
    ranked.card_industry,
    ranked.shrunk_uplift_pp,
    ranked.uplift_pp,
    ranked.used_closed_count,
    ranked.new_rep_practice_rate,
    ranked.top_rep_uplift_pp,
    -- labels
    coalesce(ranked.new_rep_practice_rate, 0) > 0
        and ranked.new_rep_practice_rate = ranked.best_new_rep_practice_rate
        as is_top_new_rep_practice,
    ranked.has_top_rep_lift,
    cast({{ dbt.date_trunc('week', 'as_of.as_of') }} as date) as week_start,
    as_of.as_of
from ranked
cross join rules
cross join as_of
where ranked.recommendation_rank <= rules.recommendation_count
