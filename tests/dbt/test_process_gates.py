"""Process gates (issue 5, items 4 and 5): the MOT gate, visit nodes, the 待激活 pool and the
manager reminders.

Two kinds of checks:

* a hand fixture, small enough to check by eye, built once and asserted exactly (MOT
  ordering to the second, a regression and re-entry, a deal that skips quote; visit
  completeness and order; the pool threshold at exactly 3 vs 4 days; the nearest manager);
* the planted worlds ("default", "alt", "field"): the marts recover the MOT compliance and
  visit completeness that ``simulator/truth.py`` realises per regime, and the planted
  visit-node outlier rep-weeks. The field world (vendor CRM export, reassigned deals, reps
  leaving mid-quarter, unbalanced natural variation) is held to the same bars: each is an
  equality of definitions on the same rows, and the stage history, qualification events and
  activities it reads arrive in the contract's shape. Measured there: MOT compliance and
  visit completeness within 0.00005 of the truth, MOT within 1 standard error of the planted
  share.

Fixture (as_of 2026-03-31; history entries 09:00 unless noted):

    hq ── r1 (region, manager m_r1) ─┬─ c1 (city, manager m_c1) ── t1 (structured since 2026-01-01): rep_a 张三
                                     └─ c2 (city, manager m_c2_old left 2026-01-01) ── t2: rep_b 李四

    O1 rep_a: qualified 03-02, quote 03-05 10:00:00. budget 03-03, decision_date 03-04,
       decision_maker_access 03-05 10:00:01 (one second after entry) → violation (late).
    O2 rep_a: quote 03-06, negotiation 03-10, quote 03-12 (re-entry), negotiation 03-15.
       budget 03-03, decision_date 03-04, decision_maker_access 03-08 → first entry late,
       re-entry compliant.
    O3 rep_b: quote 03-05 09:00:00. budget 03-03, decision_date 03-05 09:00:00 (the same
       second → late), decision_maker_access 04-02 (after as_of → missing).
    O4 rep_b: qualified → negotiation 03-06 (skips quote: never counted), lost 03-21.
    O5 rep_b: quote 03-03 made by the system user `crm` (→ the owner's entry), every
       fact 03-02 → compliant.

    Visits: V1 O1 03-20 all five nodes; V2 O1 03-27 four (no next_step_locked);
    V3 O2 03-28 three; V4 O3 03-10 all five, demo before pain diagnosis (out of order);
    V5 O3 03-25 appointment + next_step_locked; V6 O4 03-20 appointment only (O4 lost);
    V7 O5 03-31 four nodes, next_step_locked on 04-01 (after as_of).
"""

from __future__ import annotations

import json
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
    {"unit_id": "r1", "level": "region", "parent_id": "hq", "name": "华东大区"},
    {"unit_id": "c1", "level": "city", "parent_id": "r1", "name": "上海"},
    {"unit_id": "c2", "level": "city", "parent_id": "r1", "name": "杭州"},
    {
        "unit_id": "t1",
        "level": "team",
        "parent_id": "c1",
        "name": "上海一组",
        "structured_since": date(2026, 1, 1),
    },
    {"unit_id": "t2", "level": "team", "parent_id": "c2", "name": "杭州一组"},
]

REPS = [
    {"rep_id": rep, "name": name, "team_id": unit, "role": role, "hire_date": date(2020, 1, 1)}
    for rep, name, unit, role in (
        ("rep_a", "张三", "t1", "rep"),
        ("rep_b", "李四", "t2", "rep"),
        ("m_hq", "总经理", "hq", "hq"),
        ("m_r1", "区经理", "r1", "region_manager"),
        ("m_c1", "王经理", "c1", "city_manager"),
    )
] + [
    {
        "rep_id": "m_c2_old",
        "name": "前经理",
        "team_id": "c2",
        "role": "city_manager",
        "hire_date": date(2020, 1, 1),
        "termination_date": date(2026, 1, 1),
    }
]

CUSTOMERS = [
    {
        "customer_id": f"cu{i}",
        "name": name,
        "industry": "制造",
        "city_id": city,
        "size_band": "M",
        "created_at": ts("2025-01-01"),
    }
    for i, name, city in ((1, "甲公司", "c1"), (2, "乙公司", "c1"), (3, "丙公司", "c2"))
]

