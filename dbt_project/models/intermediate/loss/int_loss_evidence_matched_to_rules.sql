-- Evidence records of lost opportunities matched to the loss-evidence rules (seed
-- loss_evidence_rules): activity notes (visit nodes such as demo_recording_uploaded and
-- other activities) whose text contains a rule's term, and chat messages with a keyword
-- hit of the signals asset (jieba + dictionary, negation-aware) named by a rule. Only
-- records dated on or before as_of count; a note written after the loss (a 丢单复盘) is
-- evidence too. One row per lost opportunity × source record × loss reason: a record
-- matching several rules of one reason counts once, at its highest weight.
with

lost as (

    select * from {{ ref('int_lost_opportunities_joined_to_regime') }}

),

rules as (

    select * from {{ ref('loss_evidence_rules') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

hits as (

    select * from {{ ref('int_keyword_hits_joined_to_messages') }}

),

messages as (

    select * from {{ ref('stg_chat__chat_messages') }}

),

note_matches as (

    select
        lost.opportunity_id,
        'activity_note' as source_kind,
        activities.activity_id as source_record_id,
        coalesce(activities.node, activities.kind) as source_detail,
        activities.note as evidence_text,
        activities.occurred_at as evidence_at,
        rules.rule_id,
        rules.term,
        rules.loss_reason,
        rules.weight,
        rules.priority
    from activities
    inner join lost
        on lost.opportunity_id = activities.opportunity_id
    inner join rules
        on rules.source_kind = 'activity_note'
        and {{ dbt.position('rules.term', 'activities.note') }} > 0
    where activities.note is not null
        and cast(activities.occurred_at as date) <= lost.as_of

),

chat_matches as (

    select
        lost.opportunity_id,
        'chat_message' as source_kind,
        hits.message_id as source_record_id,
        hits.sender as source_detail,
        messages.text as evidence_text,
        hits.sent_at as evidence_at,
        rules.rule_id,
        rules.term,
        rules.loss_reason,
        rules.weight,
        rules.priority
    from hits
    inner join lost
        on lost.opportunity_id = hits.opportunity_id
    inner join rules
        on rules.source_kind = 'chat_keyword'
        and rules.term = hits.keyword
        and (
            rules.negation = 'either'
            or (rules.negation = 'negated') = hits.negated
        )
    inner join messages
        on messages.message_id = hits.message_id

),

matches as (

    select * from note_matches
    union all
    select * from chat_matches

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
