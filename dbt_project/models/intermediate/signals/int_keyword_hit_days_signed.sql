-- The signature of each signal day's keyword hits (macro keyword_hit_day_signatures), and the
-- dbt invocation that last found it changed: the day-grain signal marts recompute exactly the
-- days signed again in their invocation.
--   Incremental by day: a day whose hits are unchanged keeps its row; a new day, or a day whose
--   hits changed (a corrected chat archive, a message linked to another opportunity, a rep
--   moved to another team), is signed again; a day without hits now is deleted. Another
--   salesops version signs every day again. tests/test_incremental_snapshot.py checks the
--   signal marts built this way against a full rebuild.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns'
) }}

{%- if is_incremental() -%}
    {{ delete_changed_signal_days(this) }}
{%- endif %}

with

signatures as (

    {{ keyword_hit_day_signatures() }}

),

stored as (

    {% if is_incremental() -%}
    select signal_date from {{ this }}
    {%- else -%}
    select cast(null as date) as signal_date where 1 = 0
    {%- endif %}

)

select
    signatures.signal_date,
    signatures.hits,
    signatures.signature,
    -- build state, read by the next incremental build
    cast('{{ env_var("SALESOPS_DBT_FINGERPRINT", "unknown") }}' as {{ dbt.type_string() }}) as _build_fingerprint,
    -- the dbt invocation that signed the day: the signal marts recompute its rows
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as _written_by
from signatures
left join stored
    on stored.signal_date = signatures.signal_date
where stored.signal_date is null
