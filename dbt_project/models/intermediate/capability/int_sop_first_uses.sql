-- The first use of each SOP card on each opportunity (on or before as_of) and whether a
-- top rep made it: the unit of the uplift comparison (int_sop_uplift_strata).
with

usages as (

    select * from {{ ref('int_sop_usages_joined_to_feedback') }}

),

top_reps as (

    select * from {{ ref('int_reps_ranked_by_win_rate') }}

),

first_uses as (

    select
        card_id,
        opportunity_id,
        rep_id,
        used_at,
        row_number() over (
            partition by card_id, opportunity_id
            order by used_at, usage_id
        ) as use_seq
    from usages
    where opportunity_id is not null

)

select
    -- ids
    first_uses.card_id,
    first_uses.opportunity_id,
    first_uses.rep_id,
    -- who used it
    coalesce(top_reps.is_top_rep, false) as is_top_rep_use,
    -- timestamps
    first_uses.used_at
from first_uses
left join top_reps
    on top_reps.rep_id = first_uses.rep_id
where first_uses.use_seq = 1
