"""Everyday marts from any CRM, on a hand-made export with the gaps real exports have.

Org tree: hq 总部 → t1 (rep pa, hired 2025-01-01), t2 (rep pb, hire date unknown); pm is an
hq manager. No as_of var: the default as_of is the latest fact date of any kind.

Leads: L1 2026-01-05 (pa), L2 2026-01-20 (unassigned, no account, no source), L3 2026-02-03
(pb), L4 2026-02-10 (unassigned, never an opportunity → counts at hq only).

Opportunities (the latest extract; no extract history file, so the extract is dated by its
latest timestamp, F's close 2026-03-20):
    A L1 pa created 01-06, won, closed_at 02-15 10:00, 100 000; history lead 01-06,
      qualified 01-10, won 02-15.
    B L2 pa created 01-21, won, closed_at 03-05, amount and account unknown; history: only
      lead 01-21 → won per the extract, on 03-05.
    C L3 pb created 02-04, lost (no closed_at), 50 000; history lead, qualified, lost 02-25.
    D —  pb created unknown, open, amount and account unknown, expected close 尽快; one derived
      history row (lead on 03-20, derived_from extract:2026-03-20); first seen 03-20.
    E —  pa created 03-02, open, 80 000, expected close 2026-04-30; lead 03-02, quote 03-10.
    F —  pb created unknown, won, closed_at 03-20, 30 000; no history → won per the extract.
    G —  pa created 03-15, open, amount unknown, no expected close; lead 03-15.
Finance: contract K1 (A) signed 02-20; payment P1 received 2026-03-25 10:00.

Default as_of: the payment, 2026-03-25 (the old rule — latest created / stage entered —
gave 2026-03-15). A second build of the opportunities extract alone (no history, reps, org
tree, leads, finance) resolves 2026-03-20 (F's close, after the last creation 03-15) and
still fills the everyday marts on the implicit root.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

FULL_AS_OF = date(2026, 3, 25)
ALONE_AS_OF = date(2026, 3, 20)
EVERYDAY_MARTS = ("fct_conversion_cohorts", "fct_opportunity_cycle", "fct_data_completeness")
SELECTION = (
    *(f"+{mart}" for mart in EVERYDAY_MARTS),
    "+dim_opportunities",
    "+dim_reps",
    "dim_org_units",
)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "t1", "level": "team", "parent_id": "hq", "name": "一组"},
    {"unit_id": "t2", "level": "team", "parent_id": "hq", "name": "二组"},
]
REPS = [
    {"rep_id": "pa", "name": "张三", "team_id": "t1", "role": "rep", "hire_date": date(2025, 1, 1)},
    {"rep_id": "pb", "name": "李四", "team_id": "t2", "role": "rep", "hire_date": None},
    {"rep_id": "pm", "name": "王五", "team_id": "hq", "role": "hq", "hire_date": date(2024, 1, 1)},
]
LEADS = [
    {"lead_id": "L1", "customer_id": "c1", "source": "web", "created_at": ts("2026-01-05"), "assigned_rep_id": "pa"},
    {"lead_id": "L2", "customer_id": None, "source": None, "created_at": ts("2026-01-20"), "assigned_rep_id": None},
    {"lead_id": "L3", "customer_id": "c3", "source": "expo", "created_at": ts("2026-02-03"), "assigned_rep_id": "pb"},
    {"lead_id": "L4", "customer_id": None, "source": "web", "created_at": ts("2026-02-10"), "assigned_rep_id": None},
]
# (id, lead, owner, customer, created, status, closed_at, amount, expected close as typed)
_OPPORTUNITIES = (
    ("A", "L1", "pa", "c1", "2026-01-06", "won", "2026-02-15 10:00", 100_000, "2026-02-15"),
    ("B", "L2", "pa", None, "2026-01-21", "won", "2026-03-05", None, None),
    ("C", "L3", "pb", "c3", "2026-02-04", "lost", None, 50_000, None),
    ("D", None, "pb", None, None, "open", None, None, "尽快"),
    ("E", None, "pa", "c5", "2026-03-02", "open", None, 80_000, "2026-04-30"),
    ("F", None, "pb", "c6", None, "won", "2026-03-20", 30_000, None),
    ("G", None, "pa", "c7", "2026-03-15", "open", None, None, None),
)
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": lead,
        "customer_id": customer,
        "owner_rep_id": owner,
        "product_line": "pumps" if opp != "D" else None,
        "created_at": ts(created) if created else None,
        "stage": "won" if status == "won" else ("lost" if status == "lost" else "lead"),
        "status": status,
        "amount": amount,
        "expected_close_date": close_text,
        "closed_at": ts(closed) if closed else None,
    }
    for opp, lead, owner, customer, created, status, closed, amount, close_text in _OPPORTUNITIES
]
_HISTORY = {
    "A": [("lead", "2026-01-06"), ("qualified", "2026-01-10"), ("won", "2026-02-15")],
    "B": [("lead", "2026-01-21")],
    "C": [("lead", "2026-02-04"), ("qualified", "2026-02-10"), ("lost", "2026-02-25")],
    "E": [("lead", "2026-03-02"), ("quote", "2026-03-10")],
    "G": [("lead", "2026-03-15")],
}
STAGE_HISTORY = [
    {"opportunity_id": opp, "stage": stage, "entered_at": ts(at), "changed_by": None}
    for opp, entries in _HISTORY.items()
    for stage, at in entries
] + [
    {
        "opportunity_id": "D",
        "stage": "lead",
        "entered_at": ts("2026-03-20 00:00"),
        "changed_by": None,
        "derived_from": "extract:2026-03-20",
    }
]
CONTRACTS = [
    {"contract_id": "K1", "opportunity_id": "A", "signed_at": ts("2026-02-20"), "amount": 100_000}
]
PAYMENTS = [
    {
        "payment_id": "P1",
        "contract_id": "K1",
        "amount": 100_000,
        "received_at": ts("2026-03-25 10:00"),
        "recorded_in_finance_at": ts("2026-03-25 11:00"),
    }
]
ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "leads": LEADS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "contracts": CONTRACTS,
    "payments": PAYMENTS,
}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory, warehouse_builder) -> dict[str, Path]:
    # no as_of var: the default (latest fact date) is under test too
    args = ("build", "--select", *SELECTION, "--indirect-selection", "cautious")
    return {
        "full": warehouse_builder(tmp_path_factory.mktemp("everyday_full"), ROWS, *args),
        "alone": warehouse_builder(
            tmp_path_factory.mktemp("everyday_alone"),
            {"opportunities": OPPORTUNITIES},
            *args,
        ),
    }


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def approx(values: tuple) -> tuple:
    return tuple(v if v is None or isinstance(v, int | str | date) else pytest.approx(v) for v in values)


def test_default_as_of_is_the_latest_fact_of_any_kind(warehouses):
    # full: the payment received 03-25 is the latest fact (last creation 03-15, last stage
    # entry 03-20, last close 03-20); alone: F's close 03-20, after the last creation 03-15
    for name, expected in (("full", FULL_AS_OF), ("alone", ALONE_AS_OF)):
        db = warehouses[name]
        assert query(db, "select as_of from intermediate.int_as_of_resolved") == [(expected,)]
        for mart in (*EVERYDAY_MARTS, "dim_opportunities"):
            assert query(db, f"select distinct as_of from marts.{mart}") == [(expected,)], mart


def test_closed_deals_are_never_shown_as_open(warehouses):
    got = {
        r[0]: r[1:]
        for r in query(
            warehouses["full"],
            """
            select opportunity_id, latest_stage, status_as_of, status_source, latest_entered_at,
                   customer_id, amount, created_at
            from marts.dim_opportunities
            """,
        )
    }
    # every deal is there: D and F have no created date, B and D no account or amount
    assert set(got) == set("ABCDEFG")
    assert got["A"][:4] == ("won", "won", "stage_history", ts("2026-02-15"))
    # B's history holds only its lead entry; the extract says won, closed 03-05
    assert got["B"] == ("won", "won", "extract", ts("2026-03-05"), None, None, ts("2026-01-21"))
    # F has no history at all
    assert got["F"][:4] == ("won", "won", "extract", ts("2026-03-20"))
    assert got["C"][:3] == ("lost", "lost", "stage_history")
    assert got["D"] == ("lead", "open", "stage_history", ts("2026-03-20 00:00"), None, None, None)
    assert got["E"][:3] == ("quote", "open", "stage_history")
    # without any stage history, C's loss (no closed_at) dates from the extract's day, 03-20
    alone = dict(
        (r[0], r[1:])
        for r in query(
            warehouses["alone"],
            "select opportunity_id, status_as_of, status_source, latest_entered_at from marts.dim_opportunities",
        )
    )
    assert alone["A"] == ("won", "extract", ts("2026-02-15 10:00"))
    assert alone["C"] == ("lost", "extract", datetime(2026, 3, 20))
    assert alone["D"] == ("open", "none", None)


COHORT_COLUMNS = """
    unit_id, cohort, cohort_month, leads_count, converted_leads_count, won_leads_count,
    lead_to_opportunity_rate, lead_to_won_rate, opportunities_count, won_count, lost_count,
    open_count, opportunity_to_won_rate, opportunities_amount, opportunities_without_amount_count,
    won_amount, won_without_amount_count, opportunity_to_won_amount_rate
