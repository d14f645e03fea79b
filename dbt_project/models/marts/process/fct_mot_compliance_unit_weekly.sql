-- MOT compliance per org unit (every level, rolled up through the org tree) and ISO week
-- of the entry into quote.
with

entries as (

    select * from {{ ref('fct_mot_gate_entries') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

)

select
    -- ids
    closure.ancestor_id as unit_id,
    org_units.name as unit_name,
    org_units.level as unit_level,
    -- dates
    entries.week_start,
    -- counts
    cast(count(*) as {{ dbt.type_bigint() }}) as quote_entries,
    cast(sum(case when entries.is_compliant then 1 else 0 end) as {{ dbt.type_bigint() }}) as compliant_entries,
    cast(sum(case when entries.is_compliant then 0 else 1 end) as {{ dbt.type_bigint() }}) as violation_entries,
    cast(sum(case when entries.is_reentry then 1 else 0 end) as {{ dbt.type_bigint() }}) as reentries,
    cast(count(distinct entries.rep_id) as {{ dbt.type_bigint() }}) as reps_with_entries,
    -- rate
    cast(sum(case when entries.is_compliant then 1 else 0 end) as {{ type_double() }})
        / count(*) as mot_compliance_rate,
    entries.as_of
from entries
inner join closure
    on closure.descendant_id = entries.team_id
inner join org_units
    on org_units.unit_id = closure.ancestor_id
where {{ mart_is_available('fct_mot_compliance_unit_weekly') }}
group by closure.ancestor_id, org_units.name, org_units.level, entries.week_start, entries.as_of
