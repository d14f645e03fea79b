-- Every (ancestor, descendant) pair of the org tree, self included at depth 0: the one
-- table that answers "is this unit under that one?", e.g. the dashboards' scope (SPEC §7).
select
    -- ids
    ancestor_id,
    descendant_id,
    -- depth
    depth
from {{ ref('int_org_units_closure') }}
