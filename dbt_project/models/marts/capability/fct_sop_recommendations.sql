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
        practice.unit_id as team_id,
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

),

recommended as (

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

)

select
    cast(team_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('recommended.team_id') }} as unit_name,
    cast(industry as {{ dbt.type_string() }}) as industry,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(recommendation_rank as {{ dbt.type_bigint() }}) as recommendation_rank,
    cast(card_id as {{ dbt.type_string() }}) as card_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(card_industry as {{ dbt.type_string() }}) as card_industry,
    cast(shrunk_uplift_pp as {{ type_double() }}) as shrunk_uplift_pp,
    cast(uplift_pp as {{ type_double() }}) as uplift_pp,
    cast(used_closed_count as {{ dbt.type_bigint() }}) as used_closed_count,
    cast(new_rep_practice_rate as {{ type_double() }}) as new_rep_practice_rate,
    cast(top_rep_uplift_pp as {{ type_double() }}) as top_rep_uplift_pp,
    cast(is_top_new_rep_practice as boolean) as is_top_new_rep_practice,
    cast(has_top_rep_lift as boolean) as has_top_rep_lift,
    cast(
        case
            when is_top_new_rep_practice and has_top_rep_lift
                then '本周团队新人练习率最高 · 标杆销售使用后胜率提升'
            when is_top_new_rep_practice then '本周团队新人练习率最高'
            when has_top_rep_lift then '标杆销售使用后胜率提升'
        end as {{ dbt.type_string() }}
    ) as labels_zh,
    cast(week_start as date) as week_start,
    cast(as_of as date) as as_of
from recommended
where {{ mart_is_available('fct_sop_recommendations') }}
