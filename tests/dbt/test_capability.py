"""SOP know-how and new-rep retention marts on a hand-made bronze layer, as of 2026-05-15.

Every expected value is worked out by hand from the rows below (comments show the
arithmetic). One dbt invocation builds seeds and models (no data tests: the planted-world
tests run those).

Org: hq ── r_e ── c_e ── t_a (structured_since 2026-01-01)
         └─ r_n ── c_n ── t_b (traditional)

Reps (role rep unless noted):
    a1 t_a hired 2025-06-01                      (tenured; Jun-2025 cohort, traditional)
    a2 t_a hired 2026-01-05                      (new; Jan-2026 cohort, structured)
    a3 t_a hired 2026-01-20, left 2026-04-20     (left exactly on day 90: not retained)
    b1 t_b hired 2026-01-10, left 2026-04-15     (day 90 = 04-10, left after: retained)
    b2 t_b hired 2026-02-02                      (new; Feb cohort not yet 90 days old)
    b3 t_b hired 2024-01-01                      (Jan-2024 cohort: outside the 24-month window)
    m1 t_b city_manager                          (not a rep: never counted)

Cards: K1 all industries / quote, active (ops); K2 制造 / lead, active (ops); K3 draft,
co-created by a2 on 2026-05-01; K5 金融 / negotiation, active, co-created by a1.

Uses (opportunity, time) → first feedback:
    u1 K1 a1 O1 2026-05-05 10:00 → 05-07 10:00:00 fully           (exactly 48 h: on time)
    u2 K1 a2 O2 2026-05-06 09:00 → 05-08 09:00:01 not_applicable  (48 h + 1 s: late)
    u3 K1 a2 O3 2026-05-06 15:00 → none                           (due, no feedback)
    u4 K2 a2 O2 2026-05-12 09:00 → 05-12 18:00 fully              (on time)
    u5 K1 b3 O4 2026-05-14 20:00 → 05-15 08:00 fully              (48 h end after as_of: not due)
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

AS_OF = "2026-05-15"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


def d(text: str) -> date:
    return date.fromisoformat(text)


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "r_e", "level": "region", "parent_id": "hq", "name": "华东大区"},
    {"unit_id": "c_e", "level": "city", "parent_id": "r_e", "name": "上海"},
    {
        "unit_id": "t_a",
        "level": "team",
        "parent_id": "c_e",
        "name": "上海一组",
        "structured_since": d("2026-01-01"),
    },
    {"unit_id": "r_n", "level": "region", "parent_id": "hq", "name": "华北大区"},
    {"unit_id": "c_n", "level": "city", "parent_id": "r_n", "name": "北京"},
    {"unit_id": "t_b", "level": "team", "parent_id": "c_n", "name": "北京一组"},
]

REPS = [
    {
        "rep_id": rep,
        "name": rep,
        "team_id": team,
        "role": role,
        "hire_date": d(hired),
        "termination_date": d(left) if left else None,
    }
    for rep, team, role, hired, left in (
        ("a1", "t_a", "rep", "2025-06-01", None),
        ("a2", "t_a", "rep", "2026-01-05", None),
        ("a3", "t_a", "rep", "2026-01-20", "2026-04-20"),
        ("b1", "t_b", "rep", "2026-01-10", "2026-04-15"),
        ("b2", "t_b", "rep", "2026-02-02", None),
        ("b3", "t_b", "rep", "2024-01-01", None),
        ("m1", "t_b", "city_manager", "2026-01-03", None),
    )
]

CUSTOMERS = [
    {
        "customer_id": customer,
        "name": customer,
        "industry": industry,
        "city_id": "c_e",
        "size_band": "M",
        "created_at": ts("2025-01-01"),
    }
    for customer, industry in (("cu_m", "制造"), ("cu_r", "零售"), ("cu_f", "金融"))
]

# (opportunity, customer, owner, created, stages entered in order from the created day)
_OPPORTUNITIES = (
    ("O1", "cu_m", "a1", "2026-02-01", ("lead", "qualified", "quote")),
    ("O2", "cu_m", "a2", "2026-03-01", ("lead",)),
    ("O3", "cu_r", "a2", "2026-03-05", ("lead", "qualified")),
    ("O4", "cu_m", "b3", "2026-03-10", ("lead",)),
    ("O5", "cu_r", "b3", "2026-03-12", ("lead", "qualified", "quote")),
    ("O6", "cu_f", "a1", "2025-12-15", ("lead",)),
)
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": customer,
        "owner_rep_id": owner,
        "product_line": "pumps",
        "created_at": ts(created),
        "stage": stages[-1],
        "status": "open",
        "amount": 100000,
        "expected_close_date": "2026-06-30",
    }
    for opp, customer, owner, created, stages in _OPPORTUNITIES
]
STAGE_HISTORY = [
    {
        "opportunity_id": opp,
        "stage": stage,
        "entered_at": datetime.fromisoformat(f"{created} 09:00").replace(day=int(created[-2:]) + i),
        "changed_by": owner,
    }
    for opp, _, owner, created, stages in _OPPORTUNITIES
    for i, stage in enumerate(stages)
]


def card(card_id, industry, stage, status, source, author, created):
    return {
        "card_id": card_id,
        "title": f"卡片{card_id}",
        "scenario": "场景",
        "must_do": "要做",
        "taboos": "不要",
        "validation_points": "验证",
        "industry": industry,
        "stage": stage,
        "permission_level": "全员",
        "source": source,
        "author_rep_id": author,
        "status": status,
        "created_at": ts(created),
    }


SOP_CARDS = [
    card("K1", None, "quote", "active", "ops", None, "2025-01-01"),
    card("K2", "制造", "lead", "active", "ops", None, "2025-01-01"),
    card("K3", None, "qualified", "draft", "co-created", "a2", "2026-05-01"),
    card("K5", "金融", "negotiation", "active", "co-created", "a1", "2026-02-01"),
]

SOP_USAGE = [
    {"usage_id": u, "card_id": c, "rep_id": r, "opportunity_id": o, "used_at": ts(at)}
    for u, c, r, o, at in (
        ("u1", "K1", "a1", "O1", "2026-05-05 10:00"),
        ("u2", "K1", "a2", "O2", "2026-05-06 09:00"),
        ("u3", "K1", "a2", "O3", "2026-05-06 15:00"),
        ("u4", "K2", "a2", "O2", "2026-05-12 09:00"),
        ("u5", "K1", "b3", "O4", "2026-05-14 20:00"),
    )
]

SOP_FEEDBACK = [
    {"usage_id": u, "submitted_at": ts(at), "verdict": v, "reason_text": None}
    for u, at, v in (
        ("u1", "2026-05-07 10:00:00", "fully"),
        ("u2", "2026-05-08 09:00:01", "not_applicable"),
        ("u4", "2026-05-12 18:00", "fully"),
        ("u5", "2026-05-15 08:00", "fully"),
    )
]

ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "customers": CUSTOMERS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "sop_cards": SOP_CARDS,
    "sop_usage": SOP_USAGE,
    "sop_feedback": SOP_FEEDBACK,
}

MARTS = (
    "fct_sop_practice_weekly",
    "fct_sop_card_performance",
    "fct_new_rep_retention",
    "fct_best_practice_reuse_monthly",
    "fct_sop_card_submissions",
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, warehouse_builder):
    selection = " ".join(f"+{mart}" for mart in MARTS)
    return warehouse_builder(
        tmp_path_factory.mktemp("capability"),
        ROWS,
        "build",
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        "--select",
        selection,
        "--vars",
        f'{{"as_of": "{AS_OF}"}}',
    )


def query(db, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_practice_rate_counts_the_teams_reps_of_the_week(warehouse):
    rows = {
        (str(r[0]), r[1], r[2]): r[3:]
        for r in query(
            warehouse,
            """
            select week_start, unit_id, card_id, team_reps, practicing_reps, practice_rate,
                   new_reps, practicing_new_reps, new_rep_practice_rate, uses_count,
                   feedback_due_count, feedback_on_time_count, feedback_within_window_rate,
                   process_regime
            from marts.fct_sop_practice_weekly
            """,
        )
    }
    # week of 05-04, t_a: a1 and a2 employed (a3 left 04-20), a2 new (hired < 6 months);
    # K1 used by both → 2/2; new reps 1/1; three uses, all due, one on time (u1) → 1/3
    assert rows[("2026-05-04", "t_a", "K1")] == (
        2,
        2,
        1.0,
        1,
        1,
        1.0,
        3,
        3,
        1,
        pytest.approx(1 / 3),
        "structured",
    )
    # K2 not used that week: a zero row, no feedback rate
    assert rows[("2026-05-04", "t_a", "K2")] == (2, 0, 0.0, 1, 0, 0.0, 0, 0, 0, None, "structured")
    # week of 05-11: a2 used K2 (1 of 2 reps; the one new rep); u4's feedback on time
    assert rows[("2026-05-11", "t_a", "K2")] == (2, 1, 0.5, 1, 1, 1.0, 1, 1, 1, 1.0, "structured")
    # t_b: b2 (new) and b3 (b1 left 04-15; m1 is a manager) → b3 used K1: 1/2, new 0/1;
    # u5's 48 h end after the as_of day: not due
    assert rows[("2026-05-11", "t_b", "K1")] == (2, 1, 0.5, 1, 0, 0.0, 1, 0, 0, None, "traditional")
    # the draft card K3 never gets a row; K5 (created 2026-02-01) does
    assert {key[2] for key in rows} == {"K1", "K2", "K5"}
    # two weeks with uses × two teams × three cards
    assert len(rows) == 12


def test_card_usage_rate_and_feedback_within_48_hours(warehouse):
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            """
            select card_id, uses_count, recent_users, active_reps, usage_rate, feedback_count,
                   negative_feedback_count, negative_feedback_share, feedback_due_count,
                   feedback_on_time_count, feedback_within_window_rate, is_retirement_candidate
            from marts.fct_sop_card_performance
            """,
        )
    }
    # active reps on 05-15: a1, a2, b2, b3 (a3, b1 left; m1 not a rep) → 4
    # K1: used by a1, a2, b3 in the last 90 days → 3/4; feedback u1, u2, u5 (1 negative);
    # due u1, u2, u3 (u5's window ends 05-16 20:00); on time: u1 only (u2 is 48 h + 1 s)
    assert rows["K1"] == (
        4,
        3,
        4,
        0.75,
        3,
        1,
        pytest.approx(1 / 3),
        3,
        1,
        pytest.approx(1 / 3),
        False,
    )
    assert rows["K2"] == (1, 1, 4, 0.25, 1, 0, 0.0, 1, 1, 1.0, False)
    assert rows["K3"] == (0, 0, 4, 0.0, 0, 0, None, 0, 0, None, False)


def test_new_rep_retention_by_cohort_unit_and_regime(warehouse):
    rows = {
        (r[0], str(r[1]), r[2]): r[3:]
        for r in query(
            warehouse,
            """
            select unit_id, hire_month, process_regime, hired_count, retained_count,
                   retention_rate, is_in_comparison_window
            from marts.fct_new_rep_retention
            """,
        )
    }
    # t_a: a1 (Jun 2025, traditional) retained; a2 and a3 (Jan 2026, hired after t_a's
    # 2026-01-01 adoption) → a3 left on day 90 exactly (04-20 = 01-20 + 90): 1 of 2
    assert rows[("t_a", "2025-06-01", "traditional")] == (1, 1, 1.0, True)
    assert rows[("t_a", "2026-01-01", "structured")] == (2, 1, 0.5, True)
    # t_b: b1 left on 04-15, after day 90 (04-10) → retained; b3's 2024 cohort is shown
    # but outside the 24-month comparison window; b2's Feb cohort is not 90 days old
    # (02-28 + 90 = 05-29 > 05-15); m1 is not a rep
    assert rows[("t_b", "2026-01-01", "traditional")] == (1, 1, 1.0, True)
    assert rows[("t_b", "2024-01-01", "traditional")] == (1, 1, 1.0, False)
    assert not any(key[1] == "2026-02-01" for key in rows)
    # HQ adds the teams up
    assert rows[("hq", "2026-01-01", "structured")] == (2, 1, 0.5, True)
    assert rows[("hq", "2026-01-01", "traditional")] == (1, 1, 1.0, True)
    assert rows[("r_n", "2024-01-01", "traditional")] == (1, 1, 1.0, False)


def test_best_practice_reuse_counts_eligible_opportunities_only(warehouse):
    rows = {
        (r[0], str(r[1]), r[2]): r[3:]
        for r in query(
            warehouse,
            """
            select unit_id, created_month, process_regime, opportunities_count, eligible_count,
                   reused_count, reuse_rate
            from marts.fct_best_practice_reuse_monthly
            """,
        )
    }
    # O1 制造 reached quote: K1 and K2 fit → eligible, used (u1)
    assert rows[("t_a", "2026-02-01", "structured")] == (1, 1, 1, 1.0)
    # O2 制造 lead: K2 fits, used; O3 零售 reached qualified only: no card fits (K1 is for
    # quote, K2 for 制造), so its use (u3) does not count
    assert rows[("t_a", "2026-03-01", "structured")] == (2, 1, 1, 1.0)
    # O6 金融 lead (created before t_a adopted): K5 is for negotiation → not eligible
    assert rows[("t_a", "2025-12-01", "traditional")] == (1, 0, 0, None)
    # O4 制造 (K2, used u5) and O5 零售 at quote (K1, unused) → 1 of 2
    assert rows[("t_b", "2026-03-01", "traditional")] == (2, 2, 1, 0.5)
    assert rows[("hq", "2026-03-01", "structured")] == (2, 1, 1, 1.0)
    assert rows[("hq", "2026-03-01", "traditional")] == (2, 2, 1, 0.5)


def test_co_created_submissions_and_review_status(warehouse):
    rows = query(
        warehouse,
        """
        select card_id, author_rep_id, author_team_id, review_status, days_in_review, uses_count
        from marts.fct_sop_card_submissions
        order by card_id
        """,
    )
    # K3 draft since 05-01 → under review for 14 days; K5 approved (no approval date known)
    assert rows == [
        ("K3", "a2", "t_a", "under_review", 14, 0),
        ("K5", "a1", "t_a", "approved", None, 0),
    ]