# (opportunity, lead, customer, owner, stage, status)
_OPPORTUNITIES = (
    ("O1", "L1", "cu1", "rep_a", "quote", "open"),
    ("O2", "L2", "cu2", "rep_a", "negotiation", "open"),
    ("O3", "L3", "cu3", "rep_b", "quote", "open"),
    ("O4", "L4", "cu3", "rep_b", "lost", "lost"),
    ("O5", "L5", "cu3", "rep_b", "quote", "open"),
)
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": lead,
        "customer_id": customer,
        "owner_rep_id": owner,
        "product_line": "pumps",
        "created_at": ts("2026-03-01 08:00"),
        "stage": stage,
        "status": status,
        "amount": 100000,
        "expected_close_date": "2026-06-30",
    }
    for opp, lead, customer, owner, stage, status in _OPPORTUNITIES
]

_HISTORY = {
    "O1": [("lead", "2026-03-01"), ("qualified", "2026-03-02"), ("quote", "2026-03-05 10:00:00")],
    "O2": [
        ("lead", "2026-03-01"),
        ("qualified", "2026-03-02"),
        ("quote", "2026-03-06"),
        ("negotiation", "2026-03-10"),
        ("quote", "2026-03-12"),
        ("negotiation", "2026-03-15"),
    ],
    "O3": [("lead", "2026-03-01"), ("qualified", "2026-03-02"), ("quote", "2026-03-05 09:00:00")],
    "O4": [
        ("lead", "2026-03-01"),
        ("qualified", "2026-03-02"),
        ("negotiation", "2026-03-06"),
        ("lost", "2026-03-21"),
    ],
    "O5": [("lead", "2026-03-01"), ("qualified", "2026-03-02"), ("quote", "2026-03-03")],
}
_OWNER = {opp: owner for opp, _, _, owner, _, _ in _OPPORTUNITIES}
STAGE_HISTORY = [
    {
        "opportunity_id": opp,
        "stage": stage,
        "entered_at": ts(at),
        "changed_by": "crm" if (opp, stage) == ("O5", "quote") else _OWNER[opp],
    }
    for opp, entries in _HISTORY.items()
    for stage, at in entries
]

QUALIFICATION_EVENTS = [
    {"opportunity_id": opp, "kind": kind, "recorded_at": ts(at)}
    for opp, kind, at in (
        ("O1", "budget_range", "2026-03-03"),
        ("O1", "decision_date", "2026-03-04"),
        ("O1", "decision_maker_access", "2026-03-05 10:00:01"),
        ("O2", "budget_range", "2026-03-03"),
        ("O2", "decision_date", "2026-03-04"),
        ("O2", "decision_maker_access", "2026-03-08"),
        ("O3", "budget_range", "2026-03-03"),
        ("O3", "decision_date", "2026-03-05 09:00:00"),
        ("O3", "decision_maker_access", "2026-04-02"),
        ("O5", "budget_range", "2026-03-02 08:00"),
        ("O5", "decision_date", "2026-03-02 08:30"),
        ("O5", "decision_maker_access", "2026-03-02 08:45"),
    )
]

NODES = (
    "appointment_confirmed",
    "pain_diagnosis_submitted",
    "demo_recording_uploaded",
    "objection_handled",
    "next_step_locked",
)


def _visit(visit: str, opp: str, rep: str, day: str, nodes: tuple[str, ...]) -> list[dict]:
    """One node an hour from 09:00, in the order given."""
    return [
        {
            "activity_id": f"{visit}_{i}",
            "rep_id": rep,
            "opportunity_id": opp,
            "visit_id": visit,
            "kind": "visit",
            "node": node,
            "occurred_at": ts(f"{day} {9 + i:02d}:00"),
        }
        for i, node in enumerate(nodes)
    ]


