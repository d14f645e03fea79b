-- Every SOP card use on or before as_of with its first feedback (submitted on or before
-- as_of), the rep's team and whether the feedback came within the window (seed sop_rules,
-- 48 h, inclusive: a feedback exactly 48:00:00 after the use is on time). A use whose window
-- has not ended by the end of the as_of day is not yet due: it is left out of the
-- timeliness denominator rather than counted late.
with

usages as (

    select * from {{ ref('stg_crm__sop_usage') }}

),

feedback as (

    select * from {{ ref('stg_crm__sop_feedback') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

rules as (

    select * from {{ ref('sop_rules') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

feedback_ranked as (

    select
        feedback.usage_id,
        feedback.submitted_at,
        feedback.verdict,
        feedback.reason_text,
        row_number() over (
            partition by feedback.usage_id
            order by feedback.submitted_at, feedback.verdict
        ) as feedback_seq
    from feedback
    cross join as_of
    where cast(feedback.submitted_at as date) <= as_of.as_of

),

joined as (

    select
        -- ids
        usages.usage_id,
        usages.card_id,
        usages.rep_id,
        reps.team_id,
        usages.opportunity_id,
        -- timestamps
        usages.used_at,
        cast(usages.used_at as date) as used_on,
        feedback_ranked.submitted_at as feedback_submitted_at,
        -- feedback
        feedback_ranked.verdict,
        feedback_ranked.reason_text,
        {{ dbt.datediff('usages.used_at', 'feedback_ranked.submitted_at', 'second') }} / 3600
            as hours_to_feedback,
        rules.feedback_window_hours,
        as_of.as_of
    from usages
    cross join as_of
    cross join rules
    left join reps
        on reps.rep_id = usages.rep_id
    left join feedback_ranked
        on feedback_ranked.usage_id = usages.usage_id
        and feedback_ranked.feedback_seq = 1
    where cast(usages.used_at as date) <= as_of.as_of

)

select
    usage_id,
    card_id,
    rep_id,
    team_id,
    opportunity_id,
    used_at,
    used_on,
    feedback_submitted_at,
    verdict,
    reason_text,
    hours_to_feedback,
    feedback_submitted_at is not null as has_feedback,
    coalesce(verdict = 'not_applicable', false) as is_negative_feedback,
    -- the window has ended by the end of the as_of day (as_of + 1 day, 00:00)
    {{ dbt.dateadd('hour', 'feedback_window_hours', 'used_at') }}
        <= {{ dbt.dateadd('day', 1, 'cast(as_of as timestamp)') }} as is_feedback_due,
    coalesce(hours_to_feedback between 0 and feedback_window_hours, false) as is_feedback_on_time,
    as_of
from joined
