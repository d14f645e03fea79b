with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

usages as (

    select * from {{ ref('int_sop_usages_joined_to_feedback') }}

),

use_counts as (

    select
        card_id,
        count(*) as uses_count
    from usages
    group by card_id

),

submissions as (

    select
        cards.card_id,
        cards.title,
        cards.industry,
        cards.stage,
        cards.author_rep_id,
        reps.team_id as author_team_id,
        cards.status,
        case cards.status
            when 'draft' then 'under_review'
            when 'active' then 'approved'
            when 'retired' then 'retired'
        end as review_status,
        cards.created_at as submitted_at,
        case
            when cards.status = 'draft'
                then {{ dbt.datediff('cast(cards.created_at as date)', 'as_of.as_of', 'day') }}
        end as days_in_review,
        coalesce(use_counts.uses_count, 0) as uses_count,
        as_of.as_of
    from cards
    cross join as_of
    left join reps
        on reps.rep_id = cards.author_rep_id
    left join use_counts
        on use_counts.card_id = cards.card_id
    where cards.source = 'co-created'
        and cast(cards.created_at as date) <= as_of.as_of

)

select
    cast(card_id as {{ dbt.type_string() }}) as card_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(industry as {{ dbt.type_string() }}) as industry,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(author_rep_id as {{ dbt.type_string() }}) as author_rep_id,
    cast(author_team_id as {{ dbt.type_string() }}) as author_team_id,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(review_status as {{ dbt.type_string() }}) as review_status,
    cast(submitted_at as {{ dbt.type_timestamp() }}) as submitted_at,
    cast(days_in_review as {{ dbt.type_bigint() }}) as days_in_review,
    cast(uses_count as {{ dbt.type_bigint() }}) as uses_count,
    cast(as_of as date) as as_of
from submissions
where {{ mart_is_available('fct_sop_card_submissions') }}
