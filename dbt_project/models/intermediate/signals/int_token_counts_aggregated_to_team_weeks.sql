-- depends_on: {{ ref('stg_chat__chat_messages') }}
-- (token counts come from bronze chat through the signals asset; the ref makes chat_messages
-- a required table of the marts built on this model.)
--
-- Term counts (runs of 1-4 tokens, n_tokens: the fewest tokens any rep's count had) per team
-- and ISO week, for complete weeks only (the week's Sunday on or
-- before as_of): token counts are weekly, so a week still running at as_of would count
-- messages sent after as_of. first_week_start: the team's first week with any chat.
with

token_counts as (

    select * from {{ ref('stg_signals__token_counts') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

team_weeks as (

    select
        -- ids
        reps.team_id,
        -- attributes
        token_counts.token,
        min(token_counts.n_tokens) as n_tokens,
        -- dates
        token_counts.week_start,
        as_of.as_of,
        -- counts
        sum(token_counts.messages) as mentions
    from token_counts
    inner join reps
        on reps.rep_id = token_counts.rep_id
    cross join as_of
    where token_counts.week_start + 6 <= as_of.as_of
    group by reps.team_id, token_counts.token, token_counts.week_start, as_of.as_of

)

select
    team_weeks.*,
    min(week_start) over (partition by team_id) as first_week_start
from team_weeks