ACTIVITIES = [
    *_visit("V1", "O1", "rep_a", "2026-03-20", NODES),
    *_visit("V2", "O1", "rep_a", "2026-03-27", NODES[:4]),
    *_visit("V3", "O2", "rep_a", "2026-03-28", NODES[:3]),
    *_visit("V4", "O3", "rep_b", "2026-03-10", (NODES[0], NODES[2], NODES[1], *NODES[3:])),
    *_visit("V5", "O3", "rep_b", "2026-03-25", (NODES[0], NODES[4])),
    *_visit("V6", "O4", "rep_b", "2026-03-20", NODES[:1]),
    *_visit("V7", "O5", "rep_b", "2026-03-31", NODES[:4]),
    {
        "activity_id": "V7_late",
        "rep_id": "rep_b",
        "opportunity_id": "O5",
        "visit_id": "V7",
        "kind": "visit",
        "node": "next_step_locked",
        "occurred_at": ts("2026-04-01 09:00"),
    },
    {
        "activity_id": "call_1",
        "rep_id": "rep_a",
        "opportunity_id": "O1",
        "kind": "call",
        "occurred_at": ts("2026-03-29 10:00"),
    },
]

ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "customers": CUSTOMERS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "qualification_events": QUALIFICATION_EVENTS,
    "activities": ACTIVITIES,
}


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory, warehouse_builder):
    root = tmp_path_factory.mktemp("process_gates")
    # every model and seed upstream of the process marts (and dim_org_units, which a
    # relationships test reads), and the data tests of this area only (the staging tests
    # are other modules' business; unit tests run in test_dbt_unit_tests.py)
    mine = ("models/marts/process", "models/intermediate/process", "seeds/process")
    path = warehouse_builder(
        root,
        ROWS,
        "build",
        "--select",
        "+path:models/marts/process,resource_type:model",
        "+dim_org_units",
        "+path:models/marts/process,resource_type:seed",
        *(f"path:{folder},resource_type:test" for folder in mine),
        "--indirect-selection",
        "empty",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps({"as_of": AS_OF}),
    )

    def query(sql: str) -> list[tuple]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return query


# ------------------------------------------------------------------ MOT gate, hand fixture


def test_mot_entries_judge_each_entry_to_the_second(fixture_warehouse):
    rows = fixture_warehouse(
        """
        select opportunity_id, quote_entry_number, rep_id, team_id, process_regime,
               is_reentry, facts_on_time, is_compliant, missing_facts, late_facts,
               cast(week_start as varchar), cast(decision_maker_access_recorded_at as varchar)
        from marts.fct_mot_gate_entries
        order by opportunity_id, quote_entry_number
        """
    )
    assert rows == [
        # one second after entry is late
        ("O1", 1, "rep_a", "t1", "structured", False, 2, False, None, "decision_maker_access",
         "2026-03-02", "2026-03-05 10:00:01"),
        # regression and re-entry: each entry judged on its own
        ("O2", 1, "rep_a", "t1", "structured", False, 2, False, None, "decision_maker_access",
         "2026-03-02", "2026-03-08 09:00:00"),
        ("O2", 2, "rep_a", "t1", "structured", True, 3, True, None, None,
         "2026-03-09", "2026-03-08 09:00:00"),
        # same second is late; recorded after as_of is missing
        ("O3", 1, "rep_b", "t2", "traditional", False, 1, False, "decision_maker_access",
         "decision_date", "2026-03-02", None),
        # entry by the system user `crm` belongs to the owner; O4 skipped quote: no row
        ("O5", 1, "rep_b", "t2", "traditional", False, 3, True, None, None,
         "2026-03-02", "2026-03-02 08:45:00"),
    ]  # fmt: skip


def test_mot_violations_list_the_non_compliant_entries(fixture_warehouse):
    rows = fixture_warehouse(
        """
        select opportunity_id, quote_entry_number, facts_not_before_entry, missing_facts_zh,
               late_facts_zh, cast(entered_at as varchar)
        from marts.fct_mot_gate_violations
        order by opportunity_id, quote_entry_number
        """
    )
    assert rows == [
        ("O1", 1, 1, None, "可接触关键决策人", "2026-03-05 10:00:00"),
        ("O2", 1, 1, None, "可接触关键决策人", "2026-03-06 09:00:00"),
        ("O3", 1, 2, "可接触关键决策人", "决策时间", "2026-03-05 09:00:00"),
    ]


