-- When each org unit works the structured process: its own structured_since, else the
-- nearest ancestor's (a region that adopts carries its cities and teams with it).
with

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

ancestors_with_date as (

    select
        closure.descendant_id as unit_id,
        ancestor.structured_since,
        row_number() over (
            partition by closure.descendant_id
            order by closure.depth
        ) as nearest
    from closure
    inner join org_units as ancestor
        on ancestor.unit_id = closure.ancestor_id
    where ancestor.structured_since is not null

)

select
    -- ids
    org_units.unit_id,
    -- dates
    cast(ancestors_with_date.structured_since as date) as structured_since
from org_units
left join ancestors_with_date
    on ancestors_with_date.unit_id = org_units.unit_id
    and ancestors_with_date.nearest = 1
