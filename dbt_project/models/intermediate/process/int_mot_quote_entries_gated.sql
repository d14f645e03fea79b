-- Every entry into quote 进入方案报价 known as of as_of with its MOT gate verdict: the one
-- definition of MOT compliance, read by the gate marts and by process health. An entry is
-- compliant when every MOT fact (seed process_mot_facts, however many it lists) was first
-- recorded strictly before the entry.
with

entries as (

    select * from {{ ref('int_mot_quote_entries') }}

),

evaluated as (

    select * from {{ ref('int_mot_quote_entry_facts_evaluated') }}

),

verdicts as (

    select
        opportunity_id,
        quote_entry_number,
        count(*) as facts_required,
        sum(case when fact_status = 'on_time' then 1 else 0 end) as facts_on_time,
        max(case when fact = 'budget_range' then first_recorded_at end) as budget_range_recorded_at,
        max(case when fact = 'decision_date' then first_recorded_at end) as decision_date_recorded_at,
        max(case when fact = 'decision_maker_access' then first_recorded_at end) as decision_maker_access_recorded_at,
        {{ dbt.listagg("case when fact_status = 'missing' then fact end", "', '", 'order by fact_order') }} as missing_facts,
        {{ dbt.listagg("case when fact_status = 'late' then fact end", "', '", 'order by fact_order') }} as late_facts,
        {{ dbt.listagg("case when fact_status = 'missing' then fact_label_zh end", "'、'", 'order by fact_order') }} as missing_facts_zh,
        {{ dbt.listagg("case when fact_status = 'late' then fact_label_zh end", "'、'", 'order by fact_order') }} as late_facts_zh,
        {{ dbt.listagg("case when fact_status = 'missing' then fact_label_en end", "', '", 'order by fact_order') }} as missing_facts_en,
        {{ dbt.listagg("case when fact_status = 'late' then fact_label_en end", "', '", 'order by fact_order') }} as late_facts_en
    from evaluated
    group by opportunity_id, quote_entry_number

)

select
    -- ids
    entries.opportunity_id,
    entries.quote_entry_number,
    entries.rep_id,
    entries.owner_rep_id,
    entries.team_id,
    -- attributes
    entries.quote_entry_number > 1 as is_reentry,
    entries.previous_stage,
    entries.process_regime,
    -- gate
    cast(verdicts.facts_required as {{ dbt.type_bigint() }}) as facts_required,
    cast(verdicts.facts_on_time as {{ dbt.type_bigint() }}) as facts_on_time,
    verdicts.facts_on_time = verdicts.facts_required as is_compliant,
    verdicts.missing_facts,
    verdicts.late_facts,
    verdicts.missing_facts_zh,
    verdicts.late_facts_zh,
    verdicts.missing_facts_en,
    verdicts.late_facts_en,
    -- timestamps
    entries.entered_at,
    entries.week_start,
    verdicts.budget_range_recorded_at,
    verdicts.decision_date_recorded_at,
    verdicts.decision_maker_access_recorded_at,
    cast(entries.as_of as date) as as_of
from entries
inner join verdicts
    on verdicts.opportunity_id = entries.opportunity_id
    and verdicts.quote_entry_number = entries.quote_entry_number
