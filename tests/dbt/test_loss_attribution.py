"""Loss attribution (issue 5, item 7): stated vs evidence-based loss reason, the two mixes side
by side, loss-reason traceability and the evidence list.

Two kinds of checks:

* a hand fixture, small enough to check by eye, built once (bronze → the real chat-signals
  and note-signals extractors → dbt) and asserted exactly;
* the planted worlds ("default", "alt", and "field", the world the product was not written
  against): the evidence-based mix against the planted true mix (total variation distance),
  the evidence reason against the simulator's true reason per opportunity, and traceability
  per regime, each with the bar of its world stated and justified in the test.

Fixture (as_of 2026-03-31; every opportunity: lead on its created day, lost on the day shown):

    hq ── r1 ── c1 ─┬─ t1 (structured since 2026-01-01): rep_a
                    └─ t2 (traditional):                  rep_b

    Notes and chat are read by the same matcher (jieba + seed chat_keywords, negation scope);
    a rule names a dictionary keyword, never a substring.

    Each evidence text is weighed against won deals (discrimination = max(0, 1 − won share /
    lost share) of deals with that text): the call-note template "客户关注系统对接方案"
    (N_IT07 系统对接, 1) is in the one won deal O7 and in 1 of the 5 lost deals (O2) → it
    weighs 0 and is listed nowhere. Every other text is in no won deal and keeps its weight.

    O1 rep_a created 01-10, lost 02-15, stated price. Demo node note 02-01 "…IT负责人指出与
       现有IT系统对接困难,接口不匹配" (it_fit, 3: N_IT01 对接不了 ← 对接困难, N_IT02
       接口不匹配; 0.5: N_IT10 IT系统 ← IT负责人/IT系统); the call note "确认对接人" names no
       cause (对接人 is the contact, its own keyword); chat 02-05 "價格太貴了" in traditional characters
       (price, 2: C_PR01 太贵; 0.5: C_PR03 价格) → evidence it_fit (3 > 2), traceable, stated
       price has 1 supporting record.
    O2 rep_b created 01-05, lost 02-20, stated price. Chat "兼容性这块我们比较担心" (it_fit 0.5,
       weak) and the template call note "客户关注系统对接方案" (weighs 0, see above; at its
       rule's weight 1 it would make it_fit 1.5) → below min score 1.0: no evidence reason,
       not traceable.
    O3 rep_b created 01-06, lost 03-10, no stated code. Call note 03-01 "客户表示项目延期"
       (timing 2: N_TI01 延期); chat 03-04 "竞争对手那边已经在做试点了" (competitor 0.5: C_CO02)
       and 03-05 "我们也在看竞品的方案" (competitor 0.5: C_CO04) → timing 2 > competitor 1.0;
       not traceable (no code).
    O4 rep_a created 02-01, lost 03-20, stated budget. Chat 03-01 "我们没有竞争对手在谈"
       (竞争对手 negated: no rule), 03-02 "不是没有预算" (two negators: plain 预算, no rule) and
       04-02 "集团通知预算冻结了", a 丢单复盘 note 04-05 "…客户预算冻结" (both after as_of) →
       no evidence.
    O5 rep_a created 01-15, open, chat "价格太贵了" → not lost, not in the marts.
    O6 rep_b created 01-08, lost 03-15, stated price. Demo node note 03-01 in traditional
       characters "演示時客戶指出與現有系統對接困難" (it_fit 3: N_IT01 对接不了 ← 對接困難;
       0.5: N_IT10 IT系统 ← 現有系統) and a later call note 03-05 "客户表示报价不是太贵,主要担心
       交付周期": 太贵 negated matches no plain rule and bare 报价 is no note evidence, so
       the price note is not price evidence (read as a substring, 太贵 would tie it_fit at 3
       and win on recency) → evidence it_fit, traceable.
    O7 rep_a created 01-12, won 02-25, call note 02-10 "客户关注系统对接方案" → not lost, not
       in the marts; it only weighs that text.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest

AS_OF = "2026-03-31"
WORLDS = ("default", "alt", "field")


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "r1", "level": "region", "parent_id": "hq", "name": "华东大区"},
    {"unit_id": "c1", "level": "city", "parent_id": "r1", "name": "上海"},
    {
        "unit_id": "t1",
        "level": "team",
        "parent_id": "c1",
        "name": "上海一组",
        "structured_since": date(2026, 1, 1),
    },
    {"unit_id": "t2", "level": "team", "parent_id": "c1", "name": "上海二组"},
]
REPS = [
    {
        "rep_id": "rep_a",
        "name": "张三",
        "team_id": "t1",
        "role": "rep",
        "hire_date": date(2025, 1, 1),
    },
    {
        "rep_id": "rep_b",
        "name": "李四",
        "team_id": "t2",
        "role": "rep",
        "hire_date": date(2025, 1, 1),
    },
]
# (opportunity, owner, created, lost on (None = open), stated code, stated text)
_OPPORTUNITIES = (
    ("O1", "rep_a", "2026-01-10", "2026-02-15", "price", "客户觉得报价偏高"),
    ("O2", "rep_b", "2026-01-05", "2026-02-20", "price", "价格没谈拢"),
    ("O3", "rep_b", "2026-01-06", "2026-03-10", None, None),
    ("O4", "rep_a", "2026-02-01", "2026-03-20", "budget", "客户预算取消"),
    ("O5", "rep_a", "2026-01-15", None, None, None),
    ("O6", "rep_b", "2026-01-08", "2026-03-15", "price", "客户嫌贵"),
)
WON = (("O7", "rep_a", "2026-01-12", "2026-02-25"),)
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": f"cust_{opp}",
        "owner_rep_id": rep,
        "product_line": "智能仓储系统",
        "created_at": ts(created),
        "stage": "lost" if lost else "qualified",
        "status": "lost" if lost else "open",
        "amount": 100000,
        "expected_close_date": "2026-06-30",
        "closed_at": ts(lost) if lost else None,
        "loss_reason_code": code,
        "loss_reason_text": text,
    }
    for opp, rep, created, lost, code, text in _OPPORTUNITIES
] + [
    {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": f"cust_{opp}",
        "owner_rep_id": rep,
        "product_line": "智能仓储系统",
        "created_at": ts(created),
        "stage": "won",
        "status": "won",
        "amount": 100000,
        "expected_close_date": "2026-02-28",
        "closed_at": ts(won),
    }
    for opp, rep, created, won in WON
]
STAGE_HISTORY = [
    row
    for opp, rep, created, lost, _, _ in _OPPORTUNITIES
    for row in (
        {"opportunity_id": opp, "stage": "lead", "entered_at": ts(created), "changed_by": rep},
        {
            "opportunity_id": opp,
            "stage": "qualified",
            "entered_at": ts(created) + timedelta(days=1),
            "changed_by": rep,
        },
        *(
            [{"opportunity_id": opp, "stage": "lost", "entered_at": ts(lost), "changed_by": rep}]
            if lost
            else []
        ),
    )
] + [
    {"opportunity_id": opp, "stage": stage, "entered_at": at, "changed_by": rep}
    for opp, rep, created, won in WON
    for stage, at in (
        ("lead", ts(created)),
        ("qualified", ts(created) + timedelta(days=1)),
        ("won", ts(won)),
    )
]
ACTIVITIES = [
    {
        "activity_id": "A1",
        "rep_id": "rep_a",
        "opportunity_id": "O1",
        "visit_id": "V1",
        "kind": "visit",
        "node": "demo_recording_uploaded",
        "occurred_at": ts("2026-02-01"),
        "note": "演示时客户IT负责人指出与现有IT系统对接困难,接口不匹配",
    },
    {
        "activity_id": "A2",
        "rep_id": "rep_a",
        "opportunity_id": "O1",
        "kind": "call",
        "occurred_at": ts("2026-02-02"),
        "note": "回访客户,确认对接人",
    },
    {
        "activity_id": "A3",
        "rep_id": "rep_b",
        "opportunity_id": "O3",
        "kind": "call",
        "occurred_at": ts("2026-03-01"),
        "note": "客户表示项目延期",
    },
    {
        "activity_id": "A4",
        "rep_id": "rep_a",
        "opportunity_id": "O4",
        "kind": "meeting",
        "occurred_at": ts("2026-04-05"),
        "note": "丢单复盘:客户预算冻结",
    },
    {
        "activity_id": "A5",
        "rep_id": "rep_b",
        "opportunity_id": "O6",
        "visit_id": "V6",
        "kind": "visit",
        "node": "demo_recording_uploaded",
        "occurred_at": ts("2026-03-01"),
        "note": "演示時客戶指出與現有系統對接困難",
    },
    {
        "activity_id": "A6",
        "rep_id": "rep_b",
        "opportunity_id": "O6",
        "kind": "call",
        "occurred_at": ts("2026-03-05"),
        "note": "客户表示报价不是太贵,主要担心交付周期",
    },
    {
        "activity_id": "A7",
        "rep_id": "rep_a",
        "opportunity_id": "O7",
        "kind": "call",
        "occurred_at": ts("2026-02-10"),
        "note": "客户关注系统对接方案",
    },
    {
        "activity_id": "A8",
        "rep_id": "rep_b",
        "opportunity_id": "O2",
        "kind": "call",
        "occurred_at": ts("2026-02-10"),
        "note": "客户关注系统对接方案",
    },
]
_MESSAGES = (
    ("M1", "O1", "rep_a", "2026-02-05", "你們這個價格太貴了"),
    ("M2", "O2", "rep_b", "2026-02-01", "兼容性这块我们比较担心"),
    ("M3", "O3", "rep_b", "2026-03-04", "竞争对手那边已经在做试点了"),
    ("M4", "O3", "rep_b", "2026-03-05", "我们也在看竞品的方案"),
    ("M5", "O4", "rep_a", "2026-03-01", "我们没有竞争对手在谈"),
    ("M6", "O4", "rep_a", "2026-04-02", "集团通知预算冻结了"),
    ("M8", "O4", "rep_a", "2026-03-02", "我们也不是没有预算"),
    ("M7", "O5", "rep_a", "2026-02-01", "你们这个价格太贵了"),
)
CHAT = [
    {
        "message_id": message,
        "conversation_id": f"CV{opp}",
        "channel": "wecom",
        "opportunity_id": opp,
        "rep_id": rep,
        "contact_id": f"K{opp}",
        "sender": "customer",
        "sent_at": ts(sent),
        "text": text,
    }
    for message, opp, rep, sent, text in _MESSAGES
]
ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "activities": ACTIVITIES,
    "chat_messages": CHAT,
}


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory, bronze_writer, dbt_in):
    from ml.chat_signals.extract import extract_home_signals
    from ml.chat_signals.notes import extract_home_note_hits

    root = tmp_path_factory.mktemp("loss_attribution")
    bronze_writer(root / "bronze", ROWS)
    extract_home_signals(root)
    extract_home_note_hits(root)
    (root / "warehouse").mkdir()
    dbt_in(
        root,
        "build",
        "--select",
        "+path:models/marts/loss",
        "dim_org_units",
        "chat_keywords",
        # tests of other marts on the shared upstream models stay out
        "--indirect-selection",
        "cautious",
        "--vars",
        json.dumps({"as_of": AS_OF}),
    )
    path = root / "warehouse" / "build.duckdb"

    def query(sql: str) -> list[tuple]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return query


# ------------------------------------------------------------------ hand fixture


def test_stated_vs_evidence_reason_per_lost_opportunity(fixture_warehouse):
    rows = fixture_warehouse(
        "select opportunity_id, stated_reason_code, evidence_reason_code, evidence_score, "
        "evidence_count, stated_reason_evidence_count, matched_record_count, is_traceable, "
        "stated_matches_evidence, process_regime, cast(lost_month as varchar) "
        "from marts.fct_lost_opportunity_reasons order by opportunity_id"
    )
    assert rows == [
        ("O1", "price", "it_fit", 3.0, 1, 1, 2, True, False, "structured", "2026-02-01"),
        ("O2", "price", None, None, 0, 0, 1, False, None, "traditional", "2026-02-01"),
        ("O3", None, "timing", 2.0, 1, 0, 3, False, None, "traditional", "2026-03-01"),
        ("O4", "budget", None, None, 0, 0, 0, False, None, "structured", "2026-03-01"),
        ("O6", "price", "it_fit", 3.0, 1, 0, 1, True, False, "traditional", "2026-03-01"),
    ]


def test_evidence_list_points_at_source_records(fixture_warehouse):
    rows = fixture_warehouse(
        "select opportunity_id, source_kind, source_record_id, loss_reason, weight, "
        "matched_terms, rule_ids, supports_evidence_reason, supports_stated_reason, source_detail "
        "from marts.fct_loss_reason_evidence order by opportunity_id, source_record_id"
    )
    assert rows == [
        (
            "O1",
            "activity_note",
            "A1",
            "it_fit",
            3.0,
            "IT系统|对接不了|接口不匹配",
            "N_IT01|N_IT02|N_IT10",
            True,
            False,
            "demo_recording_uploaded",
        ),
        (
            "O1",
            "chat_message",
            "M1",
            "price",
            2.0,
            "价格|太贵",
            "C_PR01|C_PR03",
            False,
            True,
            "customer",
        ),
        ("O2", "chat_message", "M2", "it_fit", 0.5, "兼容", "C_IT09", False, False, "customer"),
        ("O3", "activity_note", "A3", "timing", 2.0, "延期", "N_TI01", True, False, "call"),
        (
            "O3",
            "chat_message",
            "M3",
            "competitor",
            0.5,
            "竞争对手",
            "C_CO02",
            False,
            False,
            "customer",
        ),
        ("O3", "chat_message", "M4", "competitor", 0.5, "竞品", "C_CO04", False, False, "customer"),
        (
            "O6",
            "activity_note",
            "A5",
            "it_fit",
            3.0,
            "IT系统|对接不了",
            "N_IT01|N_IT10",
            True,
            False,
            "demo_recording_uploaded",
        ),
    ]


def test_traceability_per_unit_month_and_regime(fixture_warehouse):
    rows = fixture_warehouse(
        "select unit_id, cast(lost_month as varchar), process_regime, lost_count, "
        "with_reason_code_count, with_evidence_count, traceable_count, traceability_rate "
        "from marts.fct_loss_reason_traceability where unit_id in ('hq', 't1', 't2') "
        "order by unit_id, lost_month, process_regime"
    )
    assert rows == [
        ("hq", "2026-02-01", "structured", 1, 1, 1, 1, 1.0),
        ("hq", "2026-02-01", "traditional", 1, 1, 0, 0, 0.0),
        ("hq", "2026-03-01", "structured", 1, 1, 0, 0, 0.0),
        ("hq", "2026-03-01", "traditional", 2, 1, 2, 1, 0.5),
        ("t1", "2026-02-01", "structured", 1, 1, 1, 1, 1.0),
        ("t1", "2026-03-01", "structured", 1, 1, 0, 0, 0.0),
        ("t2", "2026-02-01", "traditional", 1, 1, 0, 0, 0.0),
        ("t2", "2026-03-01", "traditional", 2, 1, 2, 1, 0.5),
    ]


def test_mixes_side_by_side_roll_up_to_hq(fixture_warehouse):
    rows = fixture_warehouse(
        "select cast(lost_month as varchar), reason_code, stated_count, stated_share, "
        "evidence_count, evidence_share from marts.fct_loss_reason_mix_monthly "
        "where unit_id = 'hq' and (stated_count > 0 or evidence_count > 0) "
        "order by lost_month, reason_code"
    )
    assert rows == [
        ("2026-02-01", "it_fit", 0, 0.0, 1, 1.0),
        ("2026-02-01", "price", 2, 1.0, 0, 0.0),
        ("2026-03-01", "budget", 1, 0.5, 0, 0.0),
        ("2026-03-01", "it_fit", 0, 0.0, 1, 0.5),
        ("2026-03-01", "price", 1, 0.5, 0, 0.0),
        ("2026-03-01", "timing", 0, 0.0, 1, 0.5),
    ]
    # every code of the seed is listed, zero rows included
    assert fixture_warehouse(
        "select count(distinct reason_code) from marts.fct_loss_reason_mix_monthly"
    ) == [(8,)]


# ------------------------------------------------------------------ planted worlds


def _total_variation(a: pd.Series, b: pd.Series) -> float:
    index = a.index.union(b.index)
    return 0.5 * float(
        (a.reindex(index, fill_value=0) - b.reindex(index, fill_value=0)).abs().sum()
    )


def _window_start(world) -> str:
    return world.truth["generator"]["start_date"]


@pytest.mark.parametrize("name", WORLDS)
def test_evidence_mix_against_the_planted_true_mix(planted_world, name):
    """Default and alt: the stated mix is planted off by stated_as_price (≈ 0.17 default, ≈ 0.2
    alt in TV); the evidence mix only by sampling noise of ~2,000 attributed losses at scale
    0.25 (the realised true mix itself is ≈ 0.01–0.02 from the planted one): 0.05 leaves room
    for it, and the evidence must beat the stated mix by 0.1.

    Field: its notes and chat paraphrase the evidence (synonyms, typos, traditional
    characters, indirect talk), and the matcher recognises some reasons far better than
    others (coverage of planted evidence per true reason, measured: IT fit ≈ 0.95, other
    0.85, price and budget ≈ 0.55, competitor and relationship ≈ 0.4, requirement mismatch
    0.2, timing 0.1), so the evidence mix over-weights IT fit (0.35 vs 0.18) and the stated
    mix (TV 0.116) is still closer to the truth than the evidence mix (measured 0.19; 0.24
    with the chat dictionary before its paraphrase rules). The bar is what the method
    honestly reaches, kept below the substring matcher's 0.265 on this world (TV < 0.25): a
    regression to it fails. What the evidence does get right, and a manager needs: its price
    share is within 0.05 of the truth (measured 0.25 vs 0.22), so it shows that the stated
    mix over-reports price — the world plants ≈ 0.11 of over-report (stated 0.33), so the
    stated share must exceed the evidence one by 0.05."""
    world = planted_world(name)
    truth = world.truth["loss_reasons"]
    mix = world.query(
        "select reason_code, sum(stated_count) as stated, sum(evidence_count) as evidence "
        "from marts.fct_loss_reason_mix_monthly as mix "
        "join marts.dim_org_units as units using (unit_id) "
        "where units.level = 'hq' and mix.lost_month >= cast(? as date) group by reason_code",
        [_window_start(world)],
    ).set_index("reason_code")
    stated = mix["stated"] / mix["stated"].sum()
    evidence = mix["evidence"] / mix["evidence"].sum()
    planted = pd.Series(truth["planted"]["true_mix"], dtype=float)
    planted = planted / planted.sum()
    stated_distance = _total_variation(stated, planted)
    evidence_distance = _total_variation(evidence, planted)
    print(
        f"{name}: TV(stated, planted true) = {stated_distance:.4f}, "
        f"TV(evidence, planted true) = {evidence_distance:.4f}"
    )
    if name == "field":
        assert evidence_distance < 0.25
        assert abs(evidence["price"] - planted["price"]) < 0.05
        assert stated["price"] > evidence["price"] + 0.05
        return
    # the article's direction: the stated mix over-reports price, the evidence finds IT fit
    assert stated["price"] > evidence["price"] + 0.1
    assert evidence_distance < 0.05
    assert stated_distance > evidence_distance + 0.1
    assert abs(evidence["it_fit"] - planted["it_fit"]) < 0.03


FIELD_COVERAGE = 0.40
"""Share of the field world's lost deals with planted evidence that get an evidence reason.

