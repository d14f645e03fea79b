"""The brief's contents from the fixture snapshot: which opportunities, which risks, in which
order (amount at risk), which SOP card, roll-ups; the seeds drive the rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from salesops import briefs
from salesops.briefs import ManagerBrief, Opportunity, OpportunityNote, RepBrief, Risk, SopCard
from salesops.briefs import rules as brief_rules

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
        ("o3", [("approval_pending", dt.date(2026, 11, 18))]),  # 审批 since is no approval
        ("o4", [("budget_negative", None), ("competitor", None)]),  # o4's 11-05 pending is too old
    ]  # ¥80万 × 3 before ¥30万 × (3 + 2)
    assert _risks(reps["r3"].risks) == [
        ("o5", [("it_fit", None)]),  # the negated competitor is no risk
        ("o6", [("approval_pending", DAY)]),  # a same-day positive does not clear it
    ]
    assert reps["r4"].risks == ()  # 预算已批 is good news
    assert [n.opportunity_id for n in reps["r2"].opportunities] == ["o4"]  # o3: risk, no signal


def test_manager_roll_up(built):
    _, managers = built
    hq, team, north = managers["hq"], managers["t-sh1"], managers["t-bj1"]
    assert [n.opportunity_id for n in hq.top_risks] == ["o5", "o1", "o3", "o4", "o6"]
    assert [n.opportunity_id for n in hq.risks] == ["o5", "o1", "o3", "o4", "o6", "o8"]
    assert hq.risk_opportunities == 6  # o8 has no owner: only the top unit sees it
    assert (hq.reps_with_signals, hq.opportunities_with_signals) == (4, 7)
    assert [n.opportunity_id for n in managers["r-east"].top_risks] == [
        "o5",
        "o1",
        "o3",
        "o4",
        "o6",
    ]
    assert managers["r-east"].risk_opportunities == 5
    assert [n.opportunity_id for n in team.top_risks] == ["o1", "o3", "o4"]
    assert [n.owner_name for n in team.top_risks] == ["张三", "李四", "李四"]
    assert [n.amount_at_risk for n in team.top_risks] == [1_234_567 * 3, 800_000 * 3, 300_000 * 5]
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
    assert [n.opportunity_id for n in managers["t-sh1"].top_risks] == ["o1", "o3", "o4"]


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


def test_a_next_step_locked_since_the_pending_approval_clears_the_risk(shipped_rules):
    pending = briefs.Signal(
        category="approval", negated=False, mentions=1, keywords=("领导还没批",)
    )
    history = [(dt.date(2026, 11, 20), pending)]
    approval_risk = brief_rules.approval_risk
    assert approval_risk(history, shipped_rules).kind == "approval_pending"
    assert (
        approval_risk(history, shipped_rules, dt.datetime(2026, 11, 19, 17, 0)).kind
        == "approval_pending"
    )
    assert approval_risk(history, shipped_rules, dt.datetime(2026, 11, 21, 9, 0)) is None


def _note(opportunity_id: str, amount: float | None, weight: float) -> OpportunityNote:
    return OpportunityNote(
        opportunity_id,
        None,
        None,
        (),
        (Risk("competitor"),),
        Opportunity(customer_name=f"客户{opportunity_id}", amount=amount),
        None,
        weight,
    )


def test_risks_are_ranked_by_amount_at_risk():
    notes = [
        _note("a", 1_000_000, 1),  # ¥100万 at risk
        _note("b", 300_000, 5),  # ¥150万
        _note("c", 600_000, 2),  # ¥120万
        _note("d", None, 9),  # no amount: last, whatever its weight
        _note("e", 200_000, 6),  # ¥120万 as c, with more weight: before c
    ]
    ranked = brief_rules.rank_by_amount_at_risk(notes)
    assert [n.opportunity_id for n in ranked] == ["b", "e", "c", "a", "d"]
    assert [n.amount_at_risk for n in ranked] == [1_500_000, 1_200_000, 1_200_000, 1_000_000, 0]


def test_the_suggested_card_is_the_owners_teams_rank_one_else_most_teams():
    recommendations = [
        {"unit_id": "t1", "industry": "制造", "stage": "quote", "card_id": "A", "title": "卡A"},
        {"unit_id": "t2", "industry": "制造", "stage": "quote", "card_id": "B", "title": "卡B"},
        {"unit_id": "t3", "industry": "制造", "stage": "quote", "card_id": "B", "title": "卡B"},
        {"unit_id": "t1", "industry": "医疗", "stage": "quote", "card_id": "C", "title": "卡C"},
    ]
    deal = Opportunity(industry="制造", stage="quote")
    assert brief_rules.suggested_card(deal, "t1", recommendations) == SopCard("A", "卡A")
    assert brief_rules.suggested_card(deal, "t9", recommendations) == SopCard("B", "卡B")
    assert brief_rules.suggested_card(deal, None, recommendations) == SopCard("B", "卡B")
    assert (
        brief_rules.suggested_card(Opportunity(industry="制造", stage="won"), "t1", recommendations)
        is None
    )
    assert brief_rules.suggested_card(Opportunity(stage="quote"), "t1", recommendations) is None


def test_each_risky_opportunity_carries_its_deal_and_card(built):
    reps, managers = built
    notes = {n.opportunity_id: n for n in managers["hq"].risks}
    assert notes["o1"].opportunity == Opportunity(
        customer_name="上海浦江精密制造有限公司",
        amount=1_234_567,
        stage="quote",
        expected_close_on=dt.date(2026, 12, 15),  # the latest on or before the conversation day
        industry="制造",
        team_id="t-sh1",
    )
    assert notes["o4"].opportunity.expected_close_raw == "尽快"
    assert {k: (n.card.card_id if n.card else None) for k, n in notes.items()} == {
        "o1": "K1",  # its team's rank 1
        "o3": "K4",
        "o4": "K2",  # no row for t-sh1: the teams' rank-1 cards tie, the lower card_id
        "o5": "K5",
        "o6": None,  # no card for 物流
        "o8": None,  # no industry
    }


def _edit(path: Path, *statements: str) -> Path:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)
    return path


def test_the_seeds_drive_the_rules(tmp_path, snapshot_factory):
    shipped = _by_id(briefs.build_briefs(snapshot_factory(tmp_path / "a.duckdb"), BRIEF_DATE))
    assert [n.opportunity_id for n in shipped[1]["hq"].top_risks] == ["o5", "o1", "o3", "o4", "o6"]

    lighter_it_fit = _edit(
        snapshot_factory(tmp_path / "b.duckdb"),
        "update seeds.briefs_risk_kinds set weight = '0.1' where risk_kind = 'it_fit'",
        "update seeds.briefs_risk_kinds set label_zh = '系统对接风险' where risk_kind = 'it_fit'",
        "update seeds.briefs_settings set value = '2' where parameter = 'manager_top_risks'",
    )
    _, managers = _by_id(briefs.build_briefs(lighter_it_fit, BRIEF_DATE))
    assert [n.opportunity_id for n in managers["hq"].risks] == ["o1", "o3", "o4", "o5", "o6", "o8"]
    assert [n.opportunity_id for n in managers["hq"].top_risks] == ["o1", "o3"]
    zh = briefs.render_markdown(managers["hq"], "zh")
    assert "系统对接风险 0.1" in zh and "（按风险金额前 2）" in zh

    terms = _edit(
        snapshot_factory(tmp_path / "c.duckdb"),
        "delete from seeds.briefs_terms where term = '批了'",
        "update seeds.briefs_settings set value = '30' where parameter = 'approval_lookback_days'",
    )
    reps, _ = _by_id(briefs.build_briefs(terms, BRIEF_DATE))
    assert _risks(reps["r1"].risks)[-1] == ("o2", [("approval_pending", dt.date(2026, 11, 20))])
    assert ("approval_pending", dt.date(2026, 11, 5)) in dict(_risks(reps["r2"].risks))["o4"]


def test_a_snapshot_without_the_rule_seeds_says_what_to_do(tmp_path, snapshot_factory):
    bare = snapshot_factory(tmp_path / "no-seeds.duckdb", with_seeds=False)
    with pytest.raises(briefs.BriefInputError) as raised:
        briefs.build_briefs(bare, BRIEF_DATE)
    message = str(raised.value)
    assert "seeds.briefs_risk_kinds" in message and "seeds.briefs_terms" in message
    assert "make run" in message

    partial = _edit(
        snapshot_factory(tmp_path / "partial.duckdb"),
        "delete from seeds.briefs_risk_kinds where risk_kind = 'competitor'",
    )
    with pytest.raises(briefs.BriefInputError, match="briefs_risk_kinds has no row for competitor"):
        briefs.build_briefs(partial, BRIEF_DATE)
