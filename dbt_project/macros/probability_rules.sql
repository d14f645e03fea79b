{#- The stage-probability rules engine 阶段赢率规则引擎 (SPEC §5), defined once for every day it is
    evaluated on: as of as_of (int_open_opportunities_matched_to_probability_rules) and on each
    scoring day of the win-probability model and the forecast backtest
    (int_scoring_days_matched_to_probability_rules).

    `scored` is a relation or CTE name with one row per opportunity per day scored:
    opportunity_id, the day (`day_column`, a date: evidence known by the end of it counts),
    stage, expected_close_on (the expected close date when it is a valid date, else null) and
    latest_entered_at (the last stage change on or before the day).

    A rule fires when its stage is the opportunity's stage and its evidence is present by the
    day, or it needs none (the stage default). Evidence is a qualification event recorded on or
    before the day, or one of two facts read from the pipeline itself: `close_date_passed` (the
    expected close date is before the day) and `stalled` (no stage change for
    stalled_after_days or more). Precedence: the most specific rule wins (a rule with evidence
    beats the stage default), then the lower `precedence`, then the lower rule_id — so the
    choice never depends on row order.

    Returns one row per scored row that a rule fires for: opportunity_id, the day, rule_id,
    evidence_kind, probability, matched_rule_count. -#}
{% macro probability_rules_fired(scored, day_column) -%}
    with

    rules as (

        select * from {{ ref('forecast_probability_rules') }}

    ),

    events as (

        select * from {{ ref('stg_crm__qualification_events') }}

    ),

    settings as (

        select
            max(case when parameter = 'stalled_after_days' then value end) as stalled_after_days
        from {{ ref('forecast_settings') }}

    ),

    recorded_events as (

        select distinct
            scored.opportunity_id,
            scored.{{ day_column }} as scored_on,
            events.kind
        from {{ scored }} as scored
        inner join events
            on events.opportunity_id = scored.opportunity_id
        where cast(events.recorded_at as date) <= scored.{{ day_column }}

    ),

    past_close_dates as (

        select
            opportunity_id,
            {{ day_column }} as scored_on,
            'close_date_passed' as kind
        from {{ scored }}
        where expected_close_on < {{ day_column }}

    ),

    stalled as (

        select
            scored.opportunity_id,
            scored.{{ day_column }} as scored_on,
            'stalled' as kind
        from {{ scored }} as scored
        cross join settings
        where {{ dbt.datediff('cast(scored.latest_entered_at as date)', 'scored.' ~ day_column, 'day') }}
            >= settings.stalled_after_days

    ),

    evidence as (

        select * from recorded_events
        union all
        select * from past_close_dates
        union all
        select * from stalled

    ),

    candidates as (

        select
            scored.opportunity_id,
            scored.{{ day_column }} as scored_on,
            rules.rule_id,
            rules.evidence_kind,
            rules.probability,
            rules.precedence,
            case when rules.evidence_kind is null then 0 else 1 end as specificity
        from {{ scored }} as scored
        inner join rules
            on rules.stage = scored.stage
        left join evidence
            on evidence.opportunity_id = scored.opportunity_id
            and evidence.scored_on = scored.{{ day_column }}
            and evidence.kind = rules.evidence_kind
        where rules.evidence_kind is null
            or evidence.opportunity_id is not null

    ),

    ranked as (

        select
            candidates.*,
            count(*) over (
                partition by candidates.opportunity_id, candidates.scored_on
            ) as matched_rule_count,
            row_number() over (
                partition by candidates.opportunity_id, candidates.scored_on
                order by candidates.specificity desc, candidates.precedence, candidates.rule_id
            ) as rule_rank
        from candidates

    )

    select
        opportunity_id,
        scored_on as {{ day_column }},
        rule_id,
        evidence_kind,
        probability,
        matched_rule_count
    from ranked
    where rule_rank = 1
{%- endmacro %}
