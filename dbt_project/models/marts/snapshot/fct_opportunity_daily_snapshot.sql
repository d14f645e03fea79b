-- The daily opportunity snapshot: where every opportunity stood at the end of each day,
-- from its creation day through the earlier of its close day and as_of.
with

snapshot as (

    select * from {{ ref('int_opportunity_daily_snapshot') }}

)

select
    -- grain
    snapshot_date,
    opportunity_id,
    -- owner
    owner_rep_id,
    team_id,
    -- position
    stage,
    status,
    -- values
    amount,
    expected_close_date_raw,
    expected_close_on,
    probability,
    is_open
from snapshot
where {{ mart_is_available('fct_opportunity_daily_snapshot') }}