"""
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
# t1 January: L1 (pa) and L2 (unassigned; its deal B is pa's) both converted and won; A won
# 100 000, B won with no amount → amount rate 100 000 ÷ 100 000 over the known amounts.
T1_JAN = ("t1", "2026-01", JAN, 2, 2, 2, 1.0, 1.0, 2, 2, 0, 0, 1.0, 100_000, 1, 100_000, 1, 1.0)
# E (open, 80 000) and G (open, no amount); no lead created in March → lead rates empty
T1_MAR = ("t1", "2026-03", MAR, 0, 0, 0, None, None, 2, 0, 0, 2, 0.0, 80_000, 1, 0, 0, 0.0)
# L3 → C lost
T2_FEB = ("t2", "2026-02", FEB, 1, 1, 0, 1.0, 0.0, 1, 0, 1, 0, 0.0, 50_000, 0, 0, 0, 0.0)
# D (open, no amount) and F (won, 30 000), neither dated
T2_UNKNOWN = ("t2", "unknown", None, 0, 0, 0, None, None, 2, 1, 0, 1, 0.5, 30_000, 1, 30_000, 0, 1.0)
EXPECTED_COHORTS = [
    ("hq", *T1_JAN[1:]),
    # L3 and L4 (unassigned, never converted: at hq only) → 1 ÷ 2
    ("hq", "2026-02", FEB, 2, 1, 0, 0.5, 0.0, 1, 0, 1, 0, 0.0, 50_000, 0, 0, 0, 0.0),
    ("hq", *T1_MAR[1:]),
    ("hq", *T2_UNKNOWN[1:]),
    T1_JAN,
    T1_MAR,
    T2_FEB,
    T2_UNKNOWN,
]


def test_conversion_cohorts(warehouses):
    got = query(warehouses["full"], f"select {COHORT_COLUMNS} from marts.fct_conversion_cohorts")
    key = lambda r: (r[0], r[1])  # noqa: E731
    assert sorted(got, key=key) == sorted((approx(r) for r in EXPECTED_COHORTS), key=key)


def test_conversion_cohorts_from_the_opportunities_extract_alone(warehouses):
    got = query(
        warehouses["alone"],
        f"select {COHORT_COLUMNS} from marts.fct_conversion_cohorts order by cohort",
    )
    # no leads extract: the lead part is unknown, not zero; every deal on the implicit root
    assert got == [
        approx(("__all__", "2026-01", JAN, None, None, None, None, None, 2, 2, 0, 0, 1.0, 100_000, 1, 100_000, 1, 1.0)),
        approx(("__all__", "2026-02", FEB, None, None, None, None, None, 1, 0, 1, 0, 0.0, 50_000, 0, 0, 0, 0.0)),
        approx(("__all__", "2026-03", MAR, None, None, None, None, None, 2, 0, 0, 2, 0.0, 80_000, 1, 0, 0, 0.0)),
        approx(("__all__", "unknown", None, None, None, None, None, None, 2, 1, 0, 1, 0.5, 30_000, 1, 30_000, 0, 1.0)),
    ]


CYCLE_COLUMNS = """
    unit_id, period, closed_count, won_count, lost_count, closed_without_created_count,
    won_without_created_count, won_cycle_sample_count, median_days_to_won, p75_days_to_won,
    p90_days_to_won, closed_cycle_sample_count, median_days_to_close, p75_days_to_close,
    p90_days_to_close
