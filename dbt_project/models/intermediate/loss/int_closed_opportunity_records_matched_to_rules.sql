-- Records of closed opportunities (won or lost as of as_of) matched to the loss-evidence
-- rules (seed loss_evidence_rules): activity notes and chat messages, read by the same
-- matcher (jieba + the chat_keywords dictionary, negation scope; files signals/note_hits and
-- signals/keyword_hits). A rule names a dictionary keyword, the kind of record and the
-- negation that counts (客户表示报价不是太贵 is 太贵 negated: no plain price rule matches).
-- Records dated on or before as_of; for a won deal only those up to its close (what was said
-- while it was being sold), for a lost one every such record (a 丢单复盘 after the loss is
-- evidence too). Won deals are read to weigh each rule against wins
-- (int_loss_evidence_texts_weighed_against_wins). One row per closed opportunity × source
-- record × rule.
{{ config(materialized='table') }}

with

closed as (

    select * from {{ ref('int_opportunities_with_evidence_window') }}
    where status_as_of in ('won', 'lost')

),

rules as (

    select * from {{ ref('loss_evidence_rules') }}

),

activities as (

    select * from {{ ref('stg_crm__activities') }}

),

note_hits as (

    select * from {{ ref('stg_signals__note_hits') }}

),

chat_hits as (

    select * from {{ ref('int_keyword_hits_joined_to_messages') }}

),

messages as (

    select * from {{ ref('stg_chat__chat_messages') }}

),

note_matches as (

    select
        closed.opportunity_id,
        closed.status_as_of,
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
    from note_hits
    inner join activities
        on activities.activity_id = note_hits.activity_id
    inner join closed
        on closed.opportunity_id = activities.opportunity_id
    inner join rules
        on rules.source_kind = 'activity_note'
        and rules.term = note_hits.keyword
        and (
            rules.negation = 'either'
            or (rules.negation = 'negated') = note_hits.negated
        )
    where cast(activities.occurred_at as date) <= closed.as_of
        and (closed.status_as_of = 'lost' or activities.occurred_at <= closed.closed_at_as_of)

),

chat_matches as (

    select
        closed.opportunity_id,
        closed.status_as_of,
        'chat_message' as source_kind,
        chat_hits.message_id as source_record_id,
        chat_hits.sender as source_detail,
        messages.text as evidence_text,
        chat_hits.sent_at as evidence_at,
        rules.rule_id,
        rules.term,
        rules.loss_reason,
        rules.weight,
        rules.priority
    from chat_hits
    inner join closed
        on closed.opportunity_id = chat_hits.opportunity_id
    inner join rules
        on rules.source_kind = 'chat_message'
        and rules.term = chat_hits.keyword
        and (
            rules.negation = 'either'
            or (rules.negation = 'negated') = chat_hits.negated
        )
    inner join messages
        on messages.message_id = chat_hits.message_id
    where closed.status_as_of = 'lost' or chat_hits.sent_at <= closed.closed_at_as_of

),

matches as (

    select * from note_matches
    union all
    select * from chat_matches

)

select
    -- ids
    opportunity_id,
    source_kind,
    source_record_id,
    rule_id,
    -- status
    status_as_of,
    -- rule
    term,
    loss_reason,
    cast(weight as {{ type_double() }}) as rule_weight,
    cast(priority as {{ dbt.type_bigint() }}) as priority,
    -- source record
    source_detail,
    evidence_text,
    evidence_at
from matches
