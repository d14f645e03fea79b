-- The stage-probability rules engine 阶段赢率规则引擎 (SPEC §5) as of as_of: every open
-- opportunity gets the probability of the one rule that fires for it (macro
-- probability_rules_fired: the rules, their evidence and their precedence, defined once).
with

opportunities as (

    select * from {{ ref('int_open_opportunities_classified_for_hygiene') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

scored as (

    select
        opportunities.opportunity_id,
        opportunities.as_of,
        opportunities.stage,
        case
            when opportunities.close_date_class = 'valid_date'
                then {{ text_to_date('opportunities.expected_close_date_raw') }}
        end as expected_close_on,
        positions.latest_entered_at
    from opportunities
    left join positions
        on positions.opportunity_id = opportunities.opportunity_id

),

ranked as (

    {{ probability_rules_fired('scored', 'as_of') }}

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
