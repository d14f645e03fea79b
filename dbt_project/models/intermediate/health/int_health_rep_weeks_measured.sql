-- The 12 process-health metrics (SPEC §5) per rep and ISO week (Monday), as numerator and
-- denominator so that a team-week is the same ratio over the team's items. Event metrics
-- belong to the week of their event; state metrics (staleness, coverage, forecast
-- deviation) are read at the week's end (or as_of for the current week). Definitions:
-- _health__models.yml. A rep's termination week (handover) is not scored.
-- Shared measures are read, not re-derived: MOT compliance from int_mot_quote_entries_gated
-- (seed process_mot_facts), visit node completion from int_visits_aggregated_from_nodes (seed
-- process_visit_nodes), closes (win rate, quote → won, cycle) from
-- int_opportunity_closes_joined_to_regime, committed targets from int_targets_placed,
-- bookings from int_bookings_credited, forecast deviation from int_rep_weeks_forecast_deviation.
-- Beside numerator ÷ denominator, metrics measured over items (leads, deals, visits, entries,
-- touches) carry the items' moments on the scales the peer test may use (seed health_metrics
-- z_scale): Σ ln(1 + x), Σ ln(1 + x)², Σ √x and Σ x², x floored at 0 — so the peer test can
-- score the mean of the items on the log scale (a geometric mean: one stranded lead among
-- four does not make the week a 60-hour week) and knows how widely single items vary.
-- Coverage and forecast deviation are one ratio of yuan, not items: no moments.
{%- set item_moments -%}
        sum(ln(1 + case when (ITEM) > 0 then (ITEM) else 0 end)) as log_sum,
        sum(
            ln(1 + case when (ITEM) > 0 then (ITEM) else 0 end)
            * ln(1 + case when (ITEM) > 0 then (ITEM) else 0 end)
        ) as log_square_sum,
        sum(sqrt(case when (ITEM) > 0 then (ITEM) else 0 end)) as sqrt_sum,
        sum((ITEM) * (ITEM)) as square_sum
{%- endset %}
{%- set no_item_moments -%}
        cast(null as {{ type_double() }}) as log_sum,
        cast(null as {{ type_double() }}) as log_square_sum,
        cast(null as {{ type_double() }}) as sqrt_sum,
        cast(null as {{ type_double() }}) as square_sum
{%- endset %}
with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