def test_mot_compliance_per_rep_team_and_unit_week(fixture_warehouse):
    reps = fixture_warehouse(
        """
        select rep_id, cast(week_start as varchar), quote_entries, compliant_entries,
               reentries, mot_compliance_rate
        from marts.fct_mot_compliance_rep_weekly order by 1, 2
        """
    )
    assert reps == [
        ("rep_a", "2026-03-02", 2, 0, 0, 0.0),
        ("rep_a", "2026-03-09", 1, 1, 1, 1.0),
        ("rep_b", "2026-03-02", 2, 1, 0, 0.5),
    ]
    teams = fixture_warehouse(
        """
        select unit_id, cast(week_start as varchar), quote_entries, mot_compliance_rate
        from marts.fct_mot_compliance_team_weekly order by 1, 2
        """
    )
    assert teams == [
        ("t1", "2026-03-02", 2, 0.0),
        ("t1", "2026-03-09", 1, 1.0),
        ("t2", "2026-03-02", 2, 0.5),
    ]
    units = fixture_warehouse(
        """
        select unit_id, cast(week_start as varchar), quote_entries, compliant_entries,
               mot_compliance_rate
        from marts.fct_mot_compliance_unit_weekly order by 1, 2
        """
    )
    # pooled up the tree: r1 and hq hold 4 entries, 1 compliant in week 03-02
    assert units == [
        ("c1", "2026-03-02", 2, 0, 0.0),
        ("c1", "2026-03-09", 1, 1, 1.0),
        ("c2", "2026-03-02", 2, 1, 0.5),
        ("hq", "2026-03-02", 4, 1, 0.25),
        ("hq", "2026-03-09", 1, 1, 1.0),
        ("r1", "2026-03-02", 4, 1, 0.25),
        ("r1", "2026-03-09", 1, 1, 1.0),
        ("t1", "2026-03-02", 2, 0, 0.0),
        ("t1", "2026-03-09", 1, 1, 1.0),
        ("t2", "2026-03-02", 2, 1, 0.5),
    ]


# ------------------------------------------------------------------ visits, hand fixture


def test_visit_completeness_per_visit(fixture_warehouse):
    rows = fixture_warehouse(
        """
        select visit_id, lead_id, rep_id, cast(week_start as varchar), nodes_recorded,
               node_completion_rate, is_complete, is_out_of_order, missing_nodes
        from marts.fct_visit_completeness order by visit_id
        """
    )
    assert rows == [
        ("V1", "L1", "rep_a", "2026-03-16", 5, 1.0, True, False, None),
        ("V2", "L1", "rep_a", "2026-03-23", 4, 0.8, False, False, "next_step_locked"),
        ("V3", "L2", "rep_a", "2026-03-23", 3, 0.6, False, False,
         "objection_handled, next_step_locked"),
        ("V4", "L3", "rep_b", "2026-03-09", 5, 1.0, True, True, None),
        ("V5", "L3", "rep_b", "2026-03-23", 2, 0.4, False, False,
         "pain_diagnosis_submitted, demo_recording_uploaded, objection_handled"),
        ("V6", "L4", "rep_b", "2026-03-16", 1, 0.2, False, False,
         "pain_diagnosis_submitted, demo_recording_uploaded, objection_handled, next_step_locked"),
        # its next_step_locked on 04-01 is after as_of
        ("V7", "L5", "rep_b", "2026-03-30", 4, 0.8, False, False, "next_step_locked"),
    ]  # fmt: skip


def test_visit_completeness_per_rep_and_team_week(fixture_warehouse):
    reps = fixture_warehouse(
        """
        select rep_id, cast(week_start as varchar), visits, complete_visits,
               out_of_order_visits, visit_completeness_rate, node_completion_rate
        from marts.fct_visit_completeness_rep_weekly order by 1, 2
        """
    )
    assert [r[:6] for r in reps] == [
        ("rep_a", "2026-03-16", 1, 1, 0, 1.0),
        ("rep_a", "2026-03-23", 2, 0, 0, 0.0),
        ("rep_b", "2026-03-09", 1, 1, 1, 1.0),
        ("rep_b", "2026-03-16", 1, 0, 0, 0.0),
        ("rep_b", "2026-03-23", 1, 0, 0, 0.0),
        ("rep_b", "2026-03-30", 1, 0, 0, 0.0),
    ]
    # nodes ÷ (5 × visits): rep_a 03-23 = (4 + 3) ÷ 10
    assert [r[6] for r in reps] == pytest.approx([1.0, 0.7, 1.0, 0.2, 0.4, 0.8], abs=1e-12)
    teams = fixture_warehouse(
        """
        select unit_id, cast(week_start as varchar), visits, node_completion_rate
        from marts.fct_visit_completeness_team_weekly order by 1, 2
        """
    )
    assert [(t, w, v) for t, w, v, _ in teams] == [
        ("t1", "2026-03-16", 1),
        ("t1", "2026-03-23", 2),
        ("t2", "2026-03-09", 1),
        ("t2", "2026-03-16", 1),
        ("t2", "2026-03-23", 1),
        ("t2", "2026-03-30", 1),
    ]