"""


def test_opportunity_cycle(warehouses):
    got = query(warehouses["full"], f"select {CYCLE_COLUMNS} from marts.fct_opportunity_cycle")
    # A 01-06 → closed_at 02-15 = 40 days; B 01-21 → 03-05 (extract close) = 43 days; C
    # 02-04 → its history's lost entry 02-25 (no closed_at) = 21 days; F won 03-20 with no
    # created date: counted, not measured.
    expected = [
        ("t1", "2026-02", 1, 1, 0, 0, 0, 1, 40.0, 40.0, 40.0, 1, 40.0, 40.0, 40.0),
        ("t1", "2026-03", 1, 1, 0, 0, 0, 1, 43.0, 43.0, 43.0, 1, 43.0, 43.0, 43.0),
        ("t2", "2026-02", 1, 0, 1, 0, 0, 0, None, None, None, 1, 21.0, 21.0, 21.0),
        ("t2", "2026-03", 1, 1, 0, 1, 1, 0, None, None, None, 0, None, None, None),
        # closed [21, 40]: median 30.5, p75 21 + 0.75 × 19 = 35.25, p90 21 + 0.9 × 19 = 38.1
        ("hq", "2026-02", 2, 1, 1, 0, 0, 1, 40.0, 40.0, 40.0, 2, 30.5, 35.25, 38.1),
        ("hq", "2026-03", 2, 2, 0, 1, 1, 1, 43.0, 43.0, 43.0, 1, 43.0, 43.0, 43.0),
    ]
    key = lambda r: (r[0], r[1])  # noqa: E731
    assert sorted(got, key=key) == sorted((approx(r) for r in expected), key=key)


def test_opportunity_cycle_from_the_opportunities_extract_alone(warehouses):
    got = query(
        warehouses["alone"],
        f"select {CYCLE_COLUMNS} from marts.fct_opportunity_cycle order by period",
    )
    # C's loss has no closed_at and no history: it closes on the extract's day 03-20 (44 days)
    assert got == [
        approx(("__all__", "2026-02", 1, 1, 0, 0, 0, 1, 40.0, 40.0, 40.0, 1, 40.0, 40.0, 40.0)),
        approx(("__all__", "2026-03", 3, 2, 1, 1, 1, 1, 43.0, 43.0, 43.0, 2, 43.5, 43.75, 43.9)),
    ]


COMPLETENESS_COLUMNS = """
    scope_type, coalesce(rep_id, unit_id), scope_level, unit_id, rep_id, open_count,
    open_without_amount_count,
    open_without_customer_count, open_without_expected_close_count,
    open_expected_close_not_a_date_count, open_without_created_count, open_without_amount_share,
    open_without_customer_share, open_without_expected_close_share,
    open_expected_close_not_a_date_share, open_without_created_share, reps_count,
    reps_without_hire_date_count, reps_without_hire_date_share
