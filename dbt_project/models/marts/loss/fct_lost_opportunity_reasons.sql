-- Stated vs evidence-based loss reason per lost opportunity 输单原因（填报 vs 证据）.
with

lost as (

    select * from {{ ref('int_lost_opportunities_joined_to_regime') }}

),

scored as (

    select * from {{ ref('int_loss_reasons_scored') }}

),

attributed as (

    select * from scored
    where is_attributed

),

records as (

    select
        opportunity_id,
        count(distinct source_kind || ':' || source_record_id) as evidence_record_count
    from {{ ref('int_loss_evidence_matched_to_rules') }}
    group by opportunity_id

),

final as (

    select
        -- ids
        lost.opportunity_id,
        lost.owner_rep_id,
        lost.team_id,
        -- reasons
        lost.stated_reason_code,
        lost.stated_reason_text,
        attributed.loss_reason as evidence_reason_code,
        cast(attributed.score as {{ type_double() }}) as evidence_score,
        -- evidence
        cast(coalesce(attributed.evidence_record_count, 0) as {{ dbt.type_bigint() }}) as evidence_count,
        cast(coalesce(stated_support.evidence_record_count, 0) as {{ dbt.type_bigint() }}) as stated_reason_evidence_count,
        cast(coalesce(records.evidence_record_count, 0) as {{ dbt.type_bigint() }}) as matched_record_count,
        attributed.latest_evidence_at,
        -- flags
        lost.stated_reason_code is not null as has_stated_reason,
        attributed.loss_reason is not null as has_evidence_reason,
        lost.stated_reason_code is not null
            and coalesce(attributed.evidence_record_count, 0) > 0 as is_traceable,
        case
            when lost.stated_reason_code is null or attributed.loss_reason is null then null
            else lost.stated_reason_code = attributed.loss_reason
        end as stated_matches_evidence,
        -- regime and dates
        lost.process_regime,
        lost.created_at,
        lost.lost_at,
        lost.lost_month,
        lost.as_of
    from lost
    left join attributed
        on attributed.opportunity_id = lost.opportunity_id
    left join scored as stated_support
        on stated_support.opportunity_id = lost.opportunity_id
        and stated_support.loss_reason = lost.stated_reason_code
    left join records
        on records.opportunity_id = lost.opportunity_id

)

select * from final
where {{ mart_is_available('fct_lost_opportunity_reasons') }}
