-- The stage-probability rules engine 阶段赢率规则引擎 (SPEC §5): every open opportunity as of
-- as_of gets the probability of the one rule that fires for it. A rule fires when its stage
-- is the opportunity's stage and its evidence is present as of as_of, or it needs none (the
-- stage default). Evidence is a qualification event recorded on or before as_of, or one of
-- two facts read from the pipeline itself: `close_date_passed` (the expected close date is a
-- valid date before as_of) and `stalled` (no stage change for stalled_after_days or more).
-- Precedence: the most specific rule wins (a rule with evidence beats the stage default),
-- then the lower `precedence`, then the lower rule_id — so the choice never depends on row
-- order.
with

opportunities as (

    select * from {{ ref('int_open_opportunities_classified_for_hygiene') }}

),

rules as (

    select * from {{ ref('forecast_probability_rules') }}

),

events as (

    select * from {{ ref('stg_crm__qualification_events') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

settings as (

    select
        max(case when parameter = 'stalled_after_days' then value end) as stalled_after_days
    from {{ ref('forecast_settings') }}

),

recorded_events as (

    select distinct
        events.opportunity_id,
        events.kind
    from events
    inner join opportunities
        on opportunities.opportunity_id = events.opportunity_id
    where cast(events.recorded_at as date) <= opportunities.as_of

),

past_close_dates as (

    select
        opportunity_id,
        'close_date_passed' as kind
    from opportunities
    where close_date_class = 'valid_date'
        and {{ text_to_date('expected_close_date_raw') }} < opportunities.as_of

),

stalled as (

    select
        opportunities.opportunity_id,
        'stalled' as kind
    from opportunities
    inner join positions
        on positions.opportunity_id = opportunities.opportunity_id
    cross join settings
    where {{ dbt.datediff('cast(positions.latest_entered_at as date)', 'opportunities.as_of', 'day') }}
        >= settings.stalled_after_days

),

evidence as (

    select * from recorded_events
    union all
    select * from past_close_dates
    union all
    select * from stalled

),

candidates as (

    select
        opportunities.opportunity_id,
        rules.rule_id,
        rules.evidence_kind,
        rules.probability,
        rules.precedence,
        case when rules.evidence_kind is null then 0 else 1 end as specificity
    from opportunities
    inner join rules
        on rules.stage = opportunities.stage
    left join evidence
        on evidence.opportunity_id = opportunities.opportunity_id
        and evidence.kind = rules.evidence_kind
    where rules.evidence_kind is null
        or evidence.opportunity_id is not null

),

ranked as (

    select
        candidates.*,
        count(*) over (partition by candidates.opportunity_id) as matched_rule_count,
        row_number() over (
            partition by candidates.opportunity_id
            order by candidates.specificity desc, candidates.precedence, candidates.rule_id
        ) as rule_rank
    from candidates

)

select
    -- ids
    opportunities.opportunity_id,
    opportunities.owner_rep_id,
    opportunities.team_id,
    -- stage and regime
    opportunities.stage,
    opportunities.process_regime,
    -- the rule that fired
    ranked.rule_id,
    ranked.evidence_kind as rule_evidence_kind,
    cast(coalesce(ranked.matched_rule_count, 0) as {{ dbt.type_bigint() }}) as matched_rule_count,
    -- probabilities (0–1)
    cast(ranked.probability as {{ type_double() }}) as rule_probability,
    opportunities.crm_probability,
    cast(ranked.probability - opportunities.crm_probability as {{ type_double() }}) as probability_difference,
    -- amounts
    opportunities.amount,
    cast(opportunities.amount * ranked.probability as {{ type_double() }}) as rule_weighted_amount,
    opportunities.as_of
from opportunities
left join ranked
    on ranked.opportunity_id = opportunities.opportunity_id
    and ranked.rule_rank = 1