"""


def test_data_completeness_per_unit_and_rep(warehouses):
    got = {
        (r[0], r[1]): r
        for r in query(
            warehouses["full"], f"select {COMPLETENESS_COLUMNS} from marts.fct_data_completeness"
        )
    }
    third = 1 / 3
    # open as of 03-25: E (t1, complete), G (t1: no amount, no expected close), D (t2: no
    # amount, no account, 尽快, no created date). B and F are won (per the extract), not open.
    expected = {
        ("unit", "hq"): ("unit", "hq", "hq", "hq", None, 3, 2, 1, 1, 1, 1, 2 / 3, third, third, third, third, 3, 1, third),
        ("unit", "t1"): ("unit", "t1", "team", "t1", None, 2, 1, 0, 1, 0, 0, 0.5, 0.0, 0.5, 0.0, 0.0, 1, 0, 0.0),
        ("unit", "t2"): ("unit", "t2", "team", "t2", None, 1, 1, 1, 0, 1, 1, 1.0, 1.0, 0.0, 1.0, 1.0, 1, 1, 1.0),
        ("rep", "pa"): ("rep", "pa", "rep", "t1", "pa", 2, 1, 0, 1, 0, 0, 0.5, 0.0, 0.5, 0.0, 0.0, 1, 0, 0.0),
        ("rep", "pb"): ("rep", "pb", "rep", "t2", "pb", 1, 1, 1, 0, 1, 1, 1.0, 1.0, 0.0, 1.0, 1.0, 1, 1, 1.0),
        ("rep", "pm"): ("rep", "pm", "rep", "hq", "pm", 0, 0, 0, 0, 0, 0, None, None, None, None, None, 1, 0, 0.0),
    }
    assert got == {key: approx(row) for key, row in expected.items()}


def test_data_completeness_from_the_opportunities_extract_alone(warehouses):
    got = query(
        warehouses["alone"],
        f"select {COMPLETENESS_COLUMNS} from marts.fct_data_completeness order by scope_type desc, coalesce(rep_id, unit_id)",
    )
    # no reps extract: the owners get rows of their own, with no team and no people counts
    assert got == [
        approx(("unit", "__all__", "hq", "__all__", None, 3, 2, 1, 1, 1, 1, 2 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 0, 0, None)),
        approx(("rep", "pa", "rep", None, "pa", 2, 1, 0, 1, 0, 0, 0.5, 0.0, 0.5, 0.0, 0.0, 0, 0, None)),
        approx(("rep", "pb", "rep", None, "pb", 1, 1, 1, 0, 1, 1, 1.0, 1.0, 0.0, 1.0, 1.0, 0, 0, None)),
    ]


def test_unknown_hire_date_counts_as_employed(warehouses):
    assert query(
        warehouses["full"], "select rep_id, is_active from marts.dim_reps order by rep_id"
    ) == [("pa", True), ("pb", True), ("pm", True)]


def test_source_availability_shows_the_derived_stage_history(warehouses):
    got = {
        r[0]: r[1:]
        for r in query(
            warehouses["full"],
            "select table_name, row_count, derived_rows, is_derived from marts.fct_source_availability",
        )
    }
    # 3 + 1 + 3 + 2 + 1 CRM history rows and D's derived one
    assert got["opportunity_stage_history"] == (11, 1, True)
    assert got["opportunities"] == (7, 0, False)
    assert all(row[1] == 0 and row[2] is False for name, row in got.items() if name != "opportunity_stage_history")


def test_everyday_marts_work_from_the_opportunities_extract_alone(warehouses):
    rows = query(
        warehouses["alone"],
        "select mart_name, is_available, missing_tables from marts.fct_mart_availability",
    )
    available = {name: (ok, missing) for name, ok, missing in rows}
    for mart in (*EVERYDAY_MARTS, "dim_opportunities", "dim_org_units"):
        assert available[mart] == (True, ""), mart
    # the funnel needs a stage history (and reps): not available, so not fabricated
    assert available["fct_funnel_stages"][0] is False
