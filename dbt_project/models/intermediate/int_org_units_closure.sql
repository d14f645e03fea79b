-- Transitive closure of the org tree: every (ancestor, descendant) pair, self included
-- at depth 0, so "roll up to every ancestor" is one join.
with recursive

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure (ancestor_id, descendant_id, depth) as (

    select
        unit_id as ancestor_id,
        unit_id as descendant_id,
        0 as depth
    from org_units

    union all

    select
        parent.parent_id as ancestor_id,
        closure.descendant_id as descendant_id,
        closure.depth + 1 as depth
    from closure
    inner join org_units as parent
        on parent.unit_id = closure.ancestor_id
    where parent.parent_id is not null
        -- a cycle in a bad extract must not loop forever
        and closure.depth < 32

)

select
    -- ids
    cast(ancestor_id as {{ dbt.type_string() }}) as ancestor_id,
    cast(descendant_id as {{ dbt.type_string() }}) as descendant_id,
    -- depth
    cast(depth as {{ dbt.type_bigint() }}) as depth
from closure
