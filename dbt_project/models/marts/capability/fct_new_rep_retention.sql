with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

rules as (

    select * from {{ ref('retention_rules') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

regimes as (

    select * from {{ ref('int_org_units_regime') }}

),

hires as (

    select
        reps.rep_id,
        reps.team_id,
        cast({{ dbt.date_trunc('month', 'reps.hire_date') }} as date) as hire_month,
        case
            when regimes.structured_since is not null and regimes.structured_since <= reps.hire_date
                then 'structured'
            else 'traditional'
        end as process_regime,
        -- still employed retention_days after hire (a termination after as_of is not known yet)
        (
            reps.termination_date is null
            or reps.termination_date > as_of.as_of
            or reps.termination_date > {{ dbt.dateadd('day', 'rules.retention_days', 'reps.hire_date') }}
        ) as is_retained,
        rules.retention_days,
        rules.cohort_lookback_months,
        as_of.as_of
    from reps
    cross join as_of
    cross join rules
    left join regimes
        on regimes.unit_id = reps.team_id
    where reps.role = 'rep'
        and reps.hire_date <= as_of.as_of

),

-- a cohort is reported once its last hire day + retention_days is on or before as_of
matured as (

    select *
    from hires
    where {{ dbt.dateadd('day', 'retention_days - 1', dbt.dateadd('month', 1, 'hire_month')) }} <= as_of

),

rolled_up as (

    select
        closure.ancestor_id as unit_id,
        matured.hire_month,
        matured.process_regime,
        count(*) as hired_count,
        sum(case when matured.is_retained then 1 else 0 end) as retained_count,
        max(
            case
                when matured.hire_month
                    > {{ dbt.dateadd('month', '-1 * matured.cohort_lookback_months', dbt.date_trunc('month', 'matured.as_of')) }}
                    then 1
                else 0
            end
        ) as is_in_comparison_window
    from matured
    inner join closure
        on closure.descendant_id = matured.team_id
    group by closure.ancestor_id, matured.hire_month, matured.process_regime

)

select
    cast(rolled_up.unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(org_units.name as {{ dbt.type_string() }}) as unit_name,
    cast(org_units.level as {{ dbt.type_string() }}) as unit_level,
    cast(rolled_up.hire_month as date) as hire_month,
    cast(rolled_up.process_regime as {{ dbt.type_string() }}) as process_regime,
    cast(rolled_up.hired_count as {{ dbt.type_bigint() }}) as hired_count,
    cast(rolled_up.retained_count as {{ dbt.type_bigint() }}) as retained_count,
    cast(cast(rolled_up.retained_count as {{ type_double() }}) / rolled_up.hired_count as {{ type_double() }}) as retention_rate,
    cast(rolled_up.is_in_comparison_window = 1 as boolean) as is_in_comparison_window,
    cast(as_of.as_of as date) as as_of
from rolled_up
cross join as_of
inner join org_units
    on org_units.unit_id = rolled_up.unit_id
where {{ mart_is_available('fct_new_rep_retention') }}
