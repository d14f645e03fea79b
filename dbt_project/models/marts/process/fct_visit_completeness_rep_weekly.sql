-- Visit completeness per rep and ISO week of the visit's start.
with

visits as (

    select * from {{ ref('fct_visit_completeness') }}

)

select
    -- ids
    rep_id,
    team_id,
    -- dates
    week_start,
    -- counts
    cast(count(*) as {{ dbt.type_bigint() }}) as visits,
    cast(sum(case when is_complete then 1 else 0 end) as {{ dbt.type_bigint() }}) as complete_visits,
    cast(sum(case when is_out_of_order then 1 else 0 end) as {{ dbt.type_bigint() }}) as out_of_order_visits,
    cast(sum(nodes_recorded) as {{ dbt.type_bigint() }}) as nodes_recorded,
    cast(sum(nodes_required) as {{ dbt.type_bigint() }}) as nodes_required,
    -- rates
    cast(sum(case when is_complete then 1 else 0 end) as {{ type_double() }})
        / count(*) as visit_completeness_rate,
    cast(sum(nodes_recorded) as {{ type_double() }}) / sum(nodes_required) as node_completion_rate,
    as_of
from visits
where {{ mart_is_available('fct_visit_completeness_rep_weekly') }}
group by rep_id, team_id, week_start, as_of
