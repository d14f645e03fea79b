-- The org tree the marts roll up through. When the source has an org_units extract, it
-- is that extract, as is. When it has none, an implicit tree stands in: one root unit
-- (`__all__`, level hq, 全部 (All)) with every team the reps belong to attached to it,
-- so a source of just opportunities, reps and stage history still gets an HQ-level
-- funnel (and a per-team one). Implicit units say so (is_implicit).
with

org_units as (

    select * from {{ ref('stg_crm__org_units') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

extract_present as (

    select count(*) > 0 as has_org_units
    from org_units

),

implicit_root as (

    select
        '__all__' as unit_id,
        cast(null as {{ dbt.type_string() }}) as parent_id,
        'hq' as level,
        '全部 (All)' as name
    from extract_present
    where not has_org_units

),

implicit_teams as (

    select distinct
        reps.team_id as unit_id,
        implicit_root.unit_id as parent_id,
        'team' as level,
        reps.team_id as name
    from reps
    cross join implicit_root
    where reps.team_id is not null
        and reps.team_id <> implicit_root.unit_id

),

resolved as (

    select
        unit_id,
        parent_id,
        level,
        name,
        structured_since,
        false as is_implicit
    from org_units

    union all

    select
        unit_id,
        parent_id,
        level,
        name,
        cast(null as date) as structured_since,
        true as is_implicit
    from implicit_root

    union all

    select
        unit_id,
        parent_id,
        level,
        name,
        cast(null as date) as structured_since,
        true as is_implicit
    from implicit_teams

)

select
    -- ids
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(parent_id as {{ dbt.type_string() }}) as parent_id,
    -- attributes
    cast(level as {{ dbt.type_string() }}) as level,
    cast(name as {{ dbt.type_string() }}) as name,
    is_implicit,
    -- dates
    cast(structured_since as date) as structured_since
from resolved
