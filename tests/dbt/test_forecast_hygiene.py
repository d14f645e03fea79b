"""Forecast hygiene diagnostics (the article's five checks) and the stage-probability rules
engine, on a hand-made world and on the three planted worlds (default, alt, field).

Hand-made world, as_of 2026-03-31 (March is complete). hq → t1 (structured since
2026-01-01, new rep rn hired 2026-01-15), t2 (traditional, tenured rep ro hired 2024-01-01).

    open   stage              prob  expected close  forecast / req. doc   evidence
    A1 rn  quote              0.4   2026-03-20      1000 / 1000
    A2 rn  contract_approval  0.9   (empty)         2000 / 2000           legal draft 03-01
    A3 ro  lead               0.5   尽快            1300 / 1000
    A4 ro  negotiation        0.5   待定            1500 / 1000           legal draft 03-20
    closed: A5 ro won 03-05 (K5 1000 signed 03-05), A6 rn won 03-10 (K6 500 signed 03-12)

1 close date: 3 of 4 bad (75%: empty 25%, words 50%); structured 1/2, traditional 2/2.
2 probability: A3, A4 at the default 50% → 50%; 3 distinct values, one per stage.
3 forecast over doc: 0, 0, +30%, +50% → mean +20%.
4 bias: rn forecasts 900 (03-01) then 750 (03-15) against 500 booked → locks 1, 8: +0.8,
  locks 15, 22: +0.5 → new +0.65; ro forecasts 1100 (03-01) against 1000 → tenured +0.10.
5 payments: P1 on K5 recorded 03-06 10:00, synced 24 h later (on time); P2 on K6 recorded
  03-20 12:00, never synced → 276 h at the end of as_of → 1 alert of 2 (50%); no misread
  (K6 is 19 days old).
Rules engine (seeds/forecast, stalled after 90 days), by hand:
  A1 quote since 02-10 (49 days), expected to close 03-20, before as_of: the deal slipped →
     quote_close_date_passed 0.20 over quote_default (2 rules fired; CRM 0.4 → −0.20).
  A2 contract_approval since 03-02 with the legal draft (03-01) → contract_approval_legal_draft
     0.85 over the stage default (2 fired; CRM 0.9 → −0.05).
  A3 lead since 2025-12-01: 120 days without a stage change ≥ 90 → lead_stalled 0.02 over
     lead_default (2 fired; CRM 0.5 → −0.48).
  A4 negotiation since 01-10 (80 days < 90, not stalled), legal draft 03-20 →
     negotiation_legal_draft 0.65 over negotiation_default (2 fired; CRM 0.5 → +0.15).
"""

from __future__ import annotations

import math
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

