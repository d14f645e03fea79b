-- Top reps 标杆销售 for the "win-rate lift after use by top reps" label: reps (role rep)
-- ranked by their win rate over the opportunities they own that closed in the trailing
-- window (seed sop_rules: 365 days, at least 5 closed). A rep whose percentile rank is at
-- or above top_rep_quantile (0.75 = top quartile) is a top rep; reps below the minimum
-- are not ranked (never top).
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_scenario') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

rules as (

    select * from {{ ref('sop_rules') }}

),

closed_in_window as (

    select
        opportunities.owner_rep_id as rep_id,
        count(*) as closed_count,
        sum(opportunities.is_won) as won_count
    from opportunities
    cross join rules
    where opportunities.is_closed = 1
        and opportunities.active_until
            > {{ dbt.dateadd('day', '-1 * rules.top_rep_window_days', 'opportunities.as_of') }}
    group by opportunities.owner_rep_id

),

eligible as (

    select
        closed_in_window.rep_id,
        closed_in_window.closed_count,
        closed_in_window.won_count,
        1.0 * closed_in_window.won_count / closed_in_window.closed_count as win_rate
    from closed_in_window
    inner join reps
        on reps.rep_id = closed_in_window.rep_id
    cross join rules
    where reps.role = 'rep'
        and closed_in_window.closed_count >= rules.top_rep_min_closed

),

ranked as (

    select
        rep_id,
        closed_count,
        won_count,
        win_rate,
        case
            when count(*) over () = 1 then 1.0
            else percent_rank() over (order by win_rate)
        end as win_rate_percentile
    from eligible

)

select
    ranked.rep_id,
    ranked.closed_count,
    ranked.won_count,
    ranked.win_rate,
    ranked.win_rate_percentile,
    ranked.win_rate_percentile >= rules.top_rep_quantile as is_top_rep
from ranked
cross join rules
