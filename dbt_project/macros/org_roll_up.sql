{#- Rolls records up the org tree: one row per record per org unit it counts in — its team and
    every ancestor of the team (int_org_units_closure), as a `unit_id` column beside the
    record's own columns. A record whose team is unknown (empty, or not in the tree: an owner
    missing from the reps extract, an unassigned lead, a source without reps) counts at the
    top unit(s) only (units without a parent), so the company total never loses it.
    `records`, `closure`, `org_units`: relation or CTE names; `team_column`: the records'
    team column. -#}
{% macro roll_up_to_org_units(records, closure, org_units, team_column='team_id') -%}
    select
        records.*,
        closure.ancestor_id as unit_id
    from {{ records }} as records
    inner join {{ closure }} as closure
        on closure.descendant_id = records.{{ team_column }}

    union all

    select
        records.*,
        top_units.unit_id
    from {{ records }} as records
    inner join {{ org_units }} as top_units
        on top_units.parent_id is null
    where not exists (
        select 1
        from {{ closure }} as placed
        where placed.descendant_id = records.{{ team_column }}
    )
{%- endmacro %}