def test_reactivation_pool_takes_more_than_three_days_only(fixture_warehouse):
    rows = fixture_warehouse(
        """
        select lead_id, latest_visit_id, owner_rep_id, team_id, customer_name,
               days_incomplete, missing_nodes, incomplete_days_threshold
        from marts.fct_reactivation_pool order by lead_id
        """
    )
    # L1: V2 started 03-27, 4 days → in. L2: V3 started 03-28, exactly 3 days → not.
    # L3: V5 6 days → in (its earlier complete V4 does not matter). L4: lost → not.
    # L5: V7 started on as_of → 0 days → not.
    assert rows == [
        ("L1", "V2", "rep_a", "t1", "甲公司", 4, "next_step_locked", 3),
        ("L3", "V5", "rep_b", "t2", "丙公司", 6,
         "pain_diagnosis_submitted, demo_recording_uploaded, objection_handled", 3),
    ]  # fmt: skip


def test_reminders_go_to_the_nearest_active_manager(fixture_warehouse):
    rows = fixture_warehouse(
        """
        select manager_rep_id, lead_id, manager_role, manager_unit_id,
               reminder_text_zh, reminder_text_en
        from marts.fct_reactivation_reminders order by lead_id
        """
    )
    assert rows == [
        # t1's city manager, not the region manager above
        (
            "m_c1",
            "L1",
            "city_manager",
            "c1",
            "【待激活提醒】张三（上海一组）的线索 L1（客户：甲公司）最近一次拜访 V2 已 4 天未完成，"
            "缺少节点：下一步计划锁定。请督促跟进。",
            "[To reactivate] Lead L1 (甲公司) of 张三 (上海一组): latest visit V2 has been "
            "incomplete for 4 days; missing: next step locked. Please follow up.",
        ),
        # c2's city manager left on 2026-01-01: the region manager is the nearest one
        (
            "m_r1",
            "L3",
            "region_manager",
            "r1",
            "【待激活提醒】李四（杭州一组）的线索 L3（客户：丙公司）最近一次拜访 V5 已 6 天未完成，"
            "缺少节点：痛点诊断问卷提交、方案演示录屏上传、异议处理记录。请督促跟进。",
            "[To reactivate] Lead L3 (丙公司) of 李四 (杭州一组): latest visit V5 has been "
            "incomplete for 6 days; missing: pain-diagnosis questionnaire submitted, demo "
            "recording uploaded, objection handling recorded. Please follow up.",
        ),
    ]


# ------------------------------------------------------------------ planted worlds


def _rates(world, sql: str) -> dict[str, tuple[float, int]]:
    frame = world.query(sql)
    return {row.regime: (float(row.rate), int(row.n)) for row in frame.itertuples()}


@pytest.mark.parametrize("name", WORLDS)
def test_mot_compliance_recovers_the_realised_truth(planted_world, name):
    """truth.py's ``mot_compliance``: per opportunity, its first quote entry (by entered_at);
    compliant when all three facts are recorded at or before it; grouped by the opportunity's
    regime. The mart judges every entry (re-entries too, SPEC) and strictly before; the
    first-entry rows are truth's population. The two orderings differ only on a fact recorded
    in the very second of the entry, which the simulator never writes (on-time facts fall at
    least 5% of the qualified dwell before the entry, late ones 0.5–10 days after it), so the
    numbers must agree up to truth.json's 4-decimal rounding (±0.00005; 1e-4 allowed)."""
    world = planted_world(name)
    realised = world.truth["adoption"]["realised"]
    planted = world.truth["adoption"]["planted"]["mot_compliance"]
    first = _rates(
        world,
        """
        select process_regime as regime, count(*) as n,
               avg(case when is_compliant then 1.0 else 0.0 end) as rate
        from marts.fct_mot_gate_entries
        where quote_entry_number = 1
        group by process_regime
        """,
    )
    for regime in ("traditional", "structured"):
        rate, n = first[regime]
        assert rate == pytest.approx(realised[regime]["mot_compliance"], abs=1e-4), regime
        # realised ~ Binomial(n, planted) / n: within 4 standard errors of the planted share
        se = math.sqrt(planted[regime] * (1 - planted[regime]) / n)
        assert abs(rate - planted[regime]) <= 4 * se, (regime, rate, planted[regime], n)
    assert first["structured"][0] > first["traditional"][0] + 0.2

    # the violations list is exactly the non-compliant entries, re-entries included
    counts = world.query(
        """
        select
            (select count(*) from marts.fct_mot_gate_entries where not is_compliant) as bad,
            (select count(*) from marts.fct_mot_gate_violations) as listed,
            (select count(*) from marts.fct_mot_gate_entries where is_reentry) as reentries,
            (select sum(quote_entries) from marts.fct_mot_compliance_rep_weekly) as rep_sum,
            (select sum(quote_entries) from marts.fct_mot_compliance_unit_weekly
             where unit_level = 'hq') as hq_sum,
            (select count(*) from marts.fct_mot_gate_entries) as entries
        """
    ).iloc[0]
    assert counts["bad"] == counts["listed"] > 0
    assert counts["reentries"] > 0  # the simulator plants negotiation → quote regressions
    assert counts["rep_sum"] == counts["hq_sum"] == counts["entries"]


