-- Sales cycle length by month closed: how many days deals took from creation to the win (and
-- to any close), as percentiles, as of as_of. Definitions: models/marts/_marts__models.yml.
with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

-- closed as of as_of; closed when: the extract's closed_at when it is dated on or before
-- as_of, else the stage history's won / lost entry (or the extract's day, for a close only
-- the extract states)
closes as (

    select
        positions.opportunity_id,
        positions.team_id,
        positions.status_as_of as outcome,
        positions.created_at,
        case
            when cast(opportunities.closed_at as date) <= positions.as_of then opportunities.closed_at
            else positions.latest_entered_at
        end as closed_at
    from positions
    inner join opportunities
        on opportunities.opportunity_id = positions.opportunity_id
    where positions.status_as_of in ('won', 'lost')

),

measured as (

    select
        opportunity_id,
        team_id,
        outcome,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as close_month,
        -- whole calendar days; empty when the created date is unknown
        {{ dbt.datediff('cast(created_at as date)', 'cast(closed_at as date)', 'day') }} as cycle_days
    from closes

),

placed as (

    {{ roll_up_to_org_units('measured', 'closure', 'org_units') }}

),

cycles as (

    select
        unit_id,
        close_month,
        -- counts
        count(*) as closed_count,
        sum(case when outcome = 'won' then 1 else 0 end) as won_count,
        sum(case when outcome = 'lost' then 1 else 0 end) as lost_count,
        sum(case when cycle_days is null then 1 else 0 end) as closed_without_created_count,
        sum(case when outcome = 'won' and cycle_days is null then 1 else 0 end) as won_without_created_count,
        -- created → won (won deals with a known created date)
        {{ median("case when outcome = 'won' then cycle_days end") }} as median_days_to_won,
        {{ percentile("case when outcome = 'won' then cycle_days end", 0.75) }} as p75_days_to_won,
        {{ percentile("case when outcome = 'won' then cycle_days end", 0.9) }} as p90_days_to_won,
        -- created → closed (won or lost, with a known created date)
        {{ median('cycle_days') }} as median_days_to_close,
        {{ percentile('cycle_days', 0.75) }} as p75_days_to_close,
        {{ percentile('cycle_days', 0.9) }} as p90_days_to_close
    from placed
    group by unit_id, close_month

),

final as (

    select
        as_of.as_of,
        cycles.unit_id,
        org_units.level as unit_level,
        cycles.close_month,
        cycles.closed_count,
        cycles.won_count,
        cycles.lost_count,
        cycles.closed_without_created_count,
        cycles.won_without_created_count,
        cycles.won_count - cycles.won_without_created_count as won_cycle_sample_count,
        cycles.closed_count - cycles.closed_without_created_count as closed_cycle_sample_count,
        cycles.median_days_to_won,
        cycles.p75_days_to_won,
        cycles.p90_days_to_won,
        cycles.median_days_to_close,
        cycles.p75_days_to_close,
        cycles.p90_days_to_close
    from cycles
    cross join as_of
    inner join org_units
        on org_units.unit_id = cycles.unit_id
    where {{ mart_is_available('fct_opportunity_cycle') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(close_month as date) as close_month,
    cast(substring(cast(close_month as {{ dbt.type_string() }}), 1, 7) as {{ dbt.type_string() }}) as period,
    -- counts
    cast(closed_count as {{ dbt.type_bigint() }}) as closed_count,
    cast(won_count as {{ dbt.type_bigint() }}) as won_count,
    cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
    cast(closed_without_created_count as {{ dbt.type_bigint() }}) as closed_without_created_count,
    cast(won_without_created_count as {{ dbt.type_bigint() }}) as won_without_created_count,
    -- created → won, days
    cast(won_cycle_sample_count as {{ dbt.type_bigint() }}) as won_cycle_sample_count,
    cast(median_days_to_won as {{ type_double() }}) as median_days_to_won,
    cast(p75_days_to_won as {{ type_double() }}) as p75_days_to_won,
    cast(p90_days_to_won as {{ type_double() }}) as p90_days_to_won,
    -- created → closed (won or lost), days
    cast(closed_cycle_sample_count as {{ dbt.type_bigint() }}) as closed_cycle_sample_count,
    cast(median_days_to_close as {{ type_double() }}) as median_days_to_close,
    cast(p75_days_to_close as {{ type_double() }}) as p75_days_to_close,
    cast(p90_days_to_close as {{ type_double() }}) as p90_days_to_close
from final
