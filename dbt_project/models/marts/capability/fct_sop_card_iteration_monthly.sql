with

rules as (

    select * from {{ ref('sop_rules') }}

),

usages as (

    select * from {{ ref('int_sop_usages_joined_to_feedback') }}

),

cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

monthly_feedback as (

    select
        cast({{ dbt.date_trunc('month', 'feedback_submitted_at') }} as date) as feedback_month,
        card_id,
        verdict,
        reason_text,
        as_of
    from usages
    where has_feedback

),

card_months as (

    select
        feedback_month,
        card_id,
        count(*) as feedback_count,
        sum(case when verdict <> 'fully' then 1 else 0 end) as not_fully_count,
        sum(case when verdict = 'not_applicable' then 1 else 0 end) as negative_count,
        max(as_of) as as_of
    from monthly_feedback
    group by feedback_month, card_id

),

reasons as (

    select
        feedback_month,
        card_id,
        reason_text,
        row_number() over (
            partition by feedback_month, card_id
            order by count(*) desc, reason_text
        ) as reason_rank
    from monthly_feedback
    where verdict <> 'fully'
        and reason_text is not null
    group by feedback_month, card_id, reason_text

),

eligible as (

    select
        card_months.*,
        cards.title,
        cards.status,
        cast(card_months.not_fully_count as {{ type_double() }}) / card_months.feedback_count as improvement_share,
        rules.iteration_list_size
    from card_months
    cross join rules
    inner join cards
        on cards.card_id = card_months.card_id
    where cards.status <> 'draft'
        and card_months.feedback_count >= rules.iteration_min_feedback
        and card_months.not_fully_count > 0

),

ranked as (

    select
        eligible.*,
        row_number() over (
            partition by feedback_month
            order by improvement_share desc, feedback_count desc, card_id
        ) as improvement_rank
    from eligible

)

select
    cast(ranked.feedback_month as date) as feedback_month,
    cast(ranked.improvement_rank as {{ dbt.type_bigint() }}) as improvement_rank,
    cast(ranked.card_id as {{ dbt.type_string() }}) as card_id,
    cast(ranked.title as {{ dbt.type_string() }}) as title,
    cast(ranked.status as {{ dbt.type_string() }}) as status,
    cast(ranked.feedback_count as {{ dbt.type_bigint() }}) as feedback_count,
    cast(ranked.not_fully_count as {{ dbt.type_bigint() }}) as not_fully_count,
    cast(ranked.negative_count as {{ dbt.type_bigint() }}) as negative_count,
    cast(ranked.improvement_share as {{ type_double() }}) as improvement_share,
    cast(reasons.reason_text as {{ dbt.type_string() }}) as top_reason_text,
    cast(ranked.as_of as date) as as_of
from ranked
left join reasons
    on reasons.feedback_month = ranked.feedback_month
    and reasons.card_id = ranked.card_id
    and reasons.reason_rank = 1
where ranked.improvement_rank <= ranked.iteration_list_size
    and {{ mart_is_available('fct_sop_card_iteration_monthly') }}