@pytest.mark.parametrize("name", WORLDS)
def test_visit_completeness_recovers_the_realised_truth(planted_world, name):
    """truth.py's ``visit_completeness``: share of visits with 5 node rows, grouped by the
    regime of the visit's opportunity — the mart's ``opportunity_process_regime`` (the
    simulator writes each node once, so rows = distinct nodes). Same definition, so equal up
    to truth.json's rounding. Each rep's completion probability is drawn from the planted
    ``visit_complete_share_range`` of the regime, so the pooled share lies inside it."""
    world = planted_world(name)
    realised = world.truth["adoption"]["realised"]
    ranges = world.truth["adoption"]["planted"]["visit_complete_share_range"]
    got = _rates(
        world,
        """
        select opportunity_process_regime as regime, count(*) as n,
               avg(case when is_complete then 1.0 else 0.0 end) as rate
        from marts.fct_visit_completeness
        where opportunity_process_regime is not null
        group by opportunity_process_regime
        """,
    )
    for regime in ("traditional", "structured"):
        rate, _ = got[regime]
        assert rate == pytest.approx(realised[regime]["visit_completeness"], abs=1e-4), regime
        low, high = ranges[regime]
        assert low <= rate <= high, (regime, rate, ranges[regime])


@pytest.mark.parametrize("name", WORLDS)
def test_planted_visit_outlier_rep_weeks_show_one_node_per_visit(planted_world, name):
    """The simulator plants low ``visit_node_completion_rate`` rep-weeks by cutting every
    visit of the rep that week to its first node (planted value 0.2 = 1 ÷ 5); the rep-week
    mart's node_completion_rate is that metric (truth.py OUTLIER_DEFINITIONS), so it is
    exactly 0.2 there."""
    world = planted_world(name)
    planted = world.truth_csv("outlier_rep_weeks")
    planted = planted[planted["metric"] == "visit_node_completion_rate"]
    assert len(planted) > 0
    measured = world.query(
        """
        select rep_id, cast(week_start as varchar) as week_start, node_completion_rate
        from marts.fct_visit_completeness_rep_weekly
        """
    ).set_index(["rep_id", "week_start"])["node_completion_rate"]
    for row in planted.itertuples():
        assert measured.loc[(row.rep_id, row.week_start)] == pytest.approx(
            row.planted_value, abs=1e-12
        ), (row.rep_id, row.week_start)


@pytest.mark.parametrize("name", WORLDS)
def test_pool_and_reminders_in_a_planted_world(planted_world, name):
    """The pool, recomputed from the per-visit mart (latest visit per lead, incomplete for
    more than the seed's threshold, lead still open), and one reminder per pool lead to the
    manager of the team's city (the simulator gives every city one city manager)."""
    world = planted_world(name)
    expected = world.query(
        """
        with threshold as (
            select incomplete_days_threshold as days from seeds.process_reactivation_rules
        ),
        ranked as (
            select v.*, row_number() over (
                partition by v.lead_id order by v.started_at desc, v.visit_id desc) as rank_
            from marts.fct_visit_completeness as v
            where v.lead_id is not null
        )
        select ranked.lead_id
        from ranked
        cross join threshold
        inner join marts.dim_opportunities as o on o.opportunity_id = ranked.opportunity_id
        where rank_ = 1 and not is_complete and o.status_as_of = 'open'
            and date_diff('day', cast(ranked.started_at as date), ranked.as_of) > threshold.days
        order by 1
        """
    )["lead_id"].tolist()
    pool = world.query("select lead_id from marts.fct_reactivation_pool order by 1")
    assert pool["lead_id"].tolist() == expected
    assert len(expected) > 0
    reminders = world.query(
        """
        select r.lead_id, r.manager_role, r.manager_unit_id = team.parent_id as is_city_of_team
        from marts.fct_reactivation_reminders as r
        inner join marts.dim_org_units as team on team.unit_id = r.team_id
        order by 1
        """
    )
    assert reminders["lead_id"].tolist() == expected
    assert set(reminders["manager_role"]) == {"city_manager"}
    assert reminders["is_city_of_team"].all()
