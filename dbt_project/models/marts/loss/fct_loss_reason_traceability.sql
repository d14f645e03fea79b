-- Loss-reason traceability 输单原因可追溯率 per org unit (rolled up through the org tree),
-- month lost and process regime.
with

lost as (

    select * from {{ ref('fct_lost_opportunity_reasons') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

aggregated as (

    select
        closure.ancestor_id as unit_id,
        lost.lost_month,
        lost.process_regime,
        lost.as_of,
        count(*) as lost_count,
        sum(case when lost.has_stated_reason then 1 else 0 end) as with_reason_code_count,
        sum(case when lost.evidence_count > 0 then 1 else 0 end) as with_evidence_count,
        sum(case when lost.is_traceable then 1 else 0 end) as traceable_count
    from lost
    inner join closure
        on closure.descendant_id = lost.team_id
    group by closure.ancestor_id, lost.lost_month, lost.process_regime, lost.as_of

)

select
    -- ids
    unit_id,
    {{ org_unit_name('aggregated.unit_id') }} as unit_name,
    lost_month,
    process_regime,
    -- counts
    cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
    cast(with_reason_code_count as {{ dbt.type_bigint() }}) as with_reason_code_count,
    cast(with_evidence_count as {{ dbt.type_bigint() }}) as with_evidence_count,
    cast(traceable_count as {{ dbt.type_bigint() }}) as traceable_count,
    -- rates
    cast(traceable_count as {{ type_double() }}) / lost_count as traceability_rate,
    cast(with_reason_code_count as {{ type_double() }}) / lost_count as reason_code_rate,
    cast(with_evidence_count as {{ type_double() }}) / lost_count as evidence_rate,
    as_of
from aggregated
where {{ mart_is_available('fct_loss_reason_traceability') }}
