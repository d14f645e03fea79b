-- MOT compliance per team and ISO week of the entry into quote.
with

entries as (

    select * from {{ ref('fct_mot_gate_entries') }}
    where team_id is not null

),

aggregated as (

    select
        team_id as unit_id,
        -- dates
        week_start,
        -- counts
        cast(count(*) as {{ dbt.type_bigint() }}) as quote_entries,
        cast(sum(case when is_compliant then 1 else 0 end) as {{ dbt.type_bigint() }}) as compliant_entries,
        cast(sum(case when is_compliant then 0 else 1 end) as {{ dbt.type_bigint() }}) as violation_entries,
        cast(sum(case when is_reentry then 1 else 0 end) as {{ dbt.type_bigint() }}) as reentries,
        cast(count(distinct rep_id) as {{ dbt.type_bigint() }}) as reps_with_entries,
        -- rate
        cast(sum(case when is_compliant then 1 else 0 end) as {{ type_double() }})
            / count(*) as mot_compliance_rate,
        as_of
    from entries
    where {{ mart_is_available('fct_mot_compliance_team_weekly') }}
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
    aggregated.quote_entries,
    aggregated.compliant_entries,
    aggregated.violation_entries,
    aggregated.reentries,
    aggregated.reps_with_entries,
    -- rate
    aggregated.mot_compliance_rate,
    aggregated.as_of
from aggregated
