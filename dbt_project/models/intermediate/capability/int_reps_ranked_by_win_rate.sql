-- Top reps 标杆销售 for the "win-rate lift after use by top reps" label: reps (role rep)
-- ranked by their win rate over the opportunities they own that closed in the trailing
-- window (seed sop_rules: 365 days, at least 5 closed). A rep whose percentile rank is at
-- or above top_rep_quantile (0.75 = top quartile) is a top rep; reps below the minimum
-- are not ranked (never top).
with

-- closes as every win rate counts them (fct_win_rate_monthly, process health)
closes as (

    select * from {{ ref('int_opportunity_closes_joined_to_regime') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

rules as (

    select * from {{ ref('sop_rules') }}

),

closed_in_window as (

    select
        closes.owner_rep_id as rep_id,
        count(*) as closed_count,
        sum(case when closes.outcome = 'won' then 1 else 0 end) as won_count
    from closes
    cross join rules
    cross join as_of
    where closes.closed_on
        > {{ dbt.dateadd('day', '-1 * rules.top_rep_window_days', 'as_of.as_of') }}
    group by closes.owner_rep_id

),

eligible as (

    select
        closed_in_window.rep_id,
        closed_in_window.closed_count,
        closed_in_window.won_count,
        cast(closed_in_window.won_count as {{ type_double() }}) / closed_in_window.closed_count as win_rate
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
