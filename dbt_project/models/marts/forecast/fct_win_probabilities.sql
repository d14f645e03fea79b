-- Win probability 赢率 per open opportunity per scoring day (SPEC §6): the calibrated model's,
-- beside the rules engine's and the CRM's own, with the weighted amounts a forecast sums.
with

scoring as (

    select * from {{ ref('fct_opportunity_scoring_days') }}

),

predictions as (

    select * from {{ ref('stg_ml__win_probabilities') }}

)

select
    -- grain
    scoring.scored_on,
    scoring.opportunity_id,
    -- the scoring day
    scoring.period,
    scoring.lock_day,
    scoring.is_as_of,
    -- owner
    scoring.owner_rep_id,
    scoring.team_id,
    scoring.tenure_cohort,
    -- position
    scoring.stage,
    scoring.amount,
    -- probabilities (0–1)
    predictions.win_probability,
    scoring.rule_probability,
    scoring.crm_probability,
    -- weighted amounts (yuan)
    cast(scoring.amount * predictions.win_probability as {{ type_double() }}) as model_weighted_amount,
    cast(scoring.amount * scoring.rule_probability as {{ type_double() }}) as rule_weighted_amount,
    -- model
    predictions.model_origin,
    predictions.model_version
from scoring
left join predictions
    on predictions.scored_on = scoring.scored_on
    and predictions.opportunity_id = scoring.opportunity_id
where {{ mart_is_available('fct_win_probabilities') }}
