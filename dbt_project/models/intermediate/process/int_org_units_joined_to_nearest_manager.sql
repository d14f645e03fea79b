-- Who manages each org unit: the managers (reps.role city_manager, region_manager or hq)
-- active as of as_of whose unit (reps.team_id) is the nearest one at or above the unit in
-- the org tree that has any. A team is thus managed by its city manager, or, where the
-- city has none (or only former ones), by its region manager, then HQ. One row per unit
-- and manager; several managers of the same nearest unit each get a row.
with

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

managers as (

    select
        reps.rep_id,
        reps.name,
        reps.role,
        reps.team_id as unit_id
    from reps
    cross join as_of
    where reps.role in ('city_manager', 'region_manager', 'hq')
        -- an unknown hire date (empty) counts as hired: the person is in the extract
        and (reps.hire_date is null or reps.hire_date <= as_of.as_of)
        and (reps.termination_date is null or reps.termination_date > as_of.as_of)

),

candidates as (

    select
        closure.descendant_id as unit_id,
        managers.unit_id as manager_unit_id,
        managers.rep_id as manager_rep_id,
        managers.name as manager_name,
        managers.role as manager_role,
        closure.depth,
        min(closure.depth) over (partition by closure.descendant_id) as nearest_depth
    from closure
    inner join managers
        on managers.unit_id = closure.ancestor_id

)

select
    -- ids
    unit_id,
    manager_rep_id,
    manager_unit_id,
    -- attributes
    manager_name,
    manager_role,
    cast(depth as {{ dbt.type_bigint() }}) as levels_above
from candidates
where depth = nearest_depth
