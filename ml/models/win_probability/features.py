"""Win-probability features 赢率特征: one row per open opportunity per scoring day, built only
from what was known by the end of that day.

Rows are those of ``marts.fct_opportunity_scoring_days`` (the lock days 1/8/15/22 of every
month and as_of). Every feature reads a fact dated on or before the scoring day:

- the opportunity on the day (daily snapshot): stage, days in the stage, amount, the expected
  close date (present? how far ahead or past?), the CRM's probability and the rules engine's;
- the opportunity's age and product line (fixed at creation);
- the owner on the day: tenure in months, the owner's opportunities won and lost in the 365
  days before the day (closed before it), and whether the team's region ran the structured
  process on the day;
- chat signals 沟通信号 mentioned on or before the day, per dictionary category (and negated
  mentions apart), from ``marts.fct_opportunity_signals_daily``.

The outcome (won / lost and the day it closed) comes from the daily snapshot's closing row;
a model trained at an origin uses only outcomes closed before it
(:func:`ml.models.win_probability.train.training_rows`).

``tests/ml/test_win_probability_leakage.py`` adds facts dated after a scoring day to every
input and fails if a feature of that day changes."""

from __future__ import annotations

import duckdb
import pandas as pd

STAGES = ("lead", "qualified", "quote", "negotiation", "contract_approval")
"""The canonical open stages in funnel order (SPEC §4); the stage feature is its position."""

CATEGORICAL = ("product_line", "region_id")
KEYS = ("scored_on", "opportunity_id")

_BASE_SQL = """
with

scoring as (

    select * from marts.fct_opportunity_scoring_days

),

opportunities as (

    select opportunity_id, created_at, product_line from marts.dim_opportunities

),

reps as (

    select rep_id, hire_date from marts.dim_reps

),

teams as (

    select unit_id, region_id, structured_since from marts.dim_org_units

),

closings as (

    select
        opportunity_id,
        min(snapshot_date) as closed_on,
        min(status) as outcome,
        min(owner_rep_id) as owner_rep_id
    from marts.fct_opportunity_daily_snapshot
    where status in ('won', 'lost')
    group by opportunity_id

),

owner_record as (

    select
        scoring.scored_on,
        scoring.opportunity_id,
        count(closings.opportunity_id) as owner_closed_365d,
        count(case when closings.outcome = 'won' then 1 end) as owner_won_365d
    from scoring
    inner join closings
        on closings.owner_rep_id = scoring.owner_rep_id
        and closings.closed_on <= scoring.scored_on
        and closings.closed_on > scoring.scored_on - interval 365 day
    group by scoring.scored_on, scoring.opportunity_id

)

select
    scoring.scored_on,
    scoring.opportunity_id,
    scoring.period,
    scoring.lock_day,
    scoring.is_as_of,
    scoring.owner_rep_id,
    scoring.stage,
    scoring.tenure_cohort,
    scoring.amount,
    scoring.crm_probability,
    scoring.rule_probability,
    -- features
    scoring.days_in_stage,
    ln(1 + greatest(coalesce(scoring.amount, 0), 0)) as log_amount,
    scoring.amount is null as amount_missing,
    scoring.expected_close_on is null as close_date_missing,
    date_diff('day', scoring.scored_on, scoring.expected_close_on) as days_to_expected_close,
    date_diff('day', cast(opportunities.created_at as date), scoring.scored_on) as age_days,
    date_diff('day', reps.hire_date, scoring.scored_on) / 30.44 as owner_tenure_months,
    coalesce(owner_record.owner_closed_365d, 0) as owner_closed_365d,
    coalesce(owner_record.owner_won_365d, 0) as owner_won_365d,
    coalesce(teams.structured_since <= scoring.scored_on, false) as structured_process,
    coalesce(opportunities.product_line, '') as product_line,
    coalesce(teams.region_id, '') as region_id,
    -- outcome, known only from its closing day on
    closings.outcome,
    closings.closed_on
from scoring
left join opportunities
    on opportunities.opportunity_id = scoring.opportunity_id
left join reps
    on reps.rep_id = scoring.owner_rep_id
left join teams
    on teams.unit_id = scoring.team_id
left join owner_record
    on owner_record.scored_on = scoring.scored_on
    and owner_record.opportunity_id = scoring.opportunity_id
left join closings
    on closings.opportunity_id = scoring.opportunity_id
order by scoring.scored_on, scoring.opportunity_id
"""

_SIGNALS_SQL = """
select
    scoring.scored_on,
    scoring.opportunity_id,
    signals.category || case when signals.negated then '_negated' else '' end as signal,
    sum(signals.mentions) as mentions
from marts.fct_opportunity_scoring_days as scoring
inner join marts.fct_opportunity_signals_daily as signals
    on signals.opportunity_id = scoring.opportunity_id
    and signals.signal_date <= scoring.scored_on
group by all
"""


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(found[0][0])


def build_features(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per open opportunity per scoring day: the descriptive columns, the features
    (:func:`feature_columns`) and the outcome (``outcome``, ``closed_on``: empty while open)."""
    frame = con.sql(_BASE_SQL).to_arrow_table().to_pandas()
    frame["stage_position"] = frame["stage"].map({s: i for i, s in enumerate(STAGES)}).astype(float)
    if _has_table(con, "marts", "fct_opportunity_signals_daily"):
        signals = con.sql(_SIGNALS_SQL).to_arrow_table().to_pandas()
        if not signals.empty:
            wide = signals.pivot_table(
                index=list(KEYS), columns="signal", values="mentions", aggfunc="sum", fill_value=0
            )
            wide.columns = [f"signal_{name}" for name in wide.columns]
            frame = frame.merge(wide.reset_index(), on=list(KEYS), how="left")
    signal_columns = [c for c in frame.columns if c.startswith("signal_")]
    frame[signal_columns] = frame[signal_columns].fillna(0).astype(float)
    for name in CATEGORICAL:
        frame[name] = frame[name].astype("category")
    return frame


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The model's inputs, in a fixed order: numeric features, then the signal counts, then
    the categorical ones."""
    numeric = [
        "stage_position",
        "days_in_stage",
        "log_amount",
        "amount_missing",
        "close_date_missing",
        "days_to_expected_close",
        "age_days",
        "owner_tenure_months",
        "owner_closed_365d",
        "owner_won_365d",
        "structured_process",
        "crm_probability",
        "rule_probability",
    ]
    signals = sorted(c for c in frame.columns if c.startswith("signal_"))
    return numeric + signals + list(CATEGORICAL)
