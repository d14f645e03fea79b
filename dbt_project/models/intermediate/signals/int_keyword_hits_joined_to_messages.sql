-- Keyword hits of messages sent on or before as_of, with the message's rep team and the
-- linked opportunity's product line. The inner join to the staged chat keeps only hits of
-- messages still in bronze chat (and makes chat_messages a required table of every signal
-- mart: no chat, no signals).
with

hits as (

    select * from {{ ref('stg_signals__keyword_hits') }}

),

messages as (

    select * from {{ ref('stg_chat__chat_messages') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

joined as (

    select
        -- ids
        hits.message_id,
        messages.conversation_id,
        messages.opportunity_id,
        messages.rep_id,
        reps.team_id,
        -- attributes
        opportunities.product_line,
        messages.sender,
        hits.keyword,
        hits.category,
        hits.negated,
        -- dates and timestamps
        messages.sent_at,
        cast(messages.sent_at as date) as signal_date,
        cast(date_trunc('week', messages.sent_at) as date) as week_start,
        as_of.as_of
    from hits
    inner join messages
        on messages.message_id = hits.message_id
    cross join as_of
    left join reps
        on reps.rep_id = messages.rep_id
    left join opportunities
        on opportunities.opportunity_id = messages.opportunity_id

)

select * from joined
where signal_date <= as_of