Measured 0.52 with the dictionary matcher on notes and chat (0.43 with the chat dictionary
before its paraphrase rules; the substring matcher on notes: 0.35). The ceiling is the
matcher's recall of the field world's paraphrases, which this bar does not hide: per true
reason the measured coverage runs from IT fit ≈ 0.95 down to requirement mismatch 0.2 and
timing 0.1. A manager can read an attributed reason as right (accuracy ≥ 0.95 on every world)
but not the mix of the ones left unattributed. 0.40 is what the method reaches with either
dictionary, above the old method's 0.35."""


@pytest.mark.parametrize("name", WORLDS)
def test_evidence_reason_matches_the_true_reason(planted_world, name):
    """Planted evidence names the true reason; weak signals (兼容?, 竞品) and talk that won deals
    have too are planted independently of it and must not decide: accuracy ≥ 0.95 (a few
    mixed-signal deals) and at most 2% of deals without planted evidence attributed, on every
    world (field measured: 0.97 and 0.003; the substring matcher: 0.954 and 0.001). Coverage of
    planted evidence: default/alt ≥ 0.98 (their text uses the dictionary's words); field ≥
    FIELD_COVERAGE (see there)."""
    world = planted_world(name)
    lost = world.query(
        "select opportunity_id, evidence_reason_code from marts.fct_lost_opportunity_reasons "
        "where lost_at >= cast(? as timestamp)",
        [_window_start(world)],
    )
    truth = world.truth_csv("lost_opportunities")
    merged = lost.merge(truth, on="opportunity_id", how="inner", validate="one_to_one")
    assert len(merged) == world.truth["loss_reasons"]["lost_opportunities"] == len(lost)
    attributed = merged[merged["evidence_reason_code"].notna()]
    accuracy = float((attributed["evidence_reason_code"] == attributed["true_reason"]).mean())
    with_evidence = merged["has_evidence"].astype(bool)
    coverage = float(merged.loc[with_evidence, "evidence_reason_code"].notna().mean())
    false_attribution = float(merged.loc[~with_evidence, "evidence_reason_code"].notna().mean())
    print(
        f"{name}: accuracy {accuracy:.4f} over {len(attributed)} attributed of {len(merged)} lost; "
        f"coverage of planted evidence {coverage:.4f}; attributed without planted evidence "
        f"{false_attribution:.4f}"
    )
    assert accuracy >= 0.95
    assert coverage >= (FIELD_COVERAGE if name == "field" else 0.98)
    assert false_attribution <= 0.02


