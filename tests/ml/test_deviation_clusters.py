"""Deviation-reason clustering (issue 6, item 3): jieba tokens → TF-IDF + LSA → KMeans, clusters
labelled by their top terms and linked to the SOP cards of their scenario.

* hand texts of three scenarios (two with a card, one without) → three pure clusters, each
  card linked to its own cluster only, the card-less scenario linked to nothing;
* the asset writes its three files (empty with their schema when there is nothing to do);
* the planted worlds: the simulator writes each report from one scenario
  (truth.json ``deviation_reasons``, ``truth/deviation_reports.csv``); the clusters are pure and
  each scenario's cluster links its scenario's card first.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd
import pytest

from ml.deviation_reasons.cluster import cluster_reasons, purity
from ml.deviation_reasons.extract import ASSIGNMENTS, CARD_LINKS, CLUSTERS, TABLES
from orchestration.defs.models.deviation_reasons import (
    deviation_reason_clusters,
    deviation_reasons_key,
)
from orchestration.resources import SalesopsHome

TEXTS = {
    "R1": "竞品突然低价抢单",
    "R2": "竞品推出低价套餐,客户观望",
    "R3": "竞品低价冲击,需总部支持",
    "R4": "竞品低价冲击",
    "R5": "我方交付延期,客户暂停采购",
    "R6": "备货不足导致交付延期",
    "R7": "实施排期不足,交付延期",
    "R8": "交付延期,需总部支持",
    "R9": "春节假期客户停工",
    "R10": "客户工厂停工检修",
    "R11": "节假日停工,签约顺延",
    "R12": "",
}
SCENARIO = {
    **dict.fromkeys(["R1", "R2", "R3", "R4"], "competitor"),
    **dict.fromkeys(["R5", "R6", "R7", "R8"], "delivery"),
    **dict.fromkeys(["R9", "R10", "R11"], "holiday"),
}
_CARDS = (
    ("S1", "竞品低价冲击应对", "商务谈判"),
    ("S2", "交付延期安抚", "合同审批"),
    ("S3", "首次电话破冰", "线索"),
    ("S4", "老客户增购谈判", "商务谈判"),
)
CARDS = pd.DataFrame(
    {
        "card_id": [c for c, _, _ in _CARDS],
        "title": [t for _, t, _ in _CARDS],
        "scenario": [f"各行业客户处于{s}阶段,遇到「{t}」场景时使用" for _, t, s in _CARDS],
    }
)
REPORTS = pd.DataFrame({"report_id": list(TEXTS), "reason_text": list(TEXTS.values())})


@pytest.fixture(scope="module")
def hand_result():
    return cluster_reasons(REPORTS, CARDS)


def test_three_scenarios_give_three_pure_clusters(hand_result):
    assert hand_result.k == 3
    assigned = hand_result.assignments.set_index("report_id")["cluster_id"]
    assert "R12" not in assigned.index  # an empty text is not clustered
    groups = {
        s: set(assigned[[r for r, k in SCENARIO.items() if k == s]])
        for s in ("competitor", "delivery", "holiday")
    }
    assert all(len(g) == 1 for g in groups.values())
    assert len(set().union(*groups.values())) == 3
    assert purity(assigned, [SCENARIO[r] for r in assigned.index]) == 1.0


def test_clusters_are_labelled_by_their_top_terms(hand_result):
    clusters = hand_result.clusters.set_index("cluster_id")
    assigned = hand_result.assignments.set_index("report_id")["cluster_id"]
    competitor, delivery, holiday = (assigned[r] for r in ("R1", "R5", "R9"))
    assert set(clusters.loc[competitor, "label"].split(" / ")) == {"低价", "竞品", "冲击"}
    assert clusters.loc[delivery, "label"].split(" / ")[:2] == ["交付", "延期"]
    assert clusters.loc[holiday, "top_terms"].split("|")[0] == "停工"
    assert clusters["report_count"].to_dict() == {
        competitor: 4,
        delivery: 4,
        holiday: 3,
    }
    # ids by size, then by first text: stable from run to run
    assert list(clusters.index) == [1, 2, 3]


def test_each_card_is_linked_to_its_scenario_only(hand_result):
    assigned = hand_result.assignments.set_index("report_id")["cluster_id"]
    links = hand_result.card_links
    assert sorted(
        zip(links["cluster_id"], links["card_id"], links["link_rank"], strict=True)
    ) == sorted([(assigned["R1"], "S1", 1), (assigned["R5"], "S2", 1)])
    by_card = links.set_index("card_id")
    assert set(by_card.loc["S1", "matched_terms"].split("|")) == {"低价", "竞品", "冲击"}
    assert by_card.loc["S2", "matched_terms"] == "交付|延期"
    # the generic scenario words (客户, 阶段, 场景, 商务谈判 …) never link a card
    assert assigned["R9"] not in set(links["cluster_id"])


def test_clustering_is_deterministic():
    first = cluster_reasons(REPORTS, CARDS)
    again = cluster_reasons(REPORTS.sample(frac=1.0, random_state=3), CARDS)
    pd.testing.assert_frame_equal(first.assignments, again.assignments)
    pd.testing.assert_frame_equal(first.card_links, again.card_links)


def _write_bronze(home, reports: pd.DataFrame, cards: pd.DataFrame) -> None:
    (home / "bronze").mkdir(parents=True)
    con = duckdb.connect()
    try:
        con.register("reports", reports)
        con.register("cards", cards)
        con.execute(
            f"copy (select * from reports) to '{home}/bronze/deviation_reports.parquet' (format parquet)"
        )
        con.execute(
            f"copy (select * from cards) to '{home}/bronze/sop_cards.parquet' (format parquet)"
        )
    finally:
        con.close()


def test_asset_writes_the_three_files(tmp_path):
    _write_bronze(tmp_path, REPORTS, CARDS)
    result = dg.materialize(
        [deviation_reason_clusters], resources={"salesops_home": SalesopsHome(home=str(tmp_path))}
    )
    assert result.success
    materializations = result.asset_materializations_for_node("deviation_reason_clusters")
    assert {m.asset_key for m in materializations} == {deviation_reasons_key(t) for t in TABLES}
    assert all(m.metadata["clusters"].value == 3 for m in materializations)
    rows = {m.asset_key.path[-1]: m.metadata["dagster/row_count"].value for m in materializations}
    assert rows["deviation_reason_clusters"] == 3
    con = duckdb.connect()
    counts = {
        t: con.execute(f"select count(*) from '{tmp_path}/signals/{t}.parquet'").fetchone()[0]
        for t in TABLES
    }
    assert counts == {CLUSTERS: 3, ASSIGNMENTS: 11, CARD_LINKS: 2}


def test_a_past_as_of_clusters_only_what_was_known_by_that_day(tmp_path):
    """`salesops run --as-of D` rebuilds D's clusters: reports submitted and cards created after
    D take no part (the holiday reports and card S1 arrive the day after)."""
    reports = REPORTS.assign(submitted_at=pd.Timestamp("2026-03-31 23:30"))
    reports.loc[reports["report_id"].isin(["R9", "R10", "R11"]), "submitted_at"] = pd.Timestamp(
        "2026-04-01 08:00"
    )
    cards = CARDS.assign(created_at=pd.Timestamp("2026-01-05 10:00"))
    cards.loc[cards["card_id"] == "S1", "created_at"] = pd.Timestamp("2026-04-01 09:00")
    _write_bronze(tmp_path, reports, cards)
    result = dg.materialize(
        [deviation_reason_clusters],
        resources={"salesops_home": SalesopsHome(home=str(tmp_path))},
        run_config={"ops": {"deviation_reason_clusters": {"config": {"as_of": "2026-03-31"}}}},
    )
    assert result.success
    con = duckdb.connect()
    assigned = {
        r
        for (r,) in con.execute(
            f"select report_id from '{tmp_path}/signals/{ASSIGNMENTS}.parquet'"
        ).fetchall()
    }
    linked = {
        c
        for (c,) in con.execute(
            f"select card_id from '{tmp_path}/signals/{CARD_LINKS}.parquet'"
        ).fetchall()
    }
    assert assigned == {f"R{i}" for i in range(1, 9)}
    assert linked == {"S2"}


def test_no_reports_writes_empty_files_with_their_schema(tmp_path):
    _write_bronze(
        tmp_path,
        pd.DataFrame(
            {"report_id": pd.Series([], dtype=str), "reason_text": pd.Series([], dtype=str)}
        ),
        CARDS,
    )
    result = dg.materialize(
        [deviation_reason_clusters], resources={"salesops_home": SalesopsHome(home=str(tmp_path))}
    )
    assert result.success
    con = duckdb.connect()
    columns = con.execute(
        f"select column_name, column_type from (describe select * from '{tmp_path}/signals/{CARD_LINKS}.parquet')"
    ).fetchall()
    assert columns == [
        ("cluster_id", "BIGINT"),
        ("card_id", "VARCHAR"),
        ("link_rank", "BIGINT"),
        ("link_score", "DOUBLE"),
        ("matched_terms", "VARCHAR"),
    ]
    assert con.execute(
        f"select count(*) from '{tmp_path}/signals/{CLUSTERS}.parquet'"
    ).fetchone() == (0,)


@pytest.mark.parametrize("name", ["default", "alt", "field"])
def test_planted_scenarios_are_recovered_and_linked(planted_world, name):
    world = planted_world(name)
    scenarios = world.truth["deviation_reasons"]["scenarios"]
    truth = world.truth_csv("deviation_reports")
    reports = world.query("select report_id, cluster_id from marts.fct_deviation_reports_clustered")
    merged = reports.merge(truth, on="report_id", how="inner", validate="one_to_one")
    assert len(merged) == len(reports) > 0
    cluster_purity = purity(merged["cluster_id"], merged["scenario"])
    scenario_purity = purity(merged["scenario"], merged["cluster_id"])
    print(
        f"{name}: cluster purity {cluster_purity:.4f}, scenario completeness {scenario_purity:.4f}"
    )
    # Phrasings of a scenario share its core words, and the boilerplate suffixes (需总部支持 …)
    # cut across scenarios: 0.9 leaves room for a stray phrasing, not for mixed clusters.
    # The field world is held to the same bar, but it does not make the task harder: its
    # reports come from the same scenario phrasings as the other worlds (95 distinct texts
    # over 610 reports, as in default), so its 1.0 says nothing about reports that rephrase
    # a scenario in other words.
    assert cluster_purity >= 0.9
    assert scenario_purity >= 0.9
    clusters = world.query(
        "select cluster_id, top_card_title, linked_card_count from marts.fct_deviation_reason_clusters"
    ).set_index("cluster_id")
    home_cluster = merged.groupby("scenario")["cluster_id"].agg(lambda s: s.value_counts().index[0])
    for scenario, spec in scenarios.items():
        cluster = clusters.loc[home_cluster[scenario]]
        if spec["sop_title"] is None:
            assert cluster["linked_card_count"] == 0, scenario
        else:
            assert cluster["top_card_title"] == spec["sop_title"], scenario
