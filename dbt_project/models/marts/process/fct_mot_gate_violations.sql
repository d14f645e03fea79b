-- The MOT gate violations list 违规进入报价清单: entries into quote without every MOT fact
-- recorded before the entry, with what was missing or late and when it came, if ever.
with

entries as (

    select * from {{ ref('fct_mot_gate_entries') }}

)

select
    -- ids
    opportunity_id,
    quote_entry_number,
    rep_id,
    owner_rep_id,
    team_id,
    -- attributes
    is_reentry,
    process_regime,
    -- what was wrong
    cast(facts_required - facts_on_time as {{ dbt.type_bigint() }}) as facts_not_before_entry,
    missing_facts,
    late_facts,
    missing_facts_zh,
    late_facts_zh,
    missing_facts_en,
    late_facts_en,
    -- timestamps
    entered_at,
    week_start,
    budget_range_recorded_at,
    decision_date_recorded_at,
    decision_maker_access_recorded_at,
    as_of
from entries
where not is_compliant
    and {{ mart_is_available('fct_mot_gate_violations') }}
