-- The efficiency comparison (SPEC §5), read from the marts that own each KPI:
--   attainment_volatility_pp  Σ trailing-6-month volatility ÷ rep-months that have one
--                             (fct_attainment_rep_month, completed months only)
--   lead_to_sign_days         Σ lead-to-sign days ÷ signed won opportunities (fct_lead_to_sign;
--                             regime of the opportunity's team at its creation)
--   new_rep_retention_90d     retained ÷ hired, cohorts in the comparison window
--                             (fct_new_rep_retention, team rows)
--   loss_reason_traceability  traceable ÷ lost opportunities (fct_lost_opportunity_reasons)
--   best_practice_reuse_rate  reused ÷ eligible opportunities (fct_best_practice_reuse_monthly,
--                             team rows)
with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

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

team_regime_parts as (

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

),

-- the five KPIs as additive parts per team × process regime: any scope's value is
-- Σ numerator ÷ Σ denominator over its teams. Each source mart owns its KPI's definition;
-- nothing is recomputed here (marts may read marts; an intermediate may not).
parts as (

    select
        team_id,
        process_regime,
        kpi,
        cast(numerator as {{ type_double() }}) as numerator,
        cast(denominator as {{ dbt.type_bigint() }}) as denominator
    from team_regime_parts
    where team_id is not null

),

kpis as (

    select * from {{ ref('efficiency_kpis') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

scopes as (

    select
        unit_id as scope_id,
        case when level = 'hq' then 'overall' else 'region' end as scope_level,
        name as scope_name
    from org_units
    where level in ('hq', 'region')

),

rolled_up as (

    select
        scopes.scope_id,
        parts.kpi,
        sum(case when parts.process_regime = 'traditional' then parts.numerator end) as traditional_numerator,
        sum(case when parts.process_regime = 'traditional' then parts.denominator end) as traditional_sample,
        sum(case when parts.process_regime = 'structured' then parts.numerator end) as structured_numerator,
        sum(case when parts.process_regime = 'structured' then parts.denominator end) as structured_sample
    from parts
    inner join closure
        on closure.descendant_id = parts.team_id
    inner join scopes
        on scopes.scope_id = closure.ancestor_id
    group by scopes.scope_id, parts.kpi

),

valued as (

    select
        scopes.scope_id,
        scopes.scope_level,
        scopes.scope_name,
        kpis.kpi,
        kpis.sort_order,
        kpis.label_zh,
        kpis.label_en,
        kpis.unit,
        kpis.better_direction,
        coalesce(rolled_up.traditional_sample, 0) as traditional_sample,
        coalesce(rolled_up.structured_sample, 0) as structured_sample,
        case
            when rolled_up.traditional_sample > 0
                then rolled_up.traditional_numerator / rolled_up.traditional_sample
        end as traditional_value,
        case
            when rolled_up.structured_sample > 0
                then rolled_up.structured_numerator / rolled_up.structured_sample
        end as structured_value
    from scopes
    cross join kpis
    left join rolled_up
        on rolled_up.scope_id = scopes.scope_id
        and rolled_up.kpi = kpis.kpi

),

compared as (

    select
        valued.*,
        structured_value - traditional_value as change_abs,
        case
            when traditional_value <> 0
                then (structured_value - traditional_value) / abs(traditional_value)
        end as change_pct,
        case
            when structured_value > traditional_value then '↑'
            when structured_value < traditional_value then '↓'
            when structured_value = traditional_value then '→'
        end as direction
    from valued

)

select
    cast(compared.scope_id as {{ dbt.type_string() }}) as unit_id,
    cast(compared.scope_name as {{ dbt.type_string() }}) as unit_name,
    cast(compared.scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(compared.kpi as {{ dbt.type_string() }}) as kpi,
    cast(compared.sort_order as {{ dbt.type_bigint() }}) as sort_order,
    cast(compared.label_zh as {{ dbt.type_string() }}) as label_zh,
    cast(compared.label_en as {{ dbt.type_string() }}) as label_en,
    cast(compared.unit as {{ dbt.type_string() }}) as unit,
    cast(compared.better_direction as {{ dbt.type_string() }}) as better_direction,
    cast(compared.traditional_value as {{ type_double() }}) as traditional_value,
    cast(compared.structured_value as {{ type_double() }}) as structured_value,
    cast(compared.traditional_sample as {{ dbt.type_bigint() }}) as traditional_sample,
    cast(compared.structured_sample as {{ dbt.type_bigint() }}) as structured_sample,
    cast(compared.change_abs as {{ type_double() }}) as change_abs,
    cast(compared.change_pct as {{ type_double() }}) as change_pct,
    cast(compared.direction as {{ dbt.type_string() }}) as direction,
    cast(
        case
            when compared.direction is null then null
            when compared.better_direction = 'lower' then compared.direction = '↓'
            else compared.direction = '↑'
        end as boolean
    ) as is_improvement,
    cast(
        compared.direction || coalesce(
            ' ' || cast({{ decimal_round('100 * abs(compared.change_pct)', 1) }} as {{ dbt.type_string() }}) || '%',
            ''
        ) as {{ dbt.type_string() }}
    ) as change_label,
    cast(as_of.as_of as date) as as_of
from compared
cross join as_of
where {{ mart_is_available('fct_efficiency_comparison') }}
