-- Evidence records of lost opportunities 输单证据: the lost deals' records matched to the
-- loss-evidence rules (int_closed_opportunity_records_matched_to_rules: notes and chat read
-- by the same matcher, negation per rule, records dated on or before as_of, a note after the
-- loss included), each at its rule's weight × its text's discrimination against won deals
-- (int_loss_evidence_texts_weighed_against_wins): a text as common in won deals as in lost
-- ones (a template, routine talk) weighs 0 and drops out. One row per lost opportunity ×
-- source record × loss reason: a record matching several rules of one reason counts once,
-- at its highest weight.
with

lost as (

    select * from {{ ref('int_lost_opportunities_joined_to_regime') }}

),

records as (

    select * from {{ ref('int_closed_opportunity_records_matched_to_rules') }}

),

weighed as (

    select * from {{ ref('int_loss_evidence_texts_weighed_against_wins') }}

),

matches as (

    select
        records.opportunity_id,
        records.source_kind,
        records.source_record_id,
        records.source_detail,
        records.evidence_text,
        records.evidence_at,
        records.rule_id,
        records.term,
        records.loss_reason,
        records.rule_weight * coalesce(weighed.discrimination, 1.0) as weight,
        records.priority
    from records
    inner join lost
        on lost.opportunity_id = records.opportunity_id
    left join weighed
        on weighed.source_kind = records.source_kind
        and weighed.evidence_text = records.evidence_text
    where records.status_as_of = 'lost'
        and records.rule_weight * coalesce(weighed.discrimination, 1.0) > 0

),

terms as (

    select distinct
        opportunity_id,
        source_kind,
        source_record_id,
        loss_reason,
        term,
        rule_id
    from matches

),

term_lists as (

    select
        opportunity_id,
        source_kind,
        source_record_id,
        loss_reason,
        {{ dbt.listagg('term', "'|'", 'order by term') }} as matched_terms,
        {{ dbt.listagg('rule_id', "'|'", 'order by rule_id') }} as rule_ids
    from terms
    group by opportunity_id, source_kind, source_record_id, loss_reason

),

per_record as (

    select
        opportunity_id,
        source_kind,
        source_record_id,
        source_detail,
        evidence_text,
        evidence_at,
        loss_reason,
        max(weight) as weight,
        min(priority) as priority
    from matches
    group by
        opportunity_id,
        source_kind,
        source_record_id,
        source_detail,
        evidence_text,
        evidence_at,
        loss_reason

)

select
    -- ids
    per_record.opportunity_id,
    per_record.source_kind,
    per_record.source_record_id,
    -- reason and rule
    per_record.loss_reason,
    cast(per_record.weight as {{ type_double() }}) as weight,
    cast(per_record.priority as {{ dbt.type_bigint() }}) as priority,
    term_lists.matched_terms,
    term_lists.rule_ids,
    -- source record
    per_record.source_detail,
    per_record.evidence_text,
    per_record.evidence_at
from per_record
inner join term_lists
    on term_lists.opportunity_id = per_record.opportunity_id
    and term_lists.source_kind = per_record.source_kind
    and term_lists.source_record_id = per_record.source_record_id
    and term_lists.loss_reason = per_record.loss_reason
