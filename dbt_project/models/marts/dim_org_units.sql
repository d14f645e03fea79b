with

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

ancestors as (

    select
        closure.descendant_id as unit_id,
        closure.depth,
        ancestor.unit_id as ancestor_id,
        ancestor.level as ancestor_level,
        ancestor.name as ancestor_name
    from closure
    inner join org_units as ancestor
        on ancestor.unit_id = closure.ancestor_id

),

name_paths as (

    select
        unit_id,
        {{ dbt.listagg('ancestor_name', "' / '", 'order by depth desc') }} as name_path
    from ancestors
    group by unit_id

),

regions as (

    select
        unit_id,
        min(ancestor_id) as region_id
    from ancestors
    where ancestor_level = 'region'
    group by unit_id

)

select
    -- ids
    cast(org_units.unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(org_units.level as {{ dbt.type_string() }}) as level,
    cast(org_units.parent_id as {{ dbt.type_string() }}) as parent_id,
    -- names
    cast(org_units.name as {{ dbt.type_string() }}) as name,
    cast(name_paths.name_path as {{ dbt.type_string() }}) as name_path,
    cast(regions.region_id as {{ dbt.type_string() }}) as region_id,
    -- flags
    org_units.is_implicit,
    -- dates
    cast(org_units.structured_since as date) as structured_since
from org_units
left join name_paths
    on name_paths.unit_id = org_units.unit_id
left join regions
    on regions.unit_id = org_units.unit_id
