"""Funnel extras (issue 5, item 3): win rate by count and by amount, pipeline coverage, sales
velocity, and the stage-transition matrix.

Two kinds of checks:

* a hand fixture, small enough to check by eye, built once and asserted exactly;
* the planted worlds ("default", "alt", "field"): the win rate per process regime recovers
  what the simulator realised (truth/opportunity_signals.csv: each opportunity's regime,
  planted win probability and outcome); on the field world also its B2B funnel (win rate,
  lead → opportunity, lead → won; truth field_world.funnel).

Fixture (as_of 2026-03-31; history entries 09:00; amounts in yuan):

    hq ─┬─ t1 (structured since 2026-01-01): r1
        └─ t2 (traditional):                 r2

    A r1 created 2026-01-05 (structured), 100 000, close 2026-03-10: lead, qualified 01-10,
      quote 01-20, negotiation 02-01, contract_approval 02-10, won 03-05 (59 days).
      Contract 03-06 100 000.
    B r1 created 2025-12-15 (traditional), 50 000, close 待定: lead, qualified 12-20, lost 03-10.
    C r2 created 01-20, 300 000, close 03-31: lead, qualified 01-25, quote 02-05,
      negotiation 02-20, contract_approval 03-01, won 03-20 (59 days). Contract 03-25 300 000.
    D r2 created 02-01, 200 000, close 04-30: lead, qualified 02-05, lost 03-15.
    E r1 created 02-10, 80 000, close 03-28: lead, qualified 02-15, quote 03-01 (open).
    F r2 created 02-20, 40 000, close 尽快: lead (open).
    G r1 created 03-02, 60 000, close 04-15: lead, qualified 03-12 (open).
    H r2 created 01-10, 70 000, close 02-20: lead, qualified 01-15, won 02-20 (41 days).
      Contract 02-22 70 000.

    Targets 2026-03: hq assigned 1 000 000, t1 assigned 300 000, r1 committed 250 000.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import duckdb
import pytest

AS_OF = "2026-03-31"
WORLDS = ("default", "alt", "field")


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
    {"rep_id": "r1", "name": "张三", "team_id": "t1", "role": "rep", "hire_date": date(2025, 1, 1)},
    {"rep_id": "r2", "name": "李四", "team_id": "t2", "role": "rep", "hire_date": date(2025, 1, 1)},
]

# opportunity: owner, created, amount, expected close (as entered), stage history
DEALS = {
    "A": ("r1", "2026-01-05", 100000, "2026-03-10", [
        ("lead", "2026-01-05"), ("qualified", "2026-01-10"), ("quote", "2026-01-20"),
        ("negotiation", "2026-02-01"), ("contract_approval", "2026-02-10"), ("won", "2026-03-05"),
    ]),
    "B": ("r1", "2025-12-15", 50000, "待定", [
        ("lead", "2025-12-15"), ("qualified", "2025-12-20"), ("lost", "2026-03-10"),
    ]),
    "C": ("r2", "2026-01-20", 300000, "2026-03-31", [
        ("lead", "2026-01-20"), ("qualified", "2026-01-25"), ("quote", "2026-02-05"),
        ("negotiation", "2026-02-20"), ("contract_approval", "2026-03-01"), ("won", "2026-03-20"),
    ]),
    "D": ("r2", "2026-02-01", 200000, "2026-04-30", [
        ("lead", "2026-02-01"), ("qualified", "2026-02-05"), ("lost", "2026-03-15"),
    ]),
    "E": ("r1", "2026-02-10", 80000, "2026-03-28", [
        ("lead", "2026-02-10"), ("qualified", "2026-02-15"), ("quote", "2026-03-01"),
    ]),
    "F": ("r2", "2026-02-20", 40000, "尽快", [("lead", "2026-02-20")]),
    "G": ("r1", "2026-03-02", 60000, "2026-04-15", [
        ("lead", "2026-03-02"), ("qualified", "2026-03-12"),
    ]),
    "H": ("r2", "2026-01-10", 70000, "2026-02-20", [
        ("lead", "2026-01-10"), ("qualified", "2026-01-15"), ("won", "2026-02-20"),
    ]),
}  # fmt: skip


def _status(history: list[tuple[str, str]]) -> str:
    last = history[-1][0]
    return last if last in ("won", "lost") else "open"


ROWS: dict[str, list[dict]] = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "opportunities": [
        {
            "opportunity_id": opp,
            "lead_id": f"L{opp}",
            "customer_id": f"cust_{opp}",
            "owner_rep_id": owner,
            "product_line": "pumps",
            "created_at": ts(created),
            "stage": history[-1][0],
            "status": _status(history),
            "amount": amount,
            "expected_close_date": close,
        }
        for opp, (owner, created, amount, close, history) in DEALS.items()
    ],
    "opportunity_stage_history": [
        {"opportunity_id": opp, "stage": stage, "entered_at": ts(at), "changed_by": owner}
        for opp, (owner, _created, _amount, _close, history) in DEALS.items()
        for stage, at in history
    ],
    "contracts": [
        {"contract_id": "K_A", "opportunity_id": "A", "signed_at": ts("2026-03-06"), "amount": 100000},
        {"contract_id": "K_C", "opportunity_id": "C", "signed_at": ts("2026-03-25"), "amount": 300000},
        {"contract_id": "K_H", "opportunity_id": "H", "signed_at": ts("2026-02-22"), "amount": 70000},
    ],
    "targets": [
        {"period": "2026-03", "unit_id": "hq", "level": "hq", "kind": "assigned", "amount": 1000000},
        {"period": "2026-03", "unit_id": "t1", "level": "team", "kind": "assigned", "amount": 300000},
        {"period": "2026-03", "unit_id": "r1", "level": "rep", "kind": "committed", "amount": 250000},
    ],
}  # fmt: skip

# the pipeline marts, everything upstream of them and dim_org_units (their relationships
# tests), and only the pipeline marts' data tests: the upstream models' tests belong to
# other modules and would triple the build time
BUILD_ARGS = (
    "build",
    "--select",
    "+path:models/marts/pipeline,resource_type:model",
    "+path:models/marts/pipeline,resource_type:seed",
    "+dim_org_units,resource_type:model",
    "path:models/marts/pipeline,resource_type:test",
    "--indirect-selection=empty",
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, warehouse_builder):
    root = tmp_path_factory.mktemp("funnel_kpis")
    path = warehouse_builder(root, ROWS, *BUILD_ARGS, "--vars", f'{{"as_of": "{AS_OF}"}}')
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _one(con, sql: str, params: list | None = None) -> dict:
    frame = con.execute(sql, params or []).df()
    assert len(frame) == 1, f"expected one row, got {len(frame)}:\n{frame}"
    return frame.iloc[0].to_dict()


# ------------------------------------------------------------------------------ win rate


def test_win_rate_march_by_count_and_amount(warehouse):
    # won A 100 000 (structured) and C 300 000; lost B 50 000 and D 200 000 (traditional)
    row = _one(
        warehouse,
        "select * from marts.fct_win_rate_monthly where unit_id = 'hq' and period = '2026-03'",
    )
    assert (row["won_count"], row["lost_count"]) == (2, 2)
    assert float(row["won_amount"]) == 400000 and float(row["lost_amount"]) == 250000
    assert row["win_rate_count"] == pytest.approx(0.5, abs=1e-12)
    assert row["win_rate_amount"] == pytest.approx(400000 / 650000, abs=1e-12)
    assert row["traditional_win_rate_count"] == pytest.approx(1 / 3, abs=1e-12)
    assert row["traditional_win_rate_amount"] == pytest.approx(300000 / 550000, abs=1e-12)
    assert row["structured_win_rate_count"] == pytest.approx(1.0, abs=1e-12)
    assert row["structured_win_rate_amount"] == pytest.approx(1.0, abs=1e-12)
    assert bool(row["is_partial"]) is False


def test_win_rate_per_team_and_empty_month(warehouse):
    t1 = _one(
        warehouse,
        "select * from marts.fct_win_rate_monthly where unit_id = 't1' and period = '2026-03'",
    )
    assert t1["win_rate_count"] == pytest.approx(0.5, abs=1e-12)
    assert t1["win_rate_amount"] == pytest.approx(100000 / 150000, abs=1e-12)
    february = _one(
        warehouse,
        "select * from marts.fct_win_rate_monthly where unit_id = 'hq' and period = '2026-02'",
    )
    assert (february["won_count"], february["lost_count"]) == (1, 0)
    january = _one(
        warehouse,
        "select * from marts.fct_win_rate_monthly where unit_id = 'hq' and period = '2026-01'",
    )
    assert january["won_count"] + january["lost_count"] == 0
    assert (
        january["win_rate_count"] is None or january["win_rate_count"] != january["win_rate_count"]
    )


# ------------------------------------------------------------------------------ coverage


@pytest.mark.parametrize(
    ("scope_id", "point", "target", "booked", "pipeline", "quote_plus", "undated"),
    [
        # opening (02-28): A 100 000 + C 300 000 + E 80 000 dated March; A, C at quote or later;
        # B and F undated
        ("hq", "period_start", 1000000, 0, 480000, 400000, 2),
        ("t1", "period_start", 300000, 0, 180000, 100000, 1),
        ("r1", "period_start", 250000, 0, 180000, 100000, 1),
        # as_of: A (03-06) and C (03-25) booked; only E (quote) still open and dated March
        ("hq", "as_of", 1000000, 400000, 80000, 80000, 1),
        ("t1", "as_of", 300000, 100000, 80000, 80000, 0),
        ("r1", "as_of", 250000, 100000, 80000, 80000, 0),
    ],
)
def test_coverage(warehouse, scope_id, point, target, booked, pipeline, quote_plus, undated):
    row = _one(
        warehouse,
        "select * from marts.fct_pipeline_coverage "
        "where coalesce(rep_id, unit_id) = ? and period = '2026-03' and measurement_point = ?",
        [scope_id, point],
    )
    # a rep row names the rep and, as its unit, the rep's team
    assert (row["rep_id"], row["unit_id"]) == (
        (scope_id, "t1") if scope_id == "r1" else (None, scope_id)
    )
    assert row["unit_name"] == {"hq": "总部", "t1": "一组"}[row["unit_id"]]
    remaining = target - booked
    assert float(row["target_amount"]) == target
    assert float(row["bookings_to_date"]) == booked
    assert float(row["remaining_target"]) == remaining
    assert float(row["open_pipeline_amount"]) == pipeline
    assert float(row["quote_plus_pipeline_amount"]) == quote_plus
    assert row["undated_open_count"] == undated
    assert row["coverage"] == pytest.approx(pipeline / remaining, abs=1e-12)
    assert row["coverage_quote_plus"] == pytest.approx(quote_plus / remaining, abs=1e-12)


def test_coverage_is_empty_without_a_target(warehouse):
    row = _one(
        warehouse,
        "select * from marts.fct_pipeline_coverage "
        "where scope_type = 'unit' and unit_id = 't2' and period = '2026-03' "
        "and measurement_point = 'as_of'",
    )
    assert row["target_amount"] is None or row["target_amount"] != row["target_amount"]
    assert row["coverage"] is None or row["coverage"] != row["coverage"]


# ------------------------------------------------------------------------------ velocity


def test_sales_velocity_trailing_90_days(warehouse):
    # closes 2026-01-01 … 03-31: won A (59 d), C (59 d), H (41 d); lost B, D.
    # open at qualified or beyond on 03-31: E (quote), G (qualified); F is a lead.
    row = _one(
        warehouse,
        "select * from marts.fct_sales_velocity "
        "where unit_id = 'hq' and month_start = '2026-03-01' and trailing_days = 90",
    )
    assert row["open_qualified_count"] == 2
    assert (row["won_count"], row["lost_count"]) == (3, 2)
    assert row["avg_won_amount"] == pytest.approx(470000 / 3, abs=1e-9)
    assert row["win_rate_count"] == pytest.approx(0.6, abs=1e-12)
    assert row["avg_cycle_days"] == pytest.approx(53.0, abs=1e-12)
    assert row["sales_velocity"] == pytest.approx(2 * (470000 / 3) * 0.6 / 53, abs=1e-6)


# ------------------------------------------------------------------------------ transitions


def test_stage_transition_matrix_march(warehouse):
    frame = warehouse.execute(
        "select from_stage, to_stage, transition_kind, move_count, amount "
        "from marts.fct_stage_transitions "
        "where unit_id = 'hq' and window_grain = 'month' and window_start = '2026-03-01' "
        "order by from_stage, to_stage, transition_kind"
    ).df()
    got = {
        (r.from_stage, r.to_stage, r.transition_kind): (r.move_count, float(r.amount))
        for r in frame.itertuples()
    }
    assert got == {
        ("contract_approval", "won", "won"): (2, 400000.0),  # A, C
        ("qualified", "lost", "lost"): (2, 250000.0),  # B, D
        ("qualified", "quote", "advanced"): (1, 80000.0),  # E
        ("negotiation", "contract_approval", "advanced"): (1, 300000.0),  # C
        ("new", "lead", "created"): (1, 60000.0),  # G
        ("lead", "qualified", "advanced"): (1, 60000.0),  # G
        ("lead", "lead", "stayed"): (1, 40000.0),  # F, a lead all month
    }


# ------------------------------------------------------------------------------ planted worlds


# the field world's mature cohort: opportunities created at least this long before as_of.
# Its won cycles have a long tail (truth field_world.cycle_days_won: p90 ≈ 7 months, p99 ≈ 14),
# so by then almost every deal has an outcome (< 2% of the cohort still open).
MATURE_DAYS = 180


@pytest.mark.parametrize("world_name", WORLDS)
def test_win_rate_per_regime_recovers_the_planted_truth(planted_world, world_name):
    """The mart's win rate per regime is exactly the simulator's realised one, and near the
    planted win probabilities.

    Realised (every world, exact): the same closed deals, the same regime rule
    (structured_since ≤ created), so the mart must count exactly what the simulator wrote.

    Planted, default and alt: over all closed deals, |rate − mean planted p| ≤ 0.045 (binomial
    SE ≈ 0.007–0.012 plus a 1–3 pp lean: deals still open at the end are mostly slow wins),
    tight enough to catch a wrong regime split (the regimes differ by 5–10 pp).

    Planted, field: that whole-window comparison does not hold, for a reason the truth shows:
    its structured units adopted late (half their deals were created in the last 6 months) and
    its won cycles are long-tailed, so 15% of structured deals are still open at as_of and the
    closed ones lean lost by ≈ 5 pp (0.257 realised vs 0.312 mean p). A user reads a win rate
    of closed deals; what they need from a planted comparison is that the regime split is
    right. So the field compares the mature cohort (created ≥ MATURE_DAYS before as_of, < 2%
    still open), each regime within 3 binomial standard errors of its own deals' mean planted
    probability (SE = sqrt(Σp(1−p))/n from the truth: ≈ 0.021 structured, 0.006 traditional).
    The regime rates against the planted base rates (± 0.06) and the planted uplift (± 0.04)
    hold in every world."""
    world = planted_world(world_name)
    measured = world.query(
        "select sum(traditional_won_count) as traditional_won, "
        "sum(traditional_lost_count) as traditional_lost, "
        "sum(structured_won_count) as structured_won, "
        "sum(structured_lost_count) as structured_lost "
        "from marts.fct_win_rate_monthly "
        "where unit_level = 'hq'"
    ).iloc[0]
    truth = world.truth_csv("opportunity_signals")
    closed = truth[truth["status"].isin(["won", "lost"])]
    planted_base = world.truth["adoption"]["planted"]["win_rate"]
    rates = {}
    for regime in ("traditional", "structured"):
        won, lost = measured[f"{regime}_won"], measured[f"{regime}_lost"]
        rate = won / (won + lost)
        rates[regime] = rate
        group = closed[closed["group"] == regime]
        assert won + lost == len(group), regime
        assert rate == pytest.approx((group["status"] == "won").mean(), abs=1e-9), regime
        if world_name != "field":
            expected = group["win_probability"].mean()
            assert abs(rate - expected) <= 0.045, (regime, rate, expected)
        assert abs(rate - planted_base[regime]) <= 0.06, (regime, rate, planted_base[regime])
    # the planted uplift of the structured process shows, with the planted size ± 4 pp
    planted_gap = planted_base["structured"] - planted_base["traditional"]
    measured_gap = rates["structured"] - rates["traditional"]
    assert measured_gap > 0
    assert abs(measured_gap - planted_gap) <= 0.04, (measured_gap, planted_gap)
    if world_name == "field":
        _mature_cohort_recovers_the_planted_probability(world, truth)


def _mature_cohort_recovers_the_planted_probability(world, truth) -> None:
    deals = world.query(
        "select opportunity_id, status_as_of from marts.dim_opportunities "
        f"where created_at < as_of - interval {MATURE_DAYS} day"
    ).merge(truth, on="opportunity_id", validate="one_to_one")
    assert (deals["status_as_of"] == deals["status"]).all()
    still_open = (deals["status"] == "open").mean()
    assert still_open < 0.02, still_open
    mature = deals[deals["status"] != "open"]
    for regime, group in mature.groupby("group"):
        p = group["win_probability"]
        se = math.sqrt((p * (1 - p)).sum()) / len(p)
        rate = (group["status"] == "won").mean()
        print(
            f"field mature {regime}: n={len(p)} rate {rate:.4f} planted {p.mean():.4f} se {se:.4f}"
        )
        assert len(p) > 100, regime
        assert abs(rate - p.mean()) <= 3 * se, (regime, rate, p.mean(), se)


def test_field_funnel_converts_like_the_planted_b2b_business(planted_world):
    """The field world's realised funnel (truth field_world.funnel, the simulator's own counts
    over its clean tables) read from the marts.

    * Win rate over every deal closed in the window: fct_win_rate_monthly's HQ months from the
      window's start add up to the same closes, so it agrees up to the manifest's 4-decimal
      rounding.
    * Lead → opportunity and lead → won over leads created in the window up to 180 days before
      the end: the cohort mart groups leads by calendar month, so its cohort (months up to the
      last complete one before the cut-off) is the truth's minus the leads of the cut-off
      month's first days. Dropping k of n leads moves a rate by at most k / n, which is the
      bar; the mart's cohort must be the smaller one and differ by under 2% of the leads.
    * Both rates sit in the realistic B2B band the issue asks of this world (lead → won
      5–25%), far from the default world's 90%+ lead → qualified."""
    world = planted_world("field")
    funnel = world.truth["field_world"]["funnel"]
    start = world.truth["generator"]["start_date"]
    closes = world.query(
        "select sum(won_count) as won, sum(lost_count) as lost from marts.fct_win_rate_monthly "
        "where unit_level = 'hq' and month_start >= ?",
        [start],
    ).iloc[0]
    win_rate = closes.won / (closes.won + closes.lost)
    assert abs(win_rate - funnel["win_rate_closed_in_window"]) <= 0.00005 + 1e-12, win_rate

    end = date.fromisoformat(world.truth["generator"]["end_date"])
    cut_off = date.fromordinal(end.toordinal() + 1 - 180)  # leads created before this day
    cohorts = world.query(
        "select sum(leads_count) as leads, sum(converted_leads_count) as converted, "
        "sum(won_leads_count) as won from marts.fct_conversion_cohorts "
        "where unit_level = 'hq' and cohort_month >= ? and cohort_month < ?",
        [start, cut_off.replace(day=1)],
    ).iloc[0]
    missing = funnel["leads_in_cohort"] - cohorts.leads
    assert 0 <= missing < 0.02 * funnel["leads_in_cohort"], missing
    bound = missing / funnel["leads_in_cohort"] + 0.00005  # + the manifest's rounding
    to_opportunity = cohorts.converted / cohorts.leads
    to_won = cohorts.won / cohorts.leads
    assert abs(to_opportunity - funnel["lead_to_opportunity"]) <= bound, to_opportunity
    assert abs(to_won - funnel["lead_to_won"]) <= bound, to_won
    assert 0.05 <= to_won <= 0.25
