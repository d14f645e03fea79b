-- Sales people and managers as of as_of, for briefs and dashboards.
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
    reps.termination_date,
    -- an unknown hire date (empty) counts as hired: the person is in the extract
    (
        (reps.hire_date is null or reps.hire_date <= as_of.as_of)
        and (reps.termination_date is null or reps.termination_date > as_of.as_of)
    ) as is_active,
    cast(as_of.as_of as date) as as_of
from reps
cross join as_of
where {{ mart_is_available('dim_reps') }}
