-- The daily opportunity snapshot spine: where every opportunity stood at the end of each
-- day, from its creation day through the earlier of its close day and as_of. The base that
-- the published snapshot (fct_opportunity_daily_snapshot) and the pipeline models share.
--   Incremental by day: a new day of extracts adds each live opportunity's new days; the
--   rows already stored are kept for every opportunity whose inputs through its last stored
--   day are unchanged (macro opportunity_snapshot_signature: its creation, its close, its
--   stage and extract spans clipped at that day, its owners' teams), and recomputed whole for
--   one whose inputs changed (a corrected past extract or stage entry, a team move). Another
--   salesops version, an earlier as_of or a spine that starts elsewhere recompute everything.
--   tests/test_incremental_snapshot.py checks the incremental build against a full rebuild.
--   Columns follow the project (sync_all_columns): a new version deletes every stored row
--   (its fingerprint differs), so a column it adds or drops never meets an old row.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns'
) }}

{%- if is_incremental() -%}
    {{ delete_changed_snapshot_rows(this, ref('int_as_of_resolved'), ref('int_snapshot_days_spined')) }}
{%- endif %}

with

days as (

    select * from {{ ref('int_snapshot_days_spined') }}

),

lifetimes as (

    select * from {{ ref('int_opportunities_closed_on') }}

),

stage_spans as (

    select * from {{ ref('int_stage_history_spanned_by_day') }}

),

value_spans as (

    select * from {{ ref('int_opportunity_values_spanned_by_day') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

-- each opportunity's last stored day (the rows kept by delete_changed_snapshot_rows)
stored as (

    {% if is_incremental() -%}
    select opportunity_id, max(snapshot_date) as built_through
    from {{ this }}
    group by opportunity_id
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        cast(null as date) as built_through
    where 1 = 0
    {%- endif %}

),

opportunity_days as (

    select
        days.snapshot_date,
        lifetimes.opportunity_id
    from lifetimes
    inner join days
        on days.snapshot_date >= lifetimes.created_on
        and days.snapshot_date <= lifetimes.last_snapshot_on
    left join stored
        on stored.opportunity_id = lifetimes.opportunity_id
    where stored.built_through is null
        or days.snapshot_date > stored.built_through

),

-- the signature stored with the new rows: the inputs through the opportunity's last day now
signatures as (

    {{ opportunity_snapshot_signature(
        "select opportunity_id, last_snapshot_on as cut from " ~ ref('int_opportunities_closed_on')
    ) }}

),

spine_start as (

    select min(snapshot_date) as spine_start_on from days

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

with_stage as (

    select
        opportunity_days.snapshot_date,
        opportunity_days.opportunity_id,
        -- from the close day on, the final outcome: the stage history's, or the extract's
        -- when the history lacks the won / lost entry
        case
            when lifetimes.closed_on is not null
                and lifetimes.closed_status is not null
                and opportunity_days.snapshot_date >= lifetimes.closed_on
                then lifetimes.closed_status
            else coalesce(stage_spans.stage, 'lead')
        end as stage,
        stage_spans.stage_probability,
        stage_spans.span_start_on as stage_entered_on
    from opportunity_days
    inner join lifetimes
        on lifetimes.opportunity_id = opportunity_days.opportunity_id
    left join stage_spans
        on stage_spans.opportunity_id = opportunity_days.opportunity_id
        and stage_spans.span_start_on <= opportunity_days.snapshot_date
        and (
            stage_spans.span_end_before is null
            or opportunity_days.snapshot_date < stage_spans.span_end_before
        )

),

with_values as (

    select
        with_stage.*,
        value_spans.owner_rep_id,
        value_spans.amount,
        value_spans.expected_close_date_raw,
        value_spans.probability as extract_probability,
        value_spans.extract_date
    from with_stage
    left join value_spans
        on value_spans.opportunity_id = with_stage.opportunity_id
        and (
            value_spans.span_start_on is null
            or value_spans.span_start_on <= with_stage.snapshot_date
        )
        and (
            value_spans.span_end_before is null
            or with_stage.snapshot_date < value_spans.span_end_before
        )

)

select
    -- grain
    with_values.snapshot_date,
    with_values.opportunity_id,
    -- owner
    with_values.owner_rep_id,
    reps.team_id,
    -- position
    with_values.stage,
    case with_values.stage
        when 'won' then 'won'
        when 'lost' then 'lost'
        else 'open'
    end as status,
    -- values
    with_values.amount,
    with_values.expected_close_date_raw,
    {{ text_to_date('with_values.expected_close_date_raw') }} as expected_close_on,
    -- the most recent dated observation wins: an extract taken on or after the day the
    -- current stage was entered, else the probability set at stage entry, else (before
    -- anything dated) the extract's value
    case
        when with_values.extract_probability is not null
            and with_values.extract_date is not null
            and with_values.extract_date <= with_values.snapshot_date
            and (
                with_values.stage_entered_on is null
                or with_values.extract_date >= with_values.stage_entered_on
            )
            then with_values.extract_probability
        else coalesce(with_values.stage_probability, with_values.extract_probability)
    end as probability,
    with_values.stage not in ('won', 'lost') as is_open,
    -- build state, read by the next incremental build only
    signatures.signature as _signature,
    cast('{{ env_var("SALESOPS_DBT_FINGERPRINT", "unknown") }}' as {{ dbt.type_string() }}) as _build_fingerprint,
    spine_start.spine_start_on as _spine_start_on,
    as_of.as_of as _written_as_of,
    -- the dbt invocation that wrote the row: the published mart copies exactly these
    -- opportunities' rows again (fct_opportunity_daily_snapshot)
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as _written_by
from with_values
left join reps
    on reps.rep_id = with_values.owner_rep_id
left join signatures
    on signatures.opportunity_id = with_values.opportunity_id
cross join spine_start
cross join as_of
