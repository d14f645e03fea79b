-- The open pipeline on every scoring day 评分日在途商机 (int_scoring_days_spined: the lock days
-- 1/8/15/22 of each month and as_of): each open opportunity as it stood at the end of the day
-- (the daily snapshot) and its owner's tenure cohort that month, with the stage-probability
-- rules engine evaluated on that day (macro probability_rules_fired) beside the CRM's own
-- probability. The forecasting models read it:
-- the win-probability model scores these rows, the backtest sums them per rep and lock point.
with

snapshot as (

    select * from {{ ref('int_opportunity_daily_snapshot') }}

),

scoring_days as (

    select * from {{ ref('int_scoring_days_spined') }}

),

history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

settings as (

    select
        cast(max(case when parameter = 'new_rep_tenure_months' then value end) as integer)
            as new_rep_tenure_months
    from {{ ref('forecast_settings') }}

),

open_on_scoring_days as (

    select
        scoring_days.scored_on,
        scoring_days.period,
        scoring_days.lock_day,
        scoring_days.is_as_of,
        snapshot.opportunity_id,
        snapshot.owner_rep_id,
        snapshot.team_id,
        snapshot.stage,
        snapshot.amount,
        snapshot.expected_close_date_raw,
        snapshot.expected_close_on,
        snapshot.probability
    from snapshot
    inner join scoring_days
        on scoring_days.scored_on = snapshot.snapshot_date
    where snapshot.is_open

),

latest_entries as (

    select
        open_on_scoring_days.opportunity_id,
        open_on_scoring_days.scored_on,
        max(history.entered_at) as latest_entered_at
    from open_on_scoring_days
    inner join history
        on history.opportunity_id = open_on_scoring_days.opportunity_id
    where cast(history.entered_at as date) <= open_on_scoring_days.scored_on
    group by open_on_scoring_days.opportunity_id, open_on_scoring_days.scored_on

),

scored as (

    select
        open_on_scoring_days.*,
        latest_entries.latest_entered_at
    from open_on_scoring_days
    left join latest_entries
        on latest_entries.opportunity_id = open_on_scoring_days.opportunity_id
        and latest_entries.scored_on = open_on_scoring_days.scored_on

),

fired as (

    {{ probability_rules_fired('scored', 'scored_on') }}

)

select
    -- grain
    scored.scored_on,
    scored.opportunity_id,
    -- the scoring day
    scored.period,
    scored.lock_day,
    scored.is_as_of,
    -- owner
    scored.owner_rep_id,
    scored.team_id,
    cast(
        {{ forecast_tenure_cohort('reps.hire_date', dbt.date_trunc('month', 'scored.scored_on'), 'settings.new_rep_tenure_months') }}
        as {{ dbt.type_string() }}
    ) as tenure_cohort,
    -- position
    scored.stage,
    scored.latest_entered_at,
    {{ dbt.datediff('cast(scored.latest_entered_at as date)', 'scored.scored_on', 'day') }}
        as days_in_stage,
    -- values
    cast(scored.amount as {{ type_double() }}) as amount,
    scored.expected_close_date_raw,
    scored.expected_close_on,
    -- probabilities (0–1): the CRM's, and the rules engine's on that day
    cast(scored.probability as {{ type_double() }}) as crm_probability,
    fired.rule_id,
    cast(fired.probability as {{ type_double() }}) as rule_probability
from scored
cross join settings
left join reps
    on reps.rep_id = scored.owner_rep_id
left join fired
    on fired.opportunity_id = scored.opportunity_id
    and fired.scored_on = scored.scored_on
where {{ mart_is_available('fct_opportunity_scoring_days') }}
