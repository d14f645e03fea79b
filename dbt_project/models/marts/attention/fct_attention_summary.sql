-- fct_attention_items counted per org unit (each item under its team and every unit above).
with

items as (

    select * from {{ ref('fct_attention_items') }}

),

kinds as (

    select * from {{ ref('attention_item_kinds') }}

),

as_of as (

    select as_of from {{ ref('int_as_of_resolved') }}

),

closure as (

    select * from {{ ref('dim_org_unit_closure') }}

),

units as (

    select * from {{ ref('dim_org_units') }}

),

counted as (

    select
        closure.ancestor_id as unit_id,
        items.item_kind,
        count(*) as item_count,
        count(distinct items.rep_id) as rep_count,
        sum(items.amount) as amount_sum
    from items
    inner join closure
        on closure.descendant_id = items.team_id
    group by closure.ancestor_id, items.item_kind

)

select
    -- ids
    cast(units.unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(units.level as {{ dbt.type_string() }}) as unit_level,
    cast(kinds.item_kind as {{ dbt.type_string() }}) as item_kind,
    -- names
    cast(kinds.label_zh as {{ dbt.type_string() }}) as kind_label_zh,
    cast(kinds.label_en as {{ dbt.type_string() }}) as kind_label_en,
    cast(kinds.page as {{ dbt.type_string() }}) as page,
    kinds.sort_order,
    -- counts
    cast(coalesce(counted.item_count, 0) as {{ dbt.type_bigint() }}) as item_count,
    cast(coalesce(counted.rep_count, 0) as {{ dbt.type_bigint() }}) as rep_count,
    cast(counted.amount_sum as {{ type_double() }}) as amount_sum,
    -- dates
    as_of.as_of
from units
cross join kinds
cross join as_of
left join counted
    on counted.unit_id = units.unit_id
    and counted.item_kind = kinds.item_kind
