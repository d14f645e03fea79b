with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

rules as (

    select * from {{ ref('sop_rules') }}

),

cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

usages as (

    select * from {{ ref('int_sop_usages_joined_to_feedback') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

uplift as (

    select * from {{ ref('int_sop_cards_uplift_estimated') }}

),

cards_as_of as (

    select cards.*
    from cards
    cross join as_of
    where cast(cards.created_at as date) <= as_of.as_of

),

active_reps as (

    select reps.rep_id
    from reps
    cross join as_of
    where reps.role = 'rep'
        -- an unknown hire date (empty) counts as hired: the person is in the extract
        and (reps.hire_date is null or reps.hire_date <= as_of.as_of)
        and (reps.termination_date is null or reps.termination_date > as_of.as_of)

),

active_rep_count as (

    select count(*) as active_reps from active_reps

),

recent_users as (

    select
        usages.card_id,
        count(distinct usages.rep_id) as recent_users
    from usages
    cross join rules
    inner join active_reps
        on active_reps.rep_id = usages.rep_id
    where usages.used_on > {{ dbt.dateadd('day', '-1 * rules.usage_window_days', 'usages.as_of') }}
    group by usages.card_id

),

use_totals as (

    select
        card_id,
        count(*) as uses_count,
        count(distinct opportunity_id) as opportunities_count,
        sum(case when has_feedback then 1 else 0 end) as feedback_count,
        sum(case when is_negative_feedback then 1 else 0 end) as negative_feedback_count,
        sum(case when is_feedback_due then 1 else 0 end) as feedback_due_count,
        sum(case when is_feedback_due and is_feedback_on_time then 1 else 0 end)
            as feedback_on_time_count
    from usages
    group by card_id

),

all_uses as (

    select * from uplift where rep_group = 'all'

),

top_rep_uses as (

    select * from uplift where rep_group = 'top_reps'

),

measured as (

    select
        cards_as_of.card_id,
        cards_as_of.title,
        cards_as_of.industry,
        cards_as_of.stage,
        cards_as_of.source,
        cards_as_of.author_rep_id,
        cards_as_of.status,
        cards_as_of.created_at,
        coalesce(use_totals.uses_count, 0) as uses_count,
        coalesce(use_totals.opportunities_count, 0) as opportunities_count,
        coalesce(recent_users.recent_users, 0) as recent_users,
        active_rep_count.active_reps,
        case
            when active_rep_count.active_reps > 0
                then cast(coalesce(recent_users.recent_users, 0) as {{ type_double() }}) / active_rep_count.active_reps
        end as usage_rate,
        coalesce(use_totals.feedback_count, 0) as feedback_count,
        coalesce(use_totals.negative_feedback_count, 0) as negative_feedback_count,
        case
            when use_totals.feedback_count > 0
                then cast(use_totals.negative_feedback_count as {{ type_double() }}) / use_totals.feedback_count
        end as negative_feedback_share,
        coalesce(use_totals.feedback_due_count, 0) as feedback_due_count,
        coalesce(use_totals.feedback_on_time_count, 0) as feedback_on_time_count,
        case
            when use_totals.feedback_due_count > 0
                then cast(use_totals.feedback_on_time_count as {{ type_double() }}) / use_totals.feedback_due_count
        end as feedback_within_window_rate,
        coalesce(all_uses.matched_used_count, 0) as used_closed_count,
        coalesce(all_uses.comparable_count, 0) as comparable_count,
        coalesce(all_uses.matched_strata_count, 0) as matched_strata_count,
        all_uses.used_win_rate,
        all_uses.comparable_win_rate,
        all_uses.uplift,
        all_uses.uplift_se,
        all_uses.uplift_ci_low,
        all_uses.uplift_ci_high,
        all_uses.shrunk_uplift,
        coalesce(all_uses.matched_used_count, 0) >= rules.uplift_min_sample as is_rankable,
        coalesce(top_rep_uses.matched_used_count, 0) as top_rep_used_closed_count,
        top_rep_uses.uplift as top_rep_uplift,
        coalesce(top_rep_uses.matched_used_count, 0) >= rules.top_rep_min_uses
            and top_rep_uses.uplift > 0 as has_top_rep_lift,
        rules.retirement_max_usage_rate,
        rules.retirement_min_negative_share,
        rules.retirement_min_feedback,
        as_of.as_of
    from cards_as_of
    cross join as_of
    cross join rules
    cross join active_rep_count
    left join use_totals
        on use_totals.card_id = cards_as_of.card_id
    left join recent_users
        on recent_users.card_id = cards_as_of.card_id
    left join all_uses
        on all_uses.card_id = cards_as_of.card_id
    left join top_rep_uses
        on top_rep_uses.card_id = cards_as_of.card_id

),

ranked as (

    select
        measured.*,
        case
            when is_rankable then row_number() over (
                partition by is_rankable
                order by shrunk_uplift desc, card_id
            )
        end as uplift_rank,
        sum(case when is_rankable then 1 else 0 end) over () as rankable_cards_count,
        status = 'active'
            and coalesce(usage_rate, 0) < retirement_max_usage_rate
            and feedback_count >= retirement_min_feedback
            and negative_feedback_share > retirement_min_negative_share
            as is_retirement_candidate
    from measured

)

select
    -- ids
    cast(card_id as {{ dbt.type_string() }}) as card_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(industry as {{ dbt.type_string() }}) as industry,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(source as {{ dbt.type_string() }}) as source,
    cast(author_rep_id as {{ dbt.type_string() }}) as author_rep_id,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    -- usage
    cast(uses_count as {{ dbt.type_bigint() }}) as uses_count,
    cast(opportunities_count as {{ dbt.type_bigint() }}) as opportunities_count,
    cast(recent_users as {{ dbt.type_bigint() }}) as recent_users,
    cast(active_reps as {{ dbt.type_bigint() }}) as active_reps,
    cast(usage_rate as {{ type_double() }}) as usage_rate,
    -- feedback
    cast(feedback_count as {{ dbt.type_bigint() }}) as feedback_count,
    cast(negative_feedback_count as {{ dbt.type_bigint() }}) as negative_feedback_count,
    cast(negative_feedback_share as {{ type_double() }}) as negative_feedback_share,
    cast(feedback_due_count as {{ dbt.type_bigint() }}) as feedback_due_count,
    cast(feedback_on_time_count as {{ dbt.type_bigint() }}) as feedback_on_time_count,
    cast(feedback_within_window_rate as {{ type_double() }}) as feedback_within_window_rate,
    -- win-rate uplift (pp = percentage points)
    cast(used_closed_count as {{ dbt.type_bigint() }}) as used_closed_count,
    cast(comparable_count as {{ dbt.type_bigint() }}) as comparable_count,
    cast(matched_strata_count as {{ dbt.type_bigint() }}) as matched_strata_count,
    cast(used_win_rate as {{ type_double() }}) as used_win_rate,
    cast(comparable_win_rate as {{ type_double() }}) as comparable_win_rate,
    cast(100 * uplift as {{ type_double() }}) as uplift_pp,
    cast(100 * uplift_se as {{ type_double() }}) as uplift_se_pp,
    cast(100 * uplift_ci_low as {{ type_double() }}) as uplift_ci_low_pp,
    cast(100 * uplift_ci_high as {{ type_double() }}) as uplift_ci_high_pp,
    cast(100 * shrunk_uplift as {{ type_double() }}) as shrunk_uplift_pp,
    cast(is_rankable as boolean) as is_rankable,
    cast(uplift_rank as {{ dbt.type_bigint() }}) as uplift_rank,
    cast(rankable_cards_count as {{ dbt.type_bigint() }}) as rankable_cards_count,
    cast(top_rep_used_closed_count as {{ dbt.type_bigint() }}) as top_rep_used_closed_count,
    cast(100 * top_rep_uplift as {{ type_double() }}) as top_rep_uplift_pp,
    cast(coalesce(has_top_rep_lift, false) as boolean) as has_top_rep_lift,
    -- retirement
    cast(coalesce(is_retirement_candidate, false) as boolean) as is_retirement_candidate,
    cast(as_of as date) as as_of
from ranked
where {{ mart_is_available('fct_sop_card_performance') }}
