-- Visit completeness per team and ISO week of the visit's start.
with

visits as (

    select * from {{ ref('fct_visit_completeness') }}
    where team_id is not null

),

aggregated as (

    select
        team_id as unit_id,
        -- dates
        week_start,
        -- counts
        cast(count(*) as {{ dbt.type_bigint() }}) as visits,
        cast(sum(case when is_complete then 1 else 0 end) as {{ dbt.type_bigint() }}) as complete_visits,
        cast(sum(case when is_out_of_order then 1 else 0 end) as {{ dbt.type_bigint() }}) as out_of_order_visits,
        cast(sum(nodes_recorded) as {{ dbt.type_bigint() }}) as nodes_recorded,
        cast(sum(nodes_required) as {{ dbt.type_bigint() }}) as nodes_required,
        cast(count(distinct rep_id) as {{ dbt.type_bigint() }}) as reps_with_visits,
        -- rates
        cast(sum(case when is_complete then 1 else 0 end) as {{ type_double() }})
            / count(*) as visit_completeness_rate,
        cast(sum(nodes_recorded) as {{ type_double() }}) / sum(nodes_required) as node_completion_rate,
        as_of
    from visits
    where {{ mart_is_available('fct_visit_completeness_team_weekly') }}
    group by team_id, week_start, as_of

)

-- the name after the aggregation (Spark takes no correlated subquery beside a group by)
select
    -- ids
    aggregated.unit_id,
    {{ org_unit_name('aggregated.unit_id') }} as unit_name,
    -- dates
    aggregated.week_start,
    -- counts
    aggregated.visits,
    aggregated.complete_visits,
    aggregated.out_of_order_visits,
    aggregated.nodes_recorded,
    aggregated.nodes_required,
    aggregated.reps_with_visits,
    -- rates
    aggregated.visit_completeness_rate,
    aggregated.node_completion_rate,
    aggregated.as_of
from aggregated
