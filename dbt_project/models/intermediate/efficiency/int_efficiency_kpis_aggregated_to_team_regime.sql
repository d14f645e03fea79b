-- The five efficiency KPIs (SPEC §5 Efficiency comparison) as additive parts per team and
-- process regime, so any scope's value is Σ numerator ÷ Σ denominator over its teams:
--   attainment_volatility_pp  Σ trailing-6-month volatility ÷ rep-months that have one
--                             (fct_attainment_rep_month, completed months only)
--   lead_to_sign_days         Σ lead-to-sign days ÷ signed won opportunities (fct_lead_to_sign;
--                             regime of the opportunity's team at its creation)
--   new_rep_retention_90d     retained ÷ hired, cohorts in the comparison window
--                             (fct_new_rep_retention, team rows)
--   loss_reason_traceability  traceable ÷ lost opportunities (fct_lost_opportunity_reasons)
--   best_practice_reuse_rate  reused ÷ eligible opportunities (fct_best_practice_reuse_monthly,
--                             team rows)
-- Each source mart keeps its own definitions; nothing is recomputed here.
with

attainment as (

    select * from {{ ref('fct_attainment_rep_month') }}

),

lead_to_sign as (

    select * from {{ ref('fct_lead_to_sign') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_scenario') }}

),

retention as (

    select * from {{ ref('fct_new_rep_retention') }}

),

lost as (

    select * from {{ ref('fct_lost_opportunity_reasons') }}

),

reuse as (

    select * from {{ ref('fct_best_practice_reuse_monthly') }}

),

parts as (

    select
        attainment.team_id,
        attainment.process_regime,
        'attainment_volatility_pp' as kpi,
        sum(attainment.attainment_volatility_pp) as numerator,
        count(*) as denominator
    from attainment
    where attainment.attainment_volatility_pp is not null
        and attainment.is_period_complete
    group by attainment.team_id, attainment.process_regime

    union all

    select
        lead_to_sign.team_id,
        opportunities.process_regime,
        'lead_to_sign_days' as kpi,
        sum(lead_to_sign.lead_to_sign_days) as numerator,
        count(*) as denominator
    from lead_to_sign
    inner join opportunities
        on opportunities.opportunity_id = lead_to_sign.opportunity_id
    group by lead_to_sign.team_id, opportunities.process_regime

    union all

    select
        retention.unit_id as team_id,
        retention.process_regime,
        'new_rep_retention_90d' as kpi,
        sum(retention.retained_count) as numerator,
        sum(retention.hired_count) as denominator
    from retention
    where retention.unit_level = 'team'
        and retention.is_in_comparison_window
    group by retention.unit_id, retention.process_regime

    union all

    select
        lost.team_id,
        lost.process_regime,
        'loss_reason_traceability' as kpi,
        sum(case when lost.is_traceable then 1 else 0 end) as numerator,
        count(*) as denominator
    from lost
    group by lost.team_id, lost.process_regime

    union all

    select
        reuse.unit_id as team_id,
        reuse.process_regime,
        'best_practice_reuse_rate' as kpi,
        sum(reuse.reused_count) as numerator,
        sum(reuse.eligible_count) as denominator
    from reuse
    where reuse.unit_level = 'team'
    group by reuse.unit_id, reuse.process_regime

)

select
    team_id,
    process_regime,
    kpi,
    cast(numerator as {{ type_double() }}) as numerator,
    cast(denominator as {{ dbt.type_bigint() }}) as denominator
from parts
where team_id is not null
