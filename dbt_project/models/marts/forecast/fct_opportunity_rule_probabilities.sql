-- The stage-probability rules engine applied to every open opportunity as of as_of: the rule
-- that fired, its probability, and the CRM's probability beside it.
with

matched as (

    select * from {{ ref('int_open_opportunities_matched_to_probability_rules') }}

)

select
    -- ids
    cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
    cast(owner_rep_id as {{ dbt.type_string() }}) as owner_rep_id,
    cast(team_id as {{ dbt.type_string() }}) as team_id,
    -- stage and regime
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(process_regime as {{ dbt.type_string() }}) as process_regime,
    -- the rule that fired
    cast(rule_id as {{ dbt.type_string() }}) as rule_id,
    cast(rule_evidence_kind as {{ dbt.type_string() }}) as rule_evidence_kind,
    cast(matched_rule_count as {{ dbt.type_bigint() }}) as matched_rule_count,
    -- probabilities (0–1)
    cast(rule_probability as {{ type_double() }}) as rule_probability,
    cast(crm_probability as {{ type_double() }}) as crm_probability,
    cast(probability_difference as {{ type_double() }}) as probability_difference,
    -- amounts
    cast(amount as {{ type_double() }}) as amount,
    cast(rule_weighted_amount as {{ type_double() }}) as rule_weighted_amount,
    cast(as_of as date) as as_of
from matched
where {{ mart_is_available('fct_opportunity_rule_probabilities') }}
