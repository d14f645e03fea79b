-- The daily opportunity snapshot spine: where every opportunity stood at the end of each
-- day, from its creation day through the earlier of its close day and as_of. The base that
-- the published snapshot (fct_opportunity_daily_snapshot) and the pipeline models share; a
-- table, since the waterfall reads it four times and the marts once each.
{{ config(materialized='table') }}

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

opportunity_days as (

    select
        days.snapshot_date,
        lifetimes.opportunity_id
    from lifetimes
    inner join days
        on days.snapshot_date >= lifetimes.created_on
        and days.snapshot_date <= lifetimes.last_snapshot_on

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
    with_values.stage not in ('won', 'lost') as is_open
from with_values
left join reps
    on reps.rep_id = with_values.owner_rep_id