AS_OF = "2026-03-31"
WORLDS = ("default", "alt", "field")
FORECAST_MARTS = (
    "fct_forecast_hygiene",
    "fct_forecast_hygiene_opportunities",
    "fct_opportunity_rule_probabilities",
)
EXACT = 1e-9


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {
        "unit_id": "t1",
        "level": "team",
        "parent_id": "hq",
        "name": "一组",
        "structured_since": date(2026, 1, 1),
    },
    {"unit_id": "t2", "level": "team", "parent_id": "hq", "name": "二组"},
]
REPS = [
    {
        "rep_id": "rn",
        "name": "新人",
        "team_id": "t1",
        "role": "rep",
        "hire_date": date(2026, 1, 15),
    },
    {"rep_id": "ro", "name": "老将", "team_id": "t2", "role": "rep", "hire_date": date(2024, 1, 1)},
]
# (id, owner, created, expected close, forecast, requirement doc, [(stage, entered, probability)])
_OPPORTUNITIES = (
    ("A1", "rn", "2026-02-01", "2026-03-20", 1000, 1000,
     [("lead", "2026-02-01", 0.1), ("qualified", "2026-02-05", 0.2), ("quote", "2026-02-10", 0.4)]),
    ("A2", "rn", "2026-02-02", None, 2000, 2000,
     [("lead", "2026-02-02", 0.1), ("contract_approval", "2026-03-02", 0.9)]),
    ("A3", "ro", "2025-12-01", "尽快", 1300, 1000, [("lead", "2025-12-01", 0.5)]),
    ("A4", "ro", "2025-12-02", "待定", 1500, 1000,
     [("lead", "2025-12-02", 0.5), ("negotiation", "2026-01-10", 0.5)]),
    ("A5", "ro", "2026-01-05", "尽快", 1000, None,
     [("lead", "2026-01-05", 0.5), ("won", "2026-03-05", 1.0)]),
    ("A6", "rn", "2026-01-06", "2026-03-01", 500, None,
     [("lead", "2026-01-06", 0.1), ("won", "2026-03-10", 1.0)]),
)  # fmt: skip
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": f"cust_{opp}",
        "owner_rep_id": owner,
        "product_line": "pumps",
        "created_at": ts(created),
        "stage": history[-1][0],
        "status": "won" if history[-1][0] == "won" else "open",
        "amount": 1000,
        "forecast_amount": forecast,
        "expected_close_date": close,
        "probability": history[-1][2],
        "requirement_doc_amount": doc,
    }
    for opp, owner, created, close, forecast, doc, history in _OPPORTUNITIES
]
STAGE_HISTORY = [
    {
        "opportunity_id": opp,
        "stage": stage,
        "entered_at": ts(at),
        "probability": probability,
        "changed_by": owner,
    }
    for opp, owner, _, _, _, _, history in _OPPORTUNITIES
    for stage, at, probability in history
]
QUALIFICATION_EVENTS = [
    {"opportunity_id": "A2", "kind": "legal_draft_uploaded", "recorded_at": ts("2026-03-01")},
    {"opportunity_id": "A4", "kind": "legal_draft_uploaded", "recorded_at": ts("2026-03-20")},
]
CONTRACTS = [
    {"contract_id": "K5", "opportunity_id": "A5", "signed_at": ts("2026-03-05"), "amount": 1000},
    {"contract_id": "K6", "opportunity_id": "A6", "signed_at": ts("2026-03-12"), "amount": 500},
]
PAYMENTS = [
    {
        "payment_id": "P1",
        "contract_id": "K5",
        "amount": 1000,
        "received_at": ts("2026-03-06 08:00:00"),
        "recorded_in_finance_at": ts("2026-03-06 10:00:00"),
        "synced_to_crm_at": ts("2026-03-07 10:00:00"),
    },
    {
        "payment_id": "P2",
        "contract_id": "K6",
        "amount": 500,
        "received_at": ts("2026-03-20 08:00:00"),
        "recorded_in_finance_at": ts("2026-03-20 12:00:00"),
        "synced_to_crm_at": None,
    },
]
FORECASTS = [
    {"rep_id": rep, "period": "2026-03", "submitted_at": ts(at), "amount": amount}
    for rep, at, amount in (
        ("rn", "2026-03-01 10:00:00", 900),
        ("rn", "2026-03-15 10:00:00", 750),
        ("ro", "2026-03-01 11:00:00", 1100),
    )
]
ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "qualification_events": QUALIFICATION_EVENTS,
    "contracts": CONTRACTS,
    "payments": PAYMENTS,
    "forecast_submissions": FORECASTS,
}


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory, warehouse_builder):
    return warehouse_builder(
        tmp_path_factory.mktemp("forecast_hygiene"),
        ROWS,
        "build",
        "--select",
        "+dim_org_units",
        *(f"+{mart}" for mart in FORECAST_MARTS),
        # only tests whose every parent is built; unit tests run in test_dbt_unit_tests.py
        "--indirect-selection",
        "cautious",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        f'{{"as_of": "{AS_OF}"}}',
    )


