-- The daily opportunity snapshot: where every opportunity stood at the end of each day,
-- from its creation day through the earlier of its close day and as_of.
--   Incremental, mirroring int_opportunity_daily_snapshot: when that model is built in the
--   same dbt invocation, only the opportunities it wrote rows for (new days, or recomputed
--   whole after a correction) are copied again, and those it dropped are deleted; every
--   other row stays as stored. Built without it (a selection that leaves it out), or when
--   the mart is not available, the mart is replaced whole.
--   tests/test_incremental_snapshot.py checks it against a full rebuild.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns'
) }}

{%- set spine = ref('int_opportunity_daily_snapshot') -%}
{%- set mirrored = is_incremental()
    and ('model.' ~ project_name ~ '.int_opportunity_daily_snapshot') in selected_resources -%}
{%- if is_incremental() -%}
    {{ delete_rows_to_mirror(this, 'opportunity_id', spine, mirrored, mart_is_available('fct_opportunity_daily_snapshot')) }}
{%- endif %}

with

snapshot as (

    select * from {{ spine }}
    {%- if mirrored %}
    where opportunity_id in (
        select opportunity_id from {{ spine }} where _written_by = '{{ invocation_id }}'
    )
    {%- endif %}

)

select
    -- grain
    snapshot_date,
    opportunity_id,
    -- owner
    owner_rep_id,
    team_id,
    -- position
    stage,
    status,
    -- values
    amount,
    expected_close_date_raw,
    expected_close_on,
    probability,
    is_open
from snapshot
where {{ mart_is_available('fct_opportunity_daily_snapshot') }}
