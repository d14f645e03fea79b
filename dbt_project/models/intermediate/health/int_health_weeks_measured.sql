-- Rep-weeks and team-weeks of the 12 process-health metrics, each with the region its peers
-- come from and its process regime. A team-week is the same ratio over all its reps' items
-- (Σ numerator ÷ Σ denominator), so a team with more deals weighs them, not its reps.
with

measured as (

    select * from {{ ref('int_health_rep_weeks_measured') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

),

-- peers are compared within the team's region; without a region level, within the root
team_regions as (

    select
        closure.descendant_id as team_id,
        coalesce(
            max(case when ancestor.level = 'region' then ancestor.unit_id end),
            max(case when ancestor.parent_id is null then ancestor.unit_id end)
        ) as region_id
    from closure
    inner join org_units as ancestor
        on ancestor.unit_id = closure.ancestor_id
    group by closure.descendant_id

),

scoped as (

    select
        'rep' as scope_level,
        rep_id as unit_id,
        team_id,
        metric_code,
        week_start,
        numerator,
        denominator,
        log_sum,
        log_square_sum,
        sqrt_sum,
        square_sum
    from measured

    union all

    select
        'team' as scope_level,
        team_id as unit_id,
        team_id,
        metric_code,
        week_start,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(log_sum) as log_sum,
        sum(log_square_sum) as log_square_sum,
        sum(sqrt_sum) as sqrt_sum,
        sum(square_sum) as square_sum
    from measured
    where team_id is not null
    group by team_id, metric_code, week_start

)

select
    -- ids
    cast(scoped.scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(scoped.unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(scoped.team_id as {{ dbt.type_string() }}) as team_id,
    cast(coalesce(team_regions.region_id, '__none__') as {{ dbt.type_string() }}) as region_id,
    cast(scoped.metric_code as {{ dbt.type_string() }}) as metric_code,
    -- attributes
    cast(
        case
            when regime.structured_since <= scoped.week_start then 'structured'
            else 'traditional'
        end as {{ dbt.type_string() }}
    ) as process_regime,
    -- dates
    cast(scoped.week_start as date) as week_start,
    -- amounts
    cast(scoped.numerator as {{ type_double() }}) as numerator,
    cast(scoped.denominator as {{ type_double() }}) as denominator,
    cast(scoped.numerator / scoped.denominator as {{ type_double() }}) as metric_value,
    -- the items' moments (int_health_rep_weeks_measured)
    cast(scoped.log_sum as {{ type_double() }}) as log_sum,
    cast(scoped.log_square_sum as {{ type_double() }}) as log_square_sum,
    cast(scoped.sqrt_sum as {{ type_double() }}) as sqrt_sum,
    cast(scoped.square_sum as {{ type_double() }}) as square_sum
from scoped
left join team_regions
    on team_regions.team_id = scoped.team_id
left join regime
    on regime.unit_id = scoped.team_id
