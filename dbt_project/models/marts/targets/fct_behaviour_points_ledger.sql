-- Behaviour points ledger 行为积分台账 (SPEC §5): every active rule of the seed
-- targets_behaviour_point_rules applied to the data as of as_of, one entry per rep, rule
-- and event, with the evidence and the rep's running balance. The SQL knows each rule
-- *kind*; the points and parameters of each rule are read from the seed.
with

rules as (

    select * from {{ ref('targets_behaviour_point_rules') }}
    where is_active

),

adjustments as (

    select * from {{ ref('stg_crm__target_adjustments') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

staleness as (

    select * from {{ ref('int_rep_weeks_pipeline_staleness') }}

),

forecast_deviation as (

    select * from {{ ref('int_rep_weeks_forecast_deviation') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

adjustment_entries as (

    select
        adjustments.rep_id,
        rules.rule_id,
        rules.rule_kind,
        rules.points,
        adjustments.request_id as event_key,
        adjustments.decided_at as event_at,
        {{ dbt.concat([
            "'request '", "adjustments.request_id",
            "' for '", "adjustments.period",
            "': '", "cast(cast(adjustments.old_amount as " ~ dbt.type_bigint() ~ ") as " ~ dbt.type_string() ~ ")",
            "' -> '", "cast(cast(adjustments.new_amount as " ~ dbt.type_bigint() ~ ") as " ~ dbt.type_string() ~ ")",
            "' ('", "adjustments.status", "')'",
        ]) }} as evidence
    from rules
    inner join adjustments
        on adjustments.status = rules.adjustment_status
    cross join as_of
    where rules.rule_kind = 'adjustment_decided'
        and adjustments.decided_at is not null
        and cast(adjustments.decided_at as date) <= as_of.as_of

),

stale_weeks_qualifying as (

    select
        staleness.rep_id,
        staleness.week_start,
        rules.rule_id,
        rules.rule_kind,
        rules.points,
        staleness.open_opportunity_count,
        staleness.last_stage_update_at,
        staleness.weeks_without_stage_update,
        forecast_deviation.period,
        forecast_deviation.forecast_amount,
        forecast_deviation.committed_target,
        forecast_deviation.forecast_deviation_rate,
        forecast_deviation.week_end_at
    from rules
    inner join staleness
        on staleness.weeks_without_stage_update >= rules.stale_weeks
    inner join forecast_deviation
        on forecast_deviation.rep_id = staleness.rep_id
        and forecast_deviation.week_start = staleness.week_start
        and forecast_deviation.forecast_deviation_rate > rules.forecast_deviation_threshold
    where rules.rule_kind = 'stale_pipeline_with_forecast_deviation'

),

-- one entry per run of consecutive qualifying weeks: the week the run starts
stale_entries as (

    select
        qualifying.rep_id,
        qualifying.rule_id,
        qualifying.rule_kind,
        qualifying.points,
        cast(qualifying.week_start as {{ dbt.type_string() }}) as event_key,
        {{ dbt.dateadd('second', -1, 'qualifying.week_end_at') }} as event_at,
        {{ dbt.concat([
            "'week of '", "cast(qualifying.week_start as " ~ dbt.type_string() ~ ")",
            "': '", "cast(qualifying.open_opportunity_count as " ~ dbt.type_string() ~ ")",
            "' open opportunities, last stage update '",
            "cast(qualifying.last_stage_update_at as " ~ dbt.type_string() ~ ")",
            "' ('", "cast(qualifying.weeks_without_stage_update as " ~ dbt.type_string() ~ ")",
            "' weeks); forecast '", "cast(cast(qualifying.forecast_amount as " ~ dbt.type_bigint() ~ ") as " ~ dbt.type_string() ~ ")",
            "' vs committed '", "cast(cast(qualifying.committed_target as " ~ dbt.type_bigint() ~ ") as " ~ dbt.type_string() ~ ")",
            "' for '", "qualifying.period",
            "' ('", "cast(" ~ decimal_round("qualifying.forecast_deviation_rate * 100", 1) ~ " as " ~ dbt.type_string() ~ ")", "'%)'",
        ]) }} as evidence
    from stale_weeks_qualifying as qualifying
    where not exists (
        select 1
        from stale_weeks_qualifying as previous
        where previous.rule_id = qualifying.rule_id
            and previous.rep_id = qualifying.rep_id
            and previous.week_start = {{ dbt.dateadd('day', -7, 'qualifying.week_start') }}
    )

),

entries as (

    select * from adjustment_entries
    union all
    select * from stale_entries

)

select
    -- keys
    {{ dbt.concat(["entries.rule_id", "'|'", "entries.rep_id", "'|'", "entries.event_key"]) }}
        as ledger_entry_id,
    entries.rep_id,
    reps.team_id,
    entries.rule_id,
    entries.rule_kind,
    entries.event_key,
    -- timestamps
    entries.event_at,
    cast(entries.event_at as date) as event_on,
    -- points
    cast(entries.points as {{ dbt.type_bigint() }}) as points,
    cast(sum(entries.points) over (
        partition by entries.rep_id
        order by entries.event_at, entries.rule_id, entries.event_key
        rows between unbounded preceding and current row
    ) as {{ dbt.type_bigint() }}) as balance_after,
    -- evidence
    entries.evidence
from entries
left join reps
    on reps.rep_id = entries.rep_id
where {{ mart_is_available('fct_behaviour_points_ledger') }}