@pytest.mark.parametrize("name", WORLDS)
def test_traceability_per_regime_is_recovered(planted_world, name):
    """Same definition as simulator/truth.py. Default/alt: the regime of an opportunity follows
    its current owner's team here and its first owner's there (owners move within a team
    only), so the two agree up to rounding: ±0.01, and structured teams are more traceable by
    0.3.

    Field: a deal is traceable only when the evidence is recognised, so the measured rate is
    the realised one × the coverage of planted evidence (FIELD_COVERAGE): each regime must
    reach FIELD_COVERAGE × its realised rate and never exceed it (+0.01: no traceability
    invented), and the regime gap must show (structured > traditional + 0.15; realised gap
    ≈ 0.56, × coverage 0.4 ≈ 0.23; measured 0.49 vs 0.16, the substring matcher 0.33 vs
    0.12)."""
    world = planted_world(name)
    realised = world.truth["loss_reasons"]["realised_traceability"]
    rows = world.query(
        "select process_regime, sum(traceable_count) as traceable, sum(lost_count) as lost "
        "from marts.fct_loss_reason_traceability as t "
        "join marts.dim_org_units as units using (unit_id) "
        "where units.level = 'hq' and t.lost_month >= cast(? as date) group by process_regime",
        [_window_start(world)],
    ).set_index("process_regime")
    measured = rows["traceable"] / rows["lost"]
    print(f"{name}: traceability measured {measured.round(4).to_dict()} realised {realised}")
    if name == "field":
        for regime in ("traditional", "structured"):
            assert FIELD_COVERAGE * realised[regime] <= measured[regime] <= realised[regime] + 0.01
        assert measured["structured"] > measured["traditional"] + 0.15
        return
    for regime in ("traditional", "structured"):
        assert measured[regime] == pytest.approx(realised[regime], abs=0.01)
    assert measured["structured"] > measured["traditional"] + 0.3