settings as (

    select * from {{ ref('health_thresholds') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

-- owner and dates as known on as_of (the latest extract's owner would leak later reassignments)
opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

-- a change whose author is unknown (changed_by empty) is credited to the opportunity's owner
stage_history as (

    select
        stage_history.opportunity_id,
        stage_history.stage,
        stage_history.probability,
        stage_history.entered_at,
        coalesce(stage_history.changed_by, opportunities.owner_rep_id) as changed_by
    from {{ ref('stg_crm__opportunity_stage_history') }} as stage_history
    cross join as_of
    left join opportunities
        on opportunities.opportunity_id = stage_history.opportunity_id
    where cast(stage_history.entered_at as date) <= as_of.as_of

),

activities as (

    select activities.*
    from {{ ref('stg_crm__activities') }} as activities
    cross join as_of
    where cast(activities.occurred_at as date) <= as_of.as_of

),

mot_entries as (

    select * from {{ ref('int_mot_quote_entries_gated') }}

),

visits as (

    select * from {{ ref('int_visits_aggregated_from_nodes') }}

),

closed_opportunities as (

    select * from {{ ref('int_opportunity_closes_joined_to_regime') }}

),

committed_targets as (

    select * from {{ ref('int_targets_placed') }}
    where target_level = 'rep'
        and amount > 0

),

bookings as (

    select * from {{ ref('int_bookings_credited') }}

),

rep_weeks_forecast_deviation as (

    select * from {{ ref('int_rep_weeks_forecast_deviation') }}

),

-- first entry of each opportunity into each stage (a regression re-entry is not a new one)
first_entries as (

    select
        opportunity_id,
        stage,
        entered_at,
        changed_by
    from (
        select
            opportunity_id,
            stage,
            entered_at,
            changed_by,
            row_number() over (
                partition by opportunity_id, stage
                order by entered_at, changed_by
            ) as entry_number
        from stage_history
    ) as numbered
    where entry_number = 1

),

-- 1 lead first-response hours: leads created in the rep-week, answered by as_of
lead_response as (

    select
        leads.assigned_rep_id as rep_id,
        cast({{ dbt.date_trunc('week', 'leads.created_at') }} as date) as week_start,
        'lead_first_response_hours' as metric_code,
        sum({{ dbt.datediff('leads.created_at', 'leads.first_response_at', 'second') }} / 3600)
            as numerator,
        count(*) as denominator,
        {{ item_moments | replace(
            'ITEM',
            "(" ~ dbt.datediff('leads.created_at', 'leads.first_response_at', 'second')
            ~ " / 3600)"
        ) }}
    from leads
    cross join as_of
    where leads.first_response_at is not null
        and leads.first_response_at >= leads.created_at
        and cast(leads.first_response_at as date) <= as_of.as_of
    group by 1, 2

),

-- 2 solution customisation days: qualified → quote, in the week of the quote entry
customisation as (

    select
        quote_entry.changed_by as rep_id,
        cast({{ dbt.date_trunc('week', 'quote_entry.entered_at') }} as date) as week_start,
        'solution_customisation_days' as metric_code,
        sum(
            {{ dbt.datediff('qualified_entry.entered_at', 'quote_entry.entered_at', 'second') }}
            / 86400
        ) as numerator,
        count(*) as denominator,
        {{ item_moments | replace(
            'ITEM',
            "(" ~ dbt.datediff('qualified_entry.entered_at', 'quote_entry.entered_at', 'second')
            ~ " / 86400)"
        ) }}
    from first_entries as quote_entry
    inner join first_entries as qualified_entry
        on qualified_entry.opportunity_id = quote_entry.opportunity_id
        and qualified_entry.stage = 'qualified'
        and qualified_entry.entered_at <= quote_entry.entered_at
    where quote_entry.stage = 'quote'
    group by 1, 2

),

-- 3 contract negotiation rounds: negotiation activities per deal entering contract_approval;
-- only deals whose negotiation began inside the activity record (no cut-off history)
activity_record as (

    select min(occurred_at) as record_start
    from activities

),

rounds_per_opportunity as (

    select
        opportunity_id,
        count(*) as rounds
    from activities
    where kind = 'negotiation'
        and opportunity_id is not null
    group by opportunity_id

),

negotiation_rounds as (

    select
        approval_entry.changed_by as rep_id,
        cast({{ dbt.date_trunc('week', 'approval_entry.entered_at') }} as date) as week_start,
        'contract_negotiation_rounds' as metric_code,
        sum(coalesce(rounds_per_opportunity.rounds, 0)) as numerator,
        count(*) as denominator,
        {{ item_moments | replace('ITEM', 'coalesce(rounds_per_opportunity.rounds, 0)') }}
    from first_entries as approval_entry
    inner join first_entries as negotiation_entry
        on negotiation_entry.opportunity_id = approval_entry.opportunity_id
        and negotiation_entry.stage = 'negotiation'
    cross join activity_record
    left join rounds_per_opportunity
        on rounds_per_opportunity.opportunity_id = approval_entry.opportunity_id
    where approval_entry.stage = 'contract_approval'
        and negotiation_entry.entered_at >= activity_record.record_start
    group by 1, 2

),

-- 4 visit node completion rate: the visit's mandatory nodes recorded ÷ required, in the week
-- it started; a visit is scored once it has had visit_settle_days to complete
visit_completion as (

    select
        visits.rep_id,
        visits.week_start,
        'visit_node_completion_rate' as metric_code,
        sum(cast(visits.nodes_recorded as {{ type_double() }}) / visits.nodes_required) as numerator,
        count(*) as denominator,
        {{ item_moments | replace(
            'ITEM',
            '(cast(visits.nodes_recorded as ' ~ type_double() ~ ') / visits.nodes_required)'
        ) }}
    from visits
    cross join as_of
    cross join settings
    where visits.nodes_required > 0
        and cast(visits.started_at as date)
            <= {{ dbt.dateadd('day', '-settings.visit_settle_days', 'as_of.as_of') }}
    group by 1, 2

),

-- 5 MOT compliance: compliant entries into quote ÷ entries, in the week of the entry
mot_compliance as (

    select
        rep_id,
        week_start,
        'mot_compliance' as metric_code,
        sum(case when is_compliant then 1 else 0 end) as numerator,
        count(*) as denominator,
        {{ item_moments | replace('ITEM', '(case when is_compliant then 1 else 0 end)') }}
    from mot_entries
    group by 1, 2

),

-- 7 follow-up gap days: days since the previous touch of the same opportunity (any rep); a
-- visit is one touch (its start), in the week of the touch
touches as (

    select
        opportunity_id,
        rep_id,
        occurred_at
    from activities
    where opportunity_id is not null
        and visit_id is null

    union all

    select
        opportunity_id,
        rep_id,
        started_at as occurred_at
    from visits
    where opportunity_id is not null

),

touch_gaps as (

    select
        rep_id,
        occurred_at,
        {{ dbt.datediff(
            'lag(occurred_at) over (partition by opportunity_id order by occurred_at)',
            'occurred_at',
            'second'
        ) }} / 86400 as gap_days
    from touches

),

follow_up_gap as (

    select
        rep_id,
        cast({{ dbt.date_trunc('week', 'occurred_at') }} as date) as week_start,
        'follow_up_gap_days' as metric_code,
        sum(gap_days) as numerator,
        count(*) as denominator,
        {{ item_moments | replace('ITEM', 'gap_days') }}
    from touch_gaps
    where gap_days is not null
    group by 1, 2

),

-- 8, 9, 10 closes: each closed opportunity's outcome and close time as of as_of, credited to
-- the rep who recorded the close (its stage-history entry), else the owner
closes as (

    select
        closed_opportunities.opportunity_id,
        coalesce(max(close_entry.changed_by), closed_opportunities.owner_rep_id) as rep_id,
        closed_opportunities.closed_at,
        closed_opportunities.outcome = 'won' as is_won,
        max(case when mot_entries.opportunity_id is not null then 1 else 0 end) = 1 as reached_quote
    from closed_opportunities
    left join stage_history as close_entry
        on close_entry.opportunity_id = closed_opportunities.opportunity_id
        and close_entry.stage = closed_opportunities.outcome
        and close_entry.entered_at = closed_opportunities.closed_at
    left join mot_entries
        on mot_entries.opportunity_id = closed_opportunities.opportunity_id
        and mot_entries.entered_at <= closed_opportunities.closed_at
    group by
        closed_opportunities.opportunity_id,
        closed_opportunities.owner_rep_id,
        closed_opportunities.closed_at,
        closed_opportunities.outcome

),

quote_to_won as (

    select
        rep_id,
        cast({{ dbt.date_trunc('week', 'closed_at') }} as date) as week_start,
        'quote_to_won_conversion' as metric_code,
        sum(case when is_won then 1 else 0 end) as numerator,
        count(*) as denominator,
        {{ item_moments | replace('ITEM', '(case when is_won then 1 else 0 end)') }}
    from closes
    where reached_quote
    group by 1, 2

),

win_rate as (

    select
        rep_id,
        cast({{ dbt.date_trunc('week', 'closed_at') }} as date) as week_start,
        'win_rate' as metric_code,
        sum(case when is_won then 1 else 0 end) as numerator,
        count(*) as denominator,
        {{ item_moments | replace('ITEM', '(case when is_won then 1 else 0 end)') }}
    from closes
    group by 1, 2

),

sales_cycle as (

    select
        closes.rep_id,
        cast({{ dbt.date_trunc('week', 'closes.closed_at') }} as date) as week_start,
        'sales_cycle_days' as metric_code,
        sum(
            {{ dbt.datediff(
                'coalesce(leads.created_at, opportunities.created_at)',
                'closes.closed_at',
                'second'
            ) }} / 86400
        ) as numerator,
        count(*) as denominator,
        {{ item_moments | replace(
            'ITEM',
            "(" ~ dbt.datediff(
                'coalesce(leads.created_at, opportunities.created_at)', 'closes.closed_at', 'second'
            ) ~ " / 86400)"
        ) }}
    from closes
    inner join opportunities
        on opportunities.opportunity_id = closes.opportunity_id
    left join leads
        on leads.lead_id = opportunities.lead_id
        and (opportunities.created_at is null or leads.created_at <= opportunities.created_at)
    where closes.is_won
        -- a cycle needs a start: neither the lead nor the opportunity dated → not measured
        and coalesce(leads.created_at, opportunities.created_at) is not null
    group by 1, 2

),

-- week spine for the state metrics: first stage-history week to as_of's week
weeks as (

    {{ week_spine(
        '(select ' ~ dbt.date_trunc('week', 'min(entered_at)') ~ ' from stage_history)',
        '(select ' ~ dbt.date_trunc('week', 'as_of') ~ ' from as_of)'
    ) }}

),

week_ends as (

    select
        weeks.week_start,
        -- the moment the week's state is read: its end, or the end of as_of for the current week
        cast(case
            when {{ dbt.dateadd('day', 7, 'weeks.week_start') }}
                < {{ dbt.dateadd('day', 1, 'as_of.as_of') }}
                then {{ dbt.dateadd('day', 7, 'weeks.week_start') }}
            else {{ dbt.dateadd('day', 1, 'as_of.as_of') }}
        end as timestamp) as read_at,
        -- the month a week belongs to: the month of its Thursday (ISO rule)
        cast({{ dbt.date_trunc('month', dbt.dateadd('day', 3, 'weeks.week_start')) }} as date)
            as period_start
    from weeks
    cross join as_of

),

stage_spans as (

    select
        opportunity_id,
        stage,
        changed_by,
        probability,
        entered_at,
        lead(entered_at) over (
            partition by opportunity_id
            order by entered_at, stage
        ) as next_entered_at
    from stage_history

),

-- opportunities open at the week's read time, owned by the rep of their latest stage change
open_at_week_end as (

    select
        week_ends.week_start,
        week_ends.period_start,
        stage_spans.opportunity_id,
        stage_spans.changed_by as rep_id,
        {{ dbt.datediff('stage_spans.entered_at', 'week_ends.read_at', 'second') }} / 86400
            as days_in_stage,
        opportunities.amount * case
            when stage_spans.probability > 1 then stage_spans.probability / 100
            else coalesce(stage_spans.probability, 0)
        end as weighted_amount
    from stage_spans
    inner join week_ends
        on stage_spans.entered_at < week_ends.read_at
        and (stage_spans.next_entered_at is null or stage_spans.next_entered_at >= week_ends.read_at)
    inner join opportunities
        on opportunities.opportunity_id = stage_spans.opportunity_id
    where stage_spans.stage not in ('won', 'lost')

),

-- 6 stage-update staleness days: mean days since the last stage change, over open deals
staleness as (

    select
        rep_id,
        week_start,
        'stage_update_staleness_days' as metric_code,
        sum(days_in_stage) as numerator,
        count(*) as denominator,
        {{ item_moments | replace('ITEM', 'days_in_stage') }}
    from open_at_week_end
    group by 1, 2

),

bookings_to_date as (

    select
        week_ends.week_start,
        bookings.rep_id,
        sum(bookings.amount) as booked
    from bookings
    inner join week_ends
        on bookings.signed_at >= cast(week_ends.period_start as timestamp)
        and bookings.signed_at < week_ends.read_at
    group by 1, 2

),

pipeline_weighted as (

    select
        rep_id,
        week_start,
        period_start,
        sum(weighted_amount) as weighted_pipeline
    from open_at_week_end
    group by 1, 2, 3

),

-- 11 pipeline coverage: weighted open pipeline ÷ (committed target − bookings to date);
-- undefined once the month's target is met
coverage as (

    select
        pipeline_weighted.rep_id,
        pipeline_weighted.week_start,
        'pipeline_coverage' as metric_code,
        pipeline_weighted.weighted_pipeline as numerator,
        committed_targets.amount - coalesce(bookings_to_date.booked, 0) as denominator,
        {{ no_item_moments }}
    from pipeline_weighted
    inner join committed_targets
        on committed_targets.rep_id = pipeline_weighted.rep_id
        and committed_targets.period_start = pipeline_weighted.period_start
    left join bookings_to_date
        on bookings_to_date.rep_id = pipeline_weighted.rep_id
        and bookings_to_date.week_start = pipeline_weighted.week_start
    where committed_targets.amount - coalesce(bookings_to_date.booked, 0) > 0

),

-- 12 forecast deviation: |latest forecast for the month − committed| ÷ committed, at week end
forecast_deviation as (

    select
        rep_id,
        week_start,
        'forecast_deviation' as metric_code,
        abs(forecast_amount - committed_target) as numerator,
        committed_target as denominator,
        {{ no_item_moments }}
    from rep_weeks_forecast_deviation

),

measured as (

    select * from lead_response
    union all
    select * from customisation
    union all
    select * from negotiation_rounds
    union all
    select * from visit_completion
    union all
    select * from mot_compliance
    union all
    select * from staleness
    union all
    select * from follow_up_gap
    union all
    select * from quote_to_won
    union all
    select * from win_rate
    union all
    select * from sales_cycle
    union all
    select * from coverage
    union all
    select * from forecast_deviation

)

select
    -- ids
    cast(measured.rep_id as {{ dbt.type_string() }}) as rep_id,
    cast(reps.team_id as {{ dbt.type_string() }}) as team_id,
    cast(measured.metric_code as {{ dbt.type_string() }}) as metric_code,
    -- dates
    cast(measured.week_start as date) as week_start,
    -- amounts
    cast(measured.numerator as {{ type_double() }}) as numerator,
    cast(measured.denominator as {{ type_double() }}) as denominator,
    -- item moments (empty for coverage and forecast deviation)
    cast(measured.log_sum as {{ type_double() }}) as log_sum,
    cast(measured.log_square_sum as {{ type_double() }}) as log_square_sum,
    cast(measured.sqrt_sum as {{ type_double() }}) as sqrt_sum,
    cast(measured.square_sum as {{ type_double() }}) as square_sum
from measured
inner join reps
    on reps.rep_id = measured.rep_id
cross join as_of
where measured.week_start <= as_of.as_of
    and measured.denominator > 0
    -- the termination week is a handover week: not scored
    and not (
        reps.termination_date is not null
        and reps.termination_date >= measured.week_start
        and reps.termination_date < {{ dbt.dateadd('day', 7, 'measured.week_start') }}
    )