def frame(db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


# --------------------------------------------------------------------------- hand fixture


def test_hygiene_checks_on_the_hand_fixture(fixture_db):
    h = frame(fixture_db, "select * from marts.fct_forecast_hygiene").set_index("unit_id")
    assert sorted(h.index) == ["hq", "t1", "t2"]
    assert set(h.period) == {"2026-03"} and h.is_as_of_month.all() and h.is_month_complete.all()
    hq = h.loc["hq"]
    # 1
    assert (hq.open_opportunity_count, hq.bad_close_date_count) == (4, 3)
    assert (hq.empty_close_date_count, hq.non_date_close_date_count) == (1, 2)
    assert abs(hq.bad_close_date_share - 0.75) < EXACT
    assert abs(hq.empty_close_date_share - 0.25) < EXACT
    assert abs(h.loc["t1", "bad_close_date_share"] - 0.5) < EXACT
    assert abs(h.loc["t2", "bad_close_date_share"] - 1.0) < EXACT
    assert hq.close_date_status == "warn"
    assert hq.close_date_finding_zh == (
        "在途商机 4 个，其中 75.0% 的预计成交日期为空或不是日期"
        "（空白 25.0%，“尽快”等文字 50.0%）；阈值 20.0%"
    )
    # 2
    assert abs(hq.default_probability_share - 0.5) < EXACT
    assert (hq.distinct_probability_count, hq.max_distinct_probabilities_per_stage) == (3, 1)
    assert hq.distinct_probabilities_by_stage == (
        "lead:1, quote:1, negotiation:1, contract_approval:1"
    )
    assert (hq.probability_binding_status, h.loc["t1", "probability_binding_status"]) == (
        "warn",
        "pass",
    )
    # 3
    assert hq.forecast_doc_pair_count == 4
    assert abs(hq.forecast_over_doc_mean - 0.2) < EXACT
    assert hq.forecast_vs_requirement_doc_status == "warn"
    # 4
    assert (hq.new_rep_forecast_count, hq.tenured_forecast_count) == (4, 4)
    assert abs(hq.new_rep_bias - 0.65) < EXACT
    assert abs(hq.tenured_bias - 0.1) < EXACT
    assert abs(hq.new_minus_tenured_bias - 0.55) < EXACT
    assert hq.new_rep_bias_status == "warn"
    assert h.loc["t1", "new_rep_bias_status"] == "no_data"  # no tenured rep in t1
    assert hq.new_rep_bias_finding_en == (
        "New reps' forecast bias +65.0% (4 lock-point forecasts), tenured +10.0% (4); "
        "gap 55.0 pp; threshold 20.0 pp"
    )
    # 5
    assert (hq.payments_recorded_count, hq.unsynced_payment_count, hq.sync_alert_count) == (2, 1, 1)
    assert abs(hq.mean_sync_lag_hours - 24.0) < EXACT
    assert abs(hq.sync_alert_share - 0.5) < EXACT
    assert (hq.naive_high_risk_count, hq.misread_high_risk_count) == (0, 0)
    assert hq.finance_sync_status == "warn"
    assert hq.warn_check_count == 5


def test_rules_engine_on_the_hand_fixture(fixture_db):
    r = frame(
        fixture_db,
        """
        select opportunity_id, stage, rule_id, matched_rule_count, rule_probability,
            crm_probability, probability_difference, process_regime
        from marts.fct_opportunity_rule_probabilities
        order by opportunity_id
        """,
    )
    assert r[
        ["opportunity_id", "rule_id", "matched_rule_count", "process_regime"]
    ].values.tolist() == [
        ["A1", "quote_close_date_passed", 2, "structured"],
        ["A2", "contract_approval_legal_draft", 2, "structured"],
        ["A3", "lead_stalled", 2, "traditional"],
        ["A4", "negotiation_legal_draft", 2, "traditional"],
    ]
    for got, want in zip(r.rule_probability, [0.20, 0.85, 0.02, 0.65], strict=True):
        assert abs(got - want) < EXACT
    for got, want in zip(r.probability_difference, [-0.20, -0.05, -0.48, 0.15], strict=True):
        assert abs(got - want) < EXACT


def test_hygiene_opportunity_list(fixture_db):
    o = frame(
        fixture_db,
        "select * from marts.fct_forecast_hygiene_opportunities order by opportunity_id",
    )
    assert o.close_date_class.tolist() == ["valid_date", "empty", "non_date_text", "non_date_text"]
    assert o.is_default_probability.tolist() == [False, False, True, True]


# --------------------------------------------------------------------------- planted worlds


def _open_by_regime(w) -> pd.DataFrame:
    return w.query(
        """
        select
            coalesce(process_regime, 'overall') as regime,
            count(*) as open_count,
            avg(case when is_bad_close_date then 1.0 else 0.0 end) as bad_share,
            sum(case when close_date_class = 'empty' then 1 else 0 end) as empty_count,
            sum(case when is_bad_close_date then 1 else 0 end) as bad_count,
            avg(case when is_default_probability then 1.0 else 0.0 end) as flat_share,
            avg(forecast_over_doc) as over_doc_mean,
            stddev_samp(forecast_over_doc) as over_doc_sd,
            count(forecast_over_doc) as over_doc_n
        from marts.fct_forecast_hygiene_opportunities
        group by rollup (process_regime)
        """
    ).set_index("regime")


@pytest.mark.parametrize("world", WORLDS)
def test_planted_close_date_share_is_reproduced(planted_world, world):
    """truth.json's share is over opportunities open at the end date (as_of here), empty or not
    YYYY-MM-DD, split by the owner team's structured_since at creation — the mart's own
    definition, so it must agree up to the manifest's 4-decimal rounding."""
    w = planted_world(world)
    hygiene = w.truth["expected_close_hygiene"]
    m = _open_by_regime(w)
    assert m.loc["overall", "open_count"] == hygiene["open_opportunities"]
    for regime, share in hygiene["realised_open_bad_share"].items():
        assert abs(m.loc[regime, "bad_share"] - share) <= 0.00005 + 1e-12, regime
    # empty vs words: each bad date is empty with the planted probability (binomial, 3σ)
    p = hygiene["planted"]["empty_share_of_bad"]
    n = m.loc["overall", "bad_count"]
    assert abs(m.loc["overall", "empty_count"] / n - p) <= 3 * math.sqrt(p * (1 - p) / n)
    # the HQ row of the as_of month carries the same overall share
    hq = w.query(
        """
        select h.bad_close_date_share, h.close_date_status
        from marts.fct_forecast_hygiene as h
        inner join marts.dim_org_units as u on u.unit_id = h.unit_id
        where h.is_as_of_month and u.parent_id is null
        """
    ).iloc[0]
    assert abs(hq.bad_close_date_share - hygiene["realised_open_bad_share"]["overall"]) <= 0.00005
    assert hq.close_date_status == "warn"  # every world plants far more than 20% (field 41%)


@pytest.mark.parametrize("world", WORLDS)
def test_planted_probability_binding(planted_world, world):
    """Traditional units keep every open opportunity at the flat 50%, structured ones bind
    probability to stage: the shares are exact. Forecast over requirement doc: truth.json
    averages over all opportunities, the check over open ones only (the pipeline a forecast
    is made of), a random subset of the same planted draw — so the tolerance is 3 standard
    errors of the open subset's mean (plus the manifest's rounding)."""
    w = planted_world(world)
    binding = w.truth["probability_binding"]
    m = _open_by_regime(w)
    for regime, share in binding["realised_open_share_at_flat"].items():
        assert abs(m.loc[regime, "flat_share"] - share) <= 0.00005, regime
    realised = binding["realised_mean_forecast_over_requirement_doc"]
    trad = m.loc["traditional"]
    se = trad.over_doc_sd / math.sqrt(trad.over_doc_n)
    assert abs(trad.over_doc_mean - realised["traditional"]) <= 3 * se + 0.0001
    low, high = binding["forecast_inflation_range_traditional"]
    assert low < trad.over_doc_mean < high
    assert abs(m.loc["structured", "over_doc_mean"]) < 0.01  # structured: noise around 0


@pytest.mark.parametrize("world", WORLDS)
def test_planted_new_rep_bias_sign_and_size(planted_world, world):
    """truth.json forecast.realised_mean_bias averages (F − A) ÷ A over every submission (one
    per lock point) of rep-months with bookings > 0. The mart's per-month means weighted by
    their counts give the same mean over all complete months. Tolerance 0.02: the simulator
    draws tenure in 30.44-day months, the mart counts calendar months (SPEC "< 6 months"),
    which moves a handful of rep-months at the boundary (4 of ~600 in the alt world)."""
    w = planted_world(world)
    truth = w.truth["forecast"]["realised_mean_bias"]
    m = w.query(
        """
        select
            sum(h.new_rep_bias * h.new_rep_forecast_count) / sum(h.new_rep_forecast_count) as new,
            sum(h.tenured_bias * h.tenured_forecast_count) / sum(h.tenured_forecast_count) as tenured
        from marts.fct_forecast_hygiene as h
        inner join marts.dim_org_units as u on u.unit_id = h.unit_id
        where u.parent_id is null and h.is_month_complete
        """
    ).iloc[0]
    assert abs(m.new - truth["new"]) <= 0.02
    assert abs(m.tenured - truth["tenured"]) <= 0.02
    assert (m.new > m.tenured) == (truth["new"] > truth["tenured"])
    assert abs((m.new - m.tenured) - (truth["new"] - truth["tenured"])) <= 0.03


@pytest.mark.parametrize("world", WORLDS)
def test_planted_sync_lag_check_agrees_with_the_payments(planted_world, world):
    """Check 5 at HQ: the monthly payment counts add up to every payment; the as_of month's
    misread count is the reconciliation mart's; the lag of the months' payments lies in the
    planted range."""
    w = planted_world(world)
    hq = w.query(
        """
        select h.*
        from marts.fct_forecast_hygiene as h
        inner join marts.dim_org_units as u on u.unit_id = h.unit_id
        where u.parent_id is null
        """
    )
    total = w.query("select count(*) as n from marts.fct_finance_payments").n[0]
    assert hq.payments_recorded_count.sum() == total
    misread = w.query(
        "select count(*) as n from marts.fct_finance_contracts_reconciled where is_misread_high_risk"
    ).n[0]
    assert hq.loc[hq.is_as_of_month, "misread_high_risk_count"].iloc[0] == misread
    planted = w.truth["finance_sync"]["planted"]
    lags = hq.mean_sync_lag_hours.dropna()
    assert lags.between(planted["lag_hours_min"], planted["lag_hours_max"]).all()


OPEN_STAGES = ("lead", "qualified", "quote", "negotiation", "contract_approval")
LEGAL_DRAFT_STAGES = ("negotiation", "contract_approval")
OVERRIDING_KINDS = ("stalled", "close_date_passed")
FIELD_MIN_LEGAL_DRAFT_RULES = 5


def _legal_drafts_by(w, as_of) -> set[str]:
    """Opportunities with a legal draft recorded on or before as_of, read from the landing."""
    parts = sorted((w.landing / "crm").glob("qualification_events*.csv"))
    assert parts, "the world has qualification events"
    events = pd.concat([pd.read_csv(p, dtype=str) for p in parts])
    recorded = pd.to_datetime(events.recorded_at, format="ISO8601").dt.date
    legal = events[(events.kind == "legal_draft_uploaded") & (recorded <= as_of)]
    return set(legal.opportunity_id)


@pytest.mark.parametrize("world", WORLDS)
def test_planted_rules_engine_orders_stages_and_reads_the_evidence(planted_world, world):
    """The engine on the planted pipeline, judged by properties of a stage-probability engine,
    not by agreement with the CRM's or the simulator's table:

    1. every open opportunity gets exactly one rule;
    2. within each kind of rule that fired (stage default, each evidence kind), the
       probability rises with the stage;
    3. the legal-draft rules fire on exactly the open negotiation / contract-approval deals
       with a legal draft in the landing by as_of (unless a stall or a slipped close date
       overrides them), and raise the probability over their stage default;
    4. traditional units leave every deal at a flat 50% that ignores stage, structured ones
       bind probability to stage, so the rules disagree more with the former: the mean
       |rule − CRM| of traditional deals is at least twice the structured one. Twice is a
       clear-separation criterion that assumes nothing about the CRM's stage table (measured:
       0.236 vs 0.069 = 3.4× default, 0.248 vs 0.067 = 3.7× alt, 0.243 vs 0.080 = 3.0× field).

    The checks of 3 are exact set relations; the count of legal-draft rules that fired only
    keeps them from passing on an empty set. Default and alt fire 20–26 (> 10 required). The
    field world is smaller where it matters: realistic conversion leaves 312 open deals, 83 of
    them in negotiation / contract approval and 14 of those with a draft on file, 5 of which a
    slipped close date overrides; so the field requires at least FIELD_MIN_LEGAL_DRAFT_RULES
    fires, enough that 3 is not vacuous (every fire is checked against the landing)."""
    w = planted_world(world)
    r = w.query("select * from marts.fct_opportunity_rule_probabilities")
    assert len(r) == w.truth["expected_close_hygiene"]["open_opportunities"]
    assert r.rule_id.notna().all() and (r.matched_rule_count >= 1).all()
    assert r.rule_probability.between(0, 1).all() and r.crm_probability.between(0, 1).all()
    # 2
    order = {stage: i for i, stage in enumerate(OPEN_STAGES)}
    kinds = r.assign(kind=r.rule_evidence_kind.fillna("default"), order=r.stage.map(order))
    for kind, rows in kinds.groupby("kind"):
        by_stage = rows.groupby("order").rule_probability.agg(["min", "max"]).sort_index()
        assert (by_stage["max"].iloc[:-1].values < by_stage["min"].iloc[1:].values).all(), kind
    # 3
    as_of = r.as_of.iloc[0].date()
    drafted = _legal_drafts_by(w, as_of)
    late_stage = r[r.stage.isin(LEGAL_DRAFT_STAGES)]
    legal = late_stage.rule_evidence_kind == "legal_draft_uploaded"
    if world == "field":
        assert legal.sum() >= FIELD_MIN_LEGAL_DRAFT_RULES
    else:
        assert legal.sum() > 10
    assert set(late_stage.loc[legal, "opportunity_id"]) <= drafted
    with_draft = late_stage[late_stage.opportunity_id.isin(drafted)]
    assert with_draft.rule_evidence_kind.isin(["legal_draft_uploaded", *OVERRIDING_KINDS]).all()
    defaults = r[r.rule_evidence_kind.isna()].groupby("stage").rule_probability.first()
    raised = late_stage[legal].rule_probability - late_stage[legal].stage.map(defaults)
    assert (raised > 0).all()
    # 4
    gap = r.groupby("process_regime").probability_difference.apply(lambda d: d.abs().mean())
    print(f"{world}: mean |rule − CRM| {gap.round(4).to_dict()}")
    assert gap["traditional"] >= 2 * gap["structured"]
