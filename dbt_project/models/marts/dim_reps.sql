-- Sales people and managers as of as_of, for briefs and dashboards: the people hired by
-- then (or with an unknown hire date), and a termination only once it has happened, so a
-- past as_of lists neither later hires nor later leavers' dates.
with

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

)

select
    -- ids
    reps.rep_id,
    reps.team_id,
    -- attributes
    reps.name,
    reps.role,
    -- dates
    reps.hire_date,
    case when reps.termination_date <= as_of.as_of then reps.termination_date end as termination_date,
    -- an unknown hire date (empty) counts as hired: the person is in the extract
    (
        (reps.hire_date is null or reps.hire_date <= as_of.as_of)
        and (reps.termination_date is null or reps.termination_date > as_of.as_of)
    ) as is_active,
    cast(as_of.as_of as date) as as_of
from reps
cross join as_of
where (reps.hire_date is null or reps.hire_date <= as_of.as_of)
    and {{ mart_is_available('dim_reps') }}
