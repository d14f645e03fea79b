with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

rules as (

    select * from {{ ref('sop_rules') }}

),

usages as (

    select * from {{ ref('int_sop_usages_joined_to_feedback') }}

),

cards as (

    select * from {{ ref('stg_crm__sop_cards') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

regimes as (

    select * from {{ ref('int_org_units_regime') }}

),

weeks as (

    select distinct
        cast({{ dbt.date_trunc('week', 'used_on') }} as date) as week_start
    from usages

),

-- a team's reps in a week: role rep, employed at some point of the week (and by as_of)
team_reps as (

    select
        weeks.week_start,
        reps.team_id,
        reps.rep_id,
        -- an unknown hire date: employed (in the extract), not known to be new
        coalesce(
            {{ dbt.dateadd('month', 'rules.new_rep_max_months', 'reps.hire_date') }} > weeks.week_start,
            false
        ) as is_new_rep
    from weeks
    cross join rules
    cross join as_of
    inner join reps
        on (
            reps.hire_date is null
            or (
                reps.hire_date <= {{ dbt.dateadd('day', 6, 'weeks.week_start') }}
                and reps.hire_date <= as_of.as_of
            )
        )
        and (reps.termination_date is null or reps.termination_date >= weeks.week_start)
    inner join org_units
        on org_units.unit_id = reps.team_id
        and org_units.level = 'team'
    where reps.role = 'rep'

),

team_weeks as (

    select
        week_start,
        team_id,
        count(*) as team_reps,
        sum(case when is_new_rep then 1 else 0 end) as new_reps
    from team_reps
    group by week_start, team_id

),

available_cards as (

    select
        cards.card_id,
        cast(cards.created_at as date) as created_on
    from cards
    where cards.status <> 'draft'

),

grid as (

    select
        team_weeks.week_start,
        team_weeks.team_id,
        available_cards.card_id,
        team_weeks.team_reps,
        team_weeks.new_reps
    from team_weeks
    inner join available_cards
        on available_cards.created_on <= {{ dbt.dateadd('day', 6, 'team_weeks.week_start') }}

),

weekly_uses as (

    select
        team_reps.week_start,
        team_reps.team_id,
        usages.card_id,
        count(distinct usages.rep_id) as practicing_reps,
        count(distinct case when team_reps.is_new_rep then usages.rep_id end) as practicing_new_reps,
        count(*) as uses_count,
        sum(case when usages.is_feedback_due then 1 else 0 end) as feedback_due_count,
        sum(case when usages.is_feedback_due and usages.is_feedback_on_time then 1 else 0 end)
            as feedback_on_time_count
    from usages
    inner join team_reps
        on team_reps.rep_id = usages.rep_id
        and team_reps.week_start = cast({{ dbt.date_trunc('week', 'usages.used_on') }} as date)
    group by team_reps.week_start, team_reps.team_id, usages.card_id

),

final as (

    select
        grid.week_start,
        grid.team_id,
        grid.card_id,
        case
            when regimes.structured_since is not null and regimes.structured_since <= grid.week_start
                then 'structured'
            else 'traditional'
        end as process_regime,
        grid.team_reps,
        coalesce(weekly_uses.practicing_reps, 0) as practicing_reps,
        cast(coalesce(weekly_uses.practicing_reps, 0) as {{ type_double() }}) / grid.team_reps as practice_rate,
        grid.new_reps,
        coalesce(weekly_uses.practicing_new_reps, 0) as practicing_new_reps,
        case
            when grid.new_reps > 0
                then cast(coalesce(weekly_uses.practicing_new_reps, 0) as {{ type_double() }}) / grid.new_reps
        end as new_rep_practice_rate,
        coalesce(weekly_uses.uses_count, 0) as uses_count,
        coalesce(weekly_uses.feedback_due_count, 0) as feedback_due_count,
        coalesce(weekly_uses.feedback_on_time_count, 0) as feedback_on_time_count,
        case
            when weekly_uses.feedback_due_count > 0
                then cast(weekly_uses.feedback_on_time_count as {{ type_double() }}) / weekly_uses.feedback_due_count
        end as feedback_within_window_rate,
        as_of.as_of
    from grid
    cross join as_of
    left join weekly_uses
        on weekly_uses.week_start = grid.week_start
        and weekly_uses.team_id = grid.team_id
        and weekly_uses.card_id = grid.card_id
    left join regimes
        on regimes.unit_id = grid.team_id

)

select
    cast(week_start as date) as week_start,
    cast(team_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.team_id') }} as unit_name,
    cast(card_id as {{ dbt.type_string() }}) as card_id,
    cast(process_regime as {{ dbt.type_string() }}) as process_regime,
    cast(team_reps as {{ dbt.type_bigint() }}) as team_reps,
    cast(practicing_reps as {{ dbt.type_bigint() }}) as practicing_reps,
    cast(practice_rate as {{ type_double() }}) as practice_rate,
    cast(new_reps as {{ dbt.type_bigint() }}) as new_reps,
    cast(practicing_new_reps as {{ dbt.type_bigint() }}) as practicing_new_reps,
    cast(new_rep_practice_rate as {{ type_double() }}) as new_rep_practice_rate,
    cast(uses_count as {{ dbt.type_bigint() }}) as uses_count,
    cast(feedback_due_count as {{ dbt.type_bigint() }}) as feedback_due_count,
    cast(feedback_on_time_count as {{ dbt.type_bigint() }}) as feedback_on_time_count,
    cast(feedback_within_window_rate as {{ type_double() }}) as feedback_within_window_rate,
    cast(as_of as date) as as_of
from final
where {{ mart_is_available('fct_sop_practice_weekly') }}
