-- Every entry into quote 进入方案报价 with the MOT gate verdict: compliant when every MOT
-- fact was recorded strictly before the entry (defined once, in int_mot_quote_entries_gated).
with

entries as (

    select * from {{ ref('int_mot_quote_entries_gated') }}

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
    previous_stage,
    process_regime,
    -- gate
    facts_required,
    facts_on_time,
    is_compliant,
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
where {{ mart_is_available('fct_mot_gate_entries') }}
