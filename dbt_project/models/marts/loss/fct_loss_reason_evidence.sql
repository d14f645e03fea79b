-- The evidence list 输单证据清单: every record that matched a loss-evidence rule on a lost
-- opportunity, pointing at its source record, so a manager can trace each reason.
with

records as (

    select * from {{ ref('int_loss_evidence_matched_to_rules') }}

),

lost as (

    select * from {{ ref('int_lost_opportunities_joined_to_regime') }}

),

attributed as (

    select * from {{ ref('int_loss_reasons_scored') }}
    where is_attributed

),

final as (

    select
        -- ids
        records.opportunity_id,
        records.source_kind,
        records.source_record_id,
        lost.team_id,
        -- reason and rule
        records.loss_reason,
        records.weight,
        records.matched_terms,
        records.rule_ids,
        coalesce(records.loss_reason = attributed.loss_reason, false) as supports_evidence_reason,
        coalesce(records.loss_reason = lost.stated_reason_code, false) as supports_stated_reason,
        -- source record
        records.source_detail,
        records.evidence_text,
        records.evidence_at,
        lost.as_of
    from records
    inner join lost
        on lost.opportunity_id = records.opportunity_id
    left join attributed
        on attributed.opportunity_id = records.opportunity_id

)

select * from final
where {{ mart_is_available('fct_loss_reason_evidence') }}
