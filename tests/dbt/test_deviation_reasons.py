"""Deviation reasons (issue 6, item 3): weekly counts by reason type per unit with the most
frequent ones, and the free-text clusters with their SOP cards, as of as_of.

Hand fixture (as_of 2026-03-31), bronze → the real clustering asset logic → dbt:

    hq ── r1 ─┬─ c1
              └─ c2

    D1 c1 week 2026-03-02 A "客户采购负责人换人,关系需重建"   100
    D2 c1 week 2026-03-02 A "客户对接人换人,关系还没建立"      50
    D3 c1 week 2026-03-02 B "竞品低价冲击,客户观望"            (no amount)
    D4 c2 week 2026-03-04 (a Wednesday → week of 03-02) B "竞品突然低价抢单"  10
    D5 c2 week 2026-03-30, submitted 2026-04-03 (after as_of) C "我方交付延期,客户暂停采购"

    c1: A 2 (most frequent), B 1. r1 and hq: A 2 and B 2 tie, both most frequent.
    Cards: S1 竞品低价冲击应对, S2 客户换人后重建关系 (both 2024), S3 交付延期安抚 created
    2026-04-10 (after as_of: not linked as of 03-31).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
import pytest

AS_OF = "2026-03-31"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "r1", "level": "region", "parent_id": "hq", "name": "华东大区"},
    {"unit_id": "c1", "level": "city", "parent_id": "r1", "name": "上海"},
    {"unit_id": "c2", "level": "city", "parent_id": "r1", "name": "杭州"},
]
_REPORTS = (
    ("D1", "c1", "2026-03-02", "2026-03-06 16:00", "A", "客户采购负责人换人,关系需重建", 100),
    ("D2", "c1", "2026-03-02", "2026-03-06 16:10", "A", "客户对接人换人,关系还没建立", 50),
    ("D3", "c1", "2026-03-02", "2026-03-06 16:20", "B", "竞品低价冲击,客户观望", None),
    ("D4", "c2", "2026-03-04", "2026-03-06 16:30", "B", "竞品突然低价抢单", 10),
    ("D5", "c2", "2026-03-30", "2026-04-03 16:00", "C", "我方交付延期,客户暂停采购", 20),
)
REPORTS = [
    {
        "report_id": report,
        "unit_id": unit,
        "week": date.fromisoformat(week),
        "submitted_at": ts(submitted),
        "reason_type": reason_type,
        "reason_text": text,
        "deviation_amount": amount,
    }
    for report, unit, week, submitted, reason_type, text, amount in _REPORTS
]
_CARDS = (
    ("S1", "竞品低价冲击应对", "negotiation", "2024-05-01 10:00"),
    ("S2", "客户换人后重建关系", "qualified", "2024-05-01 10:00"),
    ("S3", "交付延期安抚", "contract_approval", "2026-04-10 10:00"),
)
CARDS = [
    {
        "card_id": card,
        "title": title,
        "scenario": f"各行业客户处于{stage}阶段,遇到「{title}」场景时使用",
        "must_do": "锁定下一步计划和时间",
        "taboos": "不要贬低竞品",
        "validation_points": "客户提供预算范围",
        "stage": stage,
        "permission_level": "全员",
        "source": "ops",
        "status": "active",
        "created_at": ts(created),
    }
    for card, title, stage, created in _CARDS
]
ROWS = {"org_units": ORG_UNITS, "deviation_reports": REPORTS, "sop_cards": CARDS}


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory, bronze_writer, dbt_in):
    from ml.deviation_reasons.extract import extract_home_deviation_reasons

    root = tmp_path_factory.mktemp("deviation_reasons")
    bronze_writer(root / "bronze", ROWS)
    extract_home_deviation_reasons(root)
    (root / "warehouse").mkdir()
    dbt_in(
        root,
        "build",
        "--select",
        "+path:models/marts/reasons",
        "dim_org_units",
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


def test_weekly_counts_by_type_roll_up_with_the_most_frequent(fixture_warehouse):
    rows = fixture_warehouse(
        "select unit_id, cast(week_start as varchar), reason_type, report_count, week_report_count, "
        "cast(deviation_amount as double), reason_rank, is_most_frequent "
        "from marts.fct_deviation_reasons_weekly where reason_type in ('A', 'B') "
        "order by unit_id, week_start, reason_type"
    )
    assert rows == [
        ("c1", "2026-03-02", "A", 2, 3, 150.0, 1, True),
        ("c1", "2026-03-02", "B", 1, 3, 0.0, 2, False),
        ("c2", "2026-03-02", "A", 0, 1, 0.0, 2, False),
        ("c2", "2026-03-02", "B", 1, 1, 10.0, 1, True),
        ("hq", "2026-03-02", "A", 2, 4, 150.0, 1, True),
        ("hq", "2026-03-02", "B", 2, 4, 10.0, 1, True),
        ("r1", "2026-03-02", "A", 2, 4, 150.0, 1, True),
        ("r1", "2026-03-02", "B", 2, 4, 10.0, 1, True),
    ]
    # D5 was submitted after as_of: its week does not exist yet
    assert fixture_warehouse(
        "select count(*) from marts.fct_deviation_reasons_weekly where week_start > date '2026-03-02'"
    ) == [(0,)]


def test_clusters_group_the_scenarios_and_link_their_cards(fixture_warehouse):
    reports = dict(
        fixture_warehouse("select report_id, cluster_id from marts.fct_deviation_reports_clustered")
    )
    assert set(reports) == {"D1", "D2", "D3", "D4"}
    assert reports["D1"] == reports["D2"] != reports["D3"] == reports["D4"]
    clusters = {
        row[0]: row[1:]
        for row in fixture_warehouse(
            "select cluster_id, report_count, main_reason_type, top_card_id, linked_card_count "
            "from marts.fct_deviation_reason_clusters"
        )
    }
    assert clusters[reports["D1"]] == (2, "A", "S2", 1)
    assert clusters[reports["D3"]] == (2, "B", "S1", 1)
    # the delivery-delay cluster (D5 only) exists, but as of 03-31 has no report and its
    # card S3 did not exist yet
    others = [v for k, v in clusters.items() if k not in (reports["D1"], reports["D3"])]
    assert others == [(0, None, None, 0)]


@pytest.mark.parametrize("name", ["default", "alt", "field"])
def test_planted_weekly_counts_match_the_reports(planted_world, name):
    """Counts are exact in every world, the field world included: its deviation reports arrive
    in the contract's shape, none is quarantined, and each counts once at HQ."""
    world = planted_world(name)
    landing = world.landing / "crm" / "deviation_reports.csv"
    con = duckdb.connect()
    expected = dict(
        con.execute(
            f"select reason_type, count(*) from read_csv('{landing}') group by reason_type"
        ).fetchall()
    )
    hq = world.query(
        "select reason_type, sum(report_count) as reports from marts.fct_deviation_reasons_weekly "
        "join marts.dim_org_units using (unit_id) where level = 'hq' group by reason_type"
    ).set_index("reason_type")["reports"]
    # as_of is the extract's last day and every report is submitted by then: every report counts
    assert hq.to_dict() == expected
    realised = world.truth["events"]["realised_deviation_reason_mix"]
    share = hq / hq.sum()
    for reason_type, value in realised.items():
        assert share[reason_type] == pytest.approx(value, abs=1e-4)
    flags = world.query(
        "select count(*) as weeks, sum(case when is_most_frequent then 1 else 0 end) as flagged "
        "from marts.fct_deviation_reasons_weekly"
    )
    assert flags.loc[0, "flagged"] >= flags.loc[0, "weeks"] / 4  # every unit-week has a top reason
