"""Targets marts on a hand-made world small enough to check every number by eye.

Org tree: hq → r1 → c1 → t1 (structured since 2026-02-01, rep pa), t2 (rep pb). as_of 2026-03-31.

Targets (yuan)      2026-02                      2026-03
    hq / r1 / c1    1,000,000 each               1,000,000 / 900,000 / 800,000
    t1 / t2         600,000 / 400,000            (no team targets)
    pa / pb         500,000 / 300,000            400,000 / 300,000
Cascade 2026-02: 1.0 → 1.0 → team 1.0 → rep 0.8 (end to end 0.8, team step present).
Cascade 2026-03: 0.9 → 0.8889 → rep 0.875 (end to end 0.7, gap 300,000).

Bookings: pa 400,000 in Feb (K1) and 400,000 in Mar (K2 signed 03-31 23:00, still as_of);
pb 360,000 in Mar (K3); K4 signed 04-01 (after as_of) is ignored.

Forecasts for 2026-03: pa 300,000 on Mon 03-02 10:00 (25% off) then 400,000 on 03-16;
pb 360,000 on Mon 03-09 09:00 (20% off) then 300,000 on 03-16. Deviation events:
    pa week 03-02, at 03-02 10:00 — adjustment TA1 at exactly +72 h 00 s → in time;
    pa week 03-09, carried in, at 03-09 00:00 — c1's report at 03-12 00:00:01 = +72 h 01 s → late;
    pb week 03-09, at 03-09 09:00 — the same report is +63 h 00 m 01 s → in time.
Points: TA1 adopted 03-06 15:00 → pa +5. pb's only open opportunity O3 has had no stage update
since 02-10 (4 whole weeks at the week of 03-09) while pb's deviation is 20% → −3 dated
Sunday 03-15; pa's deviating weeks are not stale (O2 moved 03-10), so no penalty.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

AS_OF = "2026-03-31"
TARGET_MARTS = (
    "fct_target_cascade",
    "fct_target_cascade_gaps",
    "fct_attainment_rep_month",
    "fct_attainment_unit_month",
    "fct_target_deviation_unit_month",
    "fct_deviation_events",
    "fct_calibration_timeliness",
    "fct_behaviour_points_ledger",
)
EXACT = 1e-12  # ratios of whole yuan amounts: only float rounding may differ


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def d(text: str) -> date:
    return date.fromisoformat(text)


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "r1", "level": "region", "parent_id": "hq", "name": "华东大区"},
    {"unit_id": "c1", "level": "city", "parent_id": "r1", "name": "上海"},
    {
        "unit_id": "t1",
        "level": "team",
        "parent_id": "c1",
        "name": "上海一组",
        "structured_since": d("2026-02-01"),
    },
    {"unit_id": "t2", "level": "team", "parent_id": "c1", "name": "上海二组"},
]

REPS = [
    {"rep_id": "pa", "name": "张三", "team_id": "t1", "role": "rep", "hire_date": d("2025-01-01")},
    {"rep_id": "pb", "name": "李四", "team_id": "t2", "role": "rep", "hire_date": d("2025-01-01")},
]


def _target(period: str, unit: str, level: str, amount: int) -> dict:
    rep = level == "rep"
    return {
        "period": period,
        "unit_id": unit,
        "level": level,
        "kind": "committed" if rep else "assigned",
        "amount": amount,
        "signed_at": ts(f"{period}-01 09:00") if rep else None,
    }


TARGETS = [
    _target("2026-02", "hq", "hq", 1_000_000),
    _target("2026-02", "r1", "region", 1_000_000),
    _target("2026-02", "c1", "city", 1_000_000),
    _target("2026-02", "t1", "team", 600_000),
    _target("2026-02", "t2", "team", 400_000),
    _target("2026-02", "pa", "rep", 500_000),
    _target("2026-02", "pb", "rep", 300_000),
    _target("2026-03", "hq", "hq", 1_000_000),
    _target("2026-03", "r1", "region", 900_000),
    _target("2026-03", "c1", "city", 800_000),
    _target("2026-03", "pa", "rep", 400_000),
    _target("2026-03", "pb", "rep", 300_000),
]

# (opportunity, owner, created, status, [(stage, entered_at)])
_OPPORTUNITIES = (
    (
        "O1",
        "pa",
        "2026-01-05 09:00",
        "won",
        [("lead", "2026-01-05 09:00"), ("won", "2026-02-10 09:00")],
    ),
    (
        "O2",
        "pa",
        "2026-02-20 09:00",
        "won",
        [
            ("lead", "2026-02-20 09:00"),
            ("qualified", "2026-03-10 09:00"),
            ("won", "2026-03-31 22:00"),
        ],
    ),
    ("O3", "pb", "2026-02-10 09:00", "open", [("lead", "2026-02-10 09:00")]),
    (
        "O4",
        "pb",
        "2026-01-20 09:00",
        "won",
        [("lead", "2026-01-20 09:00"), ("won", "2026-03-15 09:00")],
    ),
    (
        "O5",
        "pa",
        "2026-03-20 09:00",
        "won",
        [("lead", "2026-03-20 09:00"), ("won", "2026-04-01 09:00")],
    ),
)
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": f"cust_{opp}",
        "owner_rep_id": rep,
        "product_line": "pumps",
        "created_at": ts(created),
        "stage": history[-1][0],
        "status": status,
        "amount": 100_000,
        "expected_close_date": "2026-03-31",
    }
    for opp, rep, created, status, history in _OPPORTUNITIES
]
STAGE_HISTORY = [
    {"opportunity_id": opp, "stage": stage, "entered_at": ts(at), "changed_by": "crm"}
    for opp, _, _, _, history in _OPPORTUNITIES
    for stage, at in history
]

CONTRACTS = [
    {
        "contract_id": "K1",
        "opportunity_id": "O1",
        "signed_at": ts("2026-02-10 10:00"),
        "amount": 400_000,
    },
    {
        "contract_id": "K2",
        "opportunity_id": "O2",
        "signed_at": ts("2026-03-31 23:00"),
        "amount": 400_000,
    },
    {
        "contract_id": "K3",
        "opportunity_id": "O4",
        "signed_at": ts("2026-03-15 10:00"),
        "amount": 360_000,
    },
    {
        "contract_id": "K4",
        "opportunity_id": "O5",
        "signed_at": ts("2026-04-01 10:00"),
        "amount": 999_000,
    },
]

FORECASTS = [
    {
        "rep_id": "pa",
        "period": "2026-03",
        "submitted_at": ts("2026-03-02 10:00"),
        "amount": 300_000,
    },
    {
        "rep_id": "pa",
        "period": "2026-03",
        "submitted_at": ts("2026-03-16 10:00"),
        "amount": 400_000,
    },
    {
        "rep_id": "pb",
        "period": "2026-03",
        "submitted_at": ts("2026-03-09 09:00"),
        "amount": 360_000,
    },
    {
        "rep_id": "pb",
        "period": "2026-03",
        "submitted_at": ts("2026-03-16 10:00"),
        "amount": 300_000,
    },
]

ADJUSTMENTS = [
    {
        "request_id": "TA1",
        "rep_id": "pa",
        "period": "2026-03",
        "requested_at": ts("2026-03-05 10:00:00"),
        "old_amount": 400_000,
        "new_amount": 320_000,
        "status": "adopted",
        "decided_at": ts("2026-03-06 15:00"),
    },
    {
        "request_id": "TA2",
        "rep_id": "pb",
        "period": "2026-03",
        "requested_at": ts("2026-03-20 10:00"),
        "old_amount": 300_000,
        "new_amount": 280_000,
        "status": "rejected",
        "decided_at": ts("2026-03-21 10:00"),
    },
]

REPORTS = [
    {
        "report_id": "R1",
        "unit_id": "c1",
        "week": d("2026-03-09"),
        "submitted_at": ts("2026-03-12 00:00:01"),
        "reason_type": "A",
        "reason_text": "客户决策链变化",
    }
]

ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "targets": TARGETS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "contracts": CONTRACTS,
    "forecast_submissions": FORECASTS,
    "target_adjustments": ADJUSTMENTS,
    "deviation_reports": REPORTS,
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, warehouse_builder):
    root = tmp_path_factory.mktemp("targets_home")
    # dim_org_units: the cascade marts' relationship tests point at it
    selection = [f"+{mart}" for mart in TARGET_MARTS] + ["dim_org_units"]
    path = warehouse_builder(
        root,
        ROWS,
        "build",
        "--select",
        *selection,
        # only tests whose every parent is built (not other marts' tests on dim_org_units)
        "--indirect-selection",
        "cautious",
        "--vars",
        f'{{"as_of": "{AS_OF}"}}',
    )
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_every_target_mart_is_available(warehouse):
    available = dict(
        warehouse.execute(
            "select mart_name, is_available from marts.fct_mart_availability"
        ).fetchall()
    )
    assert {mart: available.get(mart) for mart in TARGET_MARTS} == dict.fromkeys(TARGET_MARTS, True)


def test_cascade_steps_and_end_to_end_rate(warehouse):
    got = {
        (r["period"], r["unit_id"]): r
        for r in rows(warehouse, "select * from marts.fct_target_cascade")
    }
    assert set(got) == {("2026-02", unit) for unit in ("hq", "r1", "c1", "t1", "t2")} | {
        ("2026-03", unit) for unit in ("hq", "r1", "c1")
    }
    march = got[("2026-03", "hq")]
    assert march["region_over_hq"] == pytest.approx(0.9, abs=EXACT)
    assert march["city_over_region"] == pytest.approx(800 / 900, abs=EXACT)
    assert march["rep_over_city"] == pytest.approx(0.875, abs=EXACT)
    assert march["team_over_city"] is None and march["rep_over_team"] is None
    assert march["end_to_end_rate"] == pytest.approx(0.7, abs=EXACT)
    assert march["uncascaded_gap_yuan"] == 300_000
    assert march["has_team_step"] is False
    assert got[("2026-03", "r1")]["end_to_end_rate"] == pytest.approx(700 / 900, abs=EXACT)
    assert got[("2026-03", "c1")]["end_to_end_rate"] == pytest.approx(0.875, abs=EXACT)
    february = got[("2026-02", "hq")]
    assert february["has_team_step"] is True
    assert february["team_over_city"] == pytest.approx(1.0, abs=EXACT)
    assert february["rep_over_team"] == pytest.approx(0.8, abs=EXACT)
    assert february["rep_over_city"] == pytest.approx(0.8, abs=EXACT)
    assert february["end_to_end_rate"] == pytest.approx(0.8, abs=EXACT)
    assert got[("2026-02", "t1")]["rep_over_team"] == pytest.approx(500 / 600, abs=EXACT)
    assert got[("2026-02", "t2")]["end_to_end_rate"] == pytest.approx(0.75, abs=EXACT)


def test_uncascaded_gap_per_unit(warehouse):
    got = {
        (r["period"], r["unit_id"]): (r["child_level"], r["child_count"], r["uncascaded_gap_yuan"])
        for r in rows(warehouse, "select * from marts.fct_target_cascade_gaps")
    }
    assert got == {
        ("2026-02", "hq"): ("region", 1, 0),
        ("2026-02", "r1"): ("city", 1, 0),
        ("2026-02", "c1"): ("team", 2, 0),
        ("2026-02", "t1"): ("rep", 1, 100_000),
        ("2026-02", "t2"): ("rep", 1, 100_000),
        ("2026-03", "hq"): ("region", 1, 100_000),
        ("2026-03", "r1"): ("city", 1, 100_000),
        ("2026-03", "c1"): ("rep", 2, 100_000),
    }


def test_rep_attainment_and_deviation(warehouse):
    got = {
        (r["period"], r["rep_id"]): (
            r["bookings"],
            round(r["attainment"], 12),
            round(r["target_deviation_rate"], 12),
            r["process_regime"],
        )
        for r in rows(warehouse, "select * from marts.fct_attainment_rep_month")
    }
    assert got == {
        ("2026-02", "pa"): (400_000, 0.8, 0.2, "structured"),
        ("2026-02", "pb"): (0, 0.0, 1.0, "traditional"),
        ("2026-03", "pa"): (400_000, 1.0, 0.0, "structured"),
        ("2026-03", "pb"): (360_000, 1.2, 0.2, "traditional"),
    }


def test_unit_attainment_and_team_average_deviation(warehouse):
    unit = {
        (r["period"], r["unit_id"]): (r["bookings"], round(r["attainment"], 12))
        for r in rows(warehouse, "select * from marts.fct_attainment_unit_month")
    }
    assert unit[("2026-03", "hq")] == (760_000, 0.76)
    assert unit[("2026-03", "c1")] == (760_000, 0.95)
    assert unit[("2026-02", "t1")] == (400_000, round(400 / 600, 12))
    assert unit[("2026-02", "t2")] == (0, 0.0)
    deviation = {
        (r["period"], r["unit_id"]): (r["rep_count"], round(r["avg_target_deviation_rate"], 12))
        for r in rows(warehouse, "select * from marts.fct_target_deviation_unit_month")
    }
    assert deviation[("2026-02", "c1")] == (2, 0.6)
    assert deviation[("2026-03", "c1")] == (2, 0.1)
    assert deviation[("2026-03", "t2")] == (1, 0.2)


def test_deviation_events_and_72_hour_window(warehouse):
    got = {
        (r["rep_id"], str(r["week_start"])): (
            r["event_at"],
            round(r["forecast_deviation_rate"], 12),
            r["first_response_kind"],
            r["is_calibrated_in_time"],
        )
        for r in rows(warehouse, "select * from marts.fct_deviation_events")
    }
    assert got == {
        # an adjustment request at exactly 72 h 00 s counts (inclusive)
        ("pa", "2026-03-02"): (ts("2026-03-02 10:00"), 0.25, "adjustment_request", True),
        # the deviation carried into the week: the clock starts Monday 00:00; 72 h + 1 s is late
        ("pa", "2026-03-09"): (ts("2026-03-09 00:00"), 0.25, None, False),
        ("pb", "2026-03-09"): (ts("2026-03-09 09:00"), 0.2, "deviation_report", True),
    }


def test_calibration_timeliness_rate(warehouse):
    got = {
        (r["unit_id"], r["time_grain"], str(r["period_start"])): (
            r["deviation_event_count"],
            r["calibrated_event_count"],
            r["pending_event_count"],
            round(r["calibration_timeliness_rate"], 12),
        )
        for r in rows(warehouse, "select * from marts.fct_calibration_timeliness")
    }
    assert got[("c1", "month", "2026-03-01")] == (3, 2, 0, round(2 / 3, 12))
    assert got[("c1", "week", "2026-03-02")] == (1, 1, 0, 1.0)
    assert got[("c1", "week", "2026-03-09")] == (2, 1, 0, 0.5)
    assert got[("t1", "month", "2026-03-01")] == (2, 1, 0, 0.5)
    assert got[("t2", "month", "2026-03-01")] == (1, 1, 0, 1.0)
    assert got[("hq", "month", "2026-03-01")] == got[("c1", "month", "2026-03-01")]


def test_behaviour_points_ledger(warehouse):
    got = rows(
        warehouse,
        "select ledger_entry_id, rep_id, points, event_on, balance_after, evidence"
        " from marts.fct_behaviour_points_ledger order by ledger_entry_id",
    )
    assert got == [
        {
            "ledger_entry_id": "P01|pa|TA1",
            "rep_id": "pa",
            "points": 5,
            "event_on": d("2026-03-06"),
            "balance_after": 5,
            "evidence": "request TA1 for 2026-03: 400000 -> 320000 (adopted)",
        },
        {
            "ledger_entry_id": "P02|pb|2026-03-09",
            "rep_id": "pb",
            "points": -3,
            "event_on": d("2026-03-15"),
            "balance_after": -3,
            "evidence": "week of 2026-03-09: 1 open opportunities, last stage update"
            " 2026-02-10 09:00:00 (4 weeks); forecast 360000 vs committed 300000 for 2026-03"
            " (20.0%)",
        },
    ]
