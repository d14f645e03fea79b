"""The brief's contents from the fixture snapshot: which opportunities, which risks, roll-ups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from salesops import briefs
from salesops.briefs import ManagerBrief, RepBrief

BRIEF_DATE = dt.date(2026, 11, 27)
DAY = dt.date(2026, 11, 26)


def _by_id(items: list[briefs.Brief]) -> tuple[dict[str, RepBrief], dict[str, ManagerBrief]]:
    reps = {b.rep_id: b for b in items if isinstance(b, RepBrief)}
    managers = {b.unit_id: b for b in items if isinstance(b, ManagerBrief)}
    return reps, managers


def _risks(notes) -> list[tuple[str, list[tuple[str, dt.date | None]]]]:
    return [(n.opportunity_id, [(r.kind, r.since) for r in n.risks]) for n in notes]


@pytest.fixture
def built(brief_snapshot: Path):
    return _by_id(briefs.build_briefs(brief_snapshot, BRIEF_DATE))


def test_every_active_rep_gets_a_brief_and_every_unit_with_reps_a_manager_brief(built):
    reps, managers = built
    assert list(reps) == ["r1", "r2", "r3", "r4"]  # r5 left, m1 is a manager
    assert list(managers) == ["hq", "r-east", "c-sh", "t-sh1", "t-sh2", "r-north", "c-bj", "t-bj1"]
    assert "c-hz" not in managers  # no reps under it
    assert managers["t-sh1"].rep_ids == ("r1", "r2")
    assert managers["c-sh"].rep_ids == ("r1", "r2", "r3")
    assert managers["hq"].rep_ids == ("r1", "r2", "r3", "r4")


def test_rep_brief_lists_the_opportunities_with_signals_of_the_day_before(built):
    reps, _ = built
    r1 = reps["r1"]
    assert r1.conversation_date == DAY
    assert [
        (n.opportunity_id, [(s.category, s.negated, s.keywords) for s in n.signals])
        for n in r1.opportunities
    ] == [
        ("o1", [("approval", True, ("领导还没批",)), ("price", False, ("价格",))]),
        ("o2", [("tender", False, ("招标",))]),
    ]
    assert r1.top_keywords == ("价格", "太贵", "领导还没批", "招标")
    assert [(c.category, c.mentions, c.negated_mentions) for c in r1.category_counts] == [
        ("tender", 1, 0),
        ("approval", 0, 2),
        ("price", 3, 0),
    ]
    assert r1.name == "张三" and r1.team_id == "t-sh1"


def test_the_window_is_the_day_before_only(built):
    reps, _ = built
    # o6's competitor signal of 11-25 and o7's of 11-27 are not in the brief of 11-27
    assert [
        s.category for n in reps["r3"].opportunities if n.opportunity_id == "o6" for s in n.signals
    ] == ["approval", "approval"]
    assert [s.category for n in reps["r4"].opportunities for s in n.signals] == ["budget"]
    assert "competitor" not in {c.category for c in reps["r1"].category_counts}
    assert [c.category for c in reps["r4"].category_counts] == ["budget"]


def test_risk_rules(built):
    reps, _ = built
    assert _risks(reps["r1"].risks) == [("o1", [("approval_pending", DAY)])]  # o2 was approved
    assert _risks(reps["r2"].risks) == [
        ("o4", [("budget_negative", None), ("competitor", None)]),  # o4's 11-05 pending is too old
        ("o3", [("approval_pending", dt.date(2026, 11, 18))]),  # 审批 since is no approval
    ]
    assert _risks(reps["r3"].risks) == [
        ("o6", [("approval_pending", DAY)]),  # a same-day positive does not clear it
        ("o5", [("it_fit", None)]),  # the negated competitor is no risk
    ]
    assert reps["r4"].risks == ()  # 预算已批 is good news
    assert [n.opportunity_id for n in reps["r2"].opportunities] == ["o4"]  # o3: risk, no signal


def test_manager_roll_up(built):
    _, managers = built
    hq, team, north = managers["hq"], managers["t-sh1"], managers["t-bj1"]
    assert [n.opportunity_id for n in hq.top_risks] == ["o4", "o1", "o3", "o6", "o5"]
    assert hq.risk_opportunities == 6  # o8 has no owner: only the top unit sees it
    assert (hq.reps_with_signals, hq.opportunities_with_signals) == (4, 7)
    assert [n.opportunity_id for n in managers["r-east"].top_risks] == [
        "o4",
        "o1",
        "o3",
        "o6",
        "o5",
    ]
    assert managers["r-east"].risk_opportunities == 5
    assert [n.opportunity_id for n in team.top_risks] == ["o4", "o1", "o3"]
    assert [n.owner_name for n in team.top_risks] == ["李四", "张三", "李四"]
    assert [(c.category, c.mentions, c.negated_mentions) for c in team.category_counts] == [
        ("budget", 0, 1),
        ("tender", 1, 0),
        ("approval", 0, 2),
        ("price", 3, 0),
        ("competitor", 2, 0),
    ]
    assert north.top_risks == () and north.risk_opportunities == 0
    assert [(k.team_id, k.week_start, k.keywords) for k in team.team_keywords] == [
        ("t-sh1", dt.date(2026, 11, 23), ((1, "领导还没批", 4), (2, "价格", 3), (3, "招标", 1)))
    ]
    # the latest week on or before the conversation day, per team, in tree order
    assert [(k.team_id, k.week_start) for k in hq.team_keywords] == [
        ("t-sh1", dt.date(2026, 11, 23)),
        ("t-sh2", dt.date(2026, 11, 23)),
        ("t-bj1", dt.date(2026, 11, 16)),
    ]


def test_owner_on_the_signal_mart_gives_the_same_briefs(tmp_path, built, snapshot_factory):
    snapshot = snapshot_factory(tmp_path / "owner.duckdb", owner_in_signals=True)
    reps, managers = _by_id(briefs.build_briefs(snapshot, BRIEF_DATE))
    assert _risks(reps["r2"].risks) == _risks(built[0]["r2"].risks)
    assert [n.opportunity_id for n in managers["t-sh1"].top_risks] == ["o4", "o1", "o3"]


def test_without_reps_and_owners_opportunities_roll_up_to_the_top_unit(tmp_path, snapshot_factory):
    snapshot = snapshot_factory(tmp_path / "bare.duckdb", with_dimensions=False)
    reps, managers = _by_id(briefs.build_briefs(snapshot, BRIEF_DATE))
    assert list(reps) == ["r1", "r2", "r3", "r4"]  # the reps with signals, by id
    assert reps["r1"].name == "r1" and reps["r1"].risks == ()
    assert reps["r1"].team_id == "t-sh1"  # from the rep signal mart
    assert managers["t-sh1"].rep_ids == ("r1", "r2") and managers["t-sh1"].top_risks == ()
    assert managers["hq"].risk_opportunities == 6


def test_a_snapshot_older_than_the_conversation_day_is_flagged(tmp_path, snapshot_factory):
    snapshot = snapshot_factory(tmp_path / "old.duckdb", as_of=dt.date(2026, 11, 25))
    items = briefs.build_briefs(snapshot, BRIEF_DATE)
    assert all(b.is_stale for b in items)
    assert "早于对话日期 2026-11-26" in briefs.render_markdown(items[0], "zh")
    assert not any(b.is_stale for b in briefs.build_briefs(snapshot, dt.date(2026, 11, 26)))


def test_a_snapshot_without_the_signal_marts_says_what_is_missing(tmp_path, snapshot_factory):
    import duckdb

    path = snapshot_factory(tmp_path / "s.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("drop table marts.fct_rep_signals_daily")
    with pytest.raises(briefs.BriefInputError, match="fct_rep_signals_daily"):
        briefs.build_briefs(path, BRIEF_DATE)


def test_the_default_date_is_the_morning_after_as_of(brief_snapshot):
    assert briefs.default_brief_date(brief_snapshot) == BRIEF_DATE


def test_a_next_step_locked_since_the_pending_approval_clears_the_risk():
    pending = briefs.Signal(
        category="approval", negated=False, mentions=1, keywords=("领导还没批",)
    )
    history = [(dt.date(2026, 11, 20), pending)]
    assert briefs._approval_risk(history).kind == "approval_pending"
    assert (
        briefs._approval_risk(history, dt.datetime(2026, 11, 19, 17, 0)).kind == "approval_pending"
    )
    assert briefs._approval_risk(history, dt.datetime(2026, 11, 21, 9, 0)) is None
