"""The loss-attribution page (丢单归因), driven from the entry point against hand-written marts.

华东大区 (r-east) lost deals in Sep and Oct 2026; the pooled shares of the two months are
worked out by hand below (not the mean of the monthly shares): stated price 12/30 = 40.0%,
evidence IT-fit 15/25 = 60.0%; traceability traditional 5/15 = 33.3%, structured 13/15 = 86.7%.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, write_rows
from tests.dashboards.conftest import sign_in as _sign_in

LOSS_PAGE = "app_pages/loss.py"
SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
LABELS = {
    "it_fit": ("方案与客户IT不匹配", "Offer did not fit the customer's IT", 1),
    "price": ("价格", "Price", 2),
    "competitor": ("竞争对手", "Competitor", 3),
}
# unit, month: {reason: (stated_count, evidence_count)}, stated_total, evidence_total
MIX = {
    ("r-east", SEP): ({"price": (6, 1), "it_fit": (1, 5), "competitor": (3, 2)}, 10, 8),
    ("r-east", OCT): ({"price": (6, 3), "it_fit": (8, 10), "competitor": (6, 4)}, 20, 17),
    ("c-sh", OCT): ({"price": (2, 0), "it_fit": (1, 2), "competitor": (0, 0)}, 3, 2),
    ("c-bj", OCT): ({"price": (0, 0), "it_fit": (0, 0), "competitor": (9, 9)}, 9, 9),
}
# unit, month, regime: lost, with code, with evidence, traceable
TRACE = [
    ("r-east", SEP, "traditional", 10, 6, 5, 3),
    ("r-east", OCT, "traditional", 5, 3, 3, 2),
    ("r-east", OCT, "structured", 15, 14, 14, 13),
    ("c-sh", OCT, "structured", 3, 3, 2, 2),
    ("c-bj", OCT, "traditional", 9, 9, 9, 9),
]
# opportunity, rep, team, customer, amount, lost at, stated, evidence, evidence records
DEALS = [
    (
        "o-1",
        "s-001",
        "t-sh1",
        "上海浦江机械有限公司",
        123456.0,
        dt.datetime(2026, 10, 20, 9),
        "price",
        "it_fit",
        2,
    ),
    (
        "o-2",
        "s-002",
        "t-sh1",
        "上海申达物流有限公司",
        50000.0,
        dt.datetime(2026, 9, 3, 15),
        "it_fit",
        None,
        0,
    ),
    (
        "o-9",
        "s-101",
        "t-bj1",
        "北京燕山化工有限公司",
        777000.0,
        dt.datetime(2026, 10, 5, 11),
        "competitor",
        "competitor",
        1,
    ),
]


def _write_loss_marts(con: duckdb.DuckDBPyConnection) -> None:
    write_rows(
        con,
        "marts.fct_loss_reason_mix_monthly",
        [
            {
                "unit_id": unit,
                "lost_month": month,
                "reason_code": reason,
                "label_zh": LABELS[reason][0],
                "label_en": LABELS[reason][1],
                "sort_order": LABELS[reason][2],
                "stated_count": stated,
                "stated_total": stated_total,
                "evidence_count": evidence,
                "evidence_total": evidence_total,
                "stated_share": stated / stated_total,
                "evidence_share": evidence / evidence_total,
            }
            for (unit, month), (counts, stated_total, evidence_total) in MIX.items()
            for reason, (stated, evidence) in counts.items()
        ],
    )
    write_rows(
        con,
        "marts.fct_loss_reason_traceability",
        [
            {
                "unit_id": unit,
                "lost_month": month,
                "process_regime": regime,
                "lost_count": lost,
                "with_reason_code_count": code,
                "with_evidence_count": evidence,
                "traceable_count": traceable,
                "traceability_rate": traceable / lost,
                "reason_code_rate": code / lost,
                "evidence_rate": evidence / lost,
            }
            for unit, month, regime, lost, code, evidence, traceable in TRACE
        ],
    )
    write_rows(
        con,
        "marts.fct_lost_opportunity_reasons",
        [
            {
                "opportunity_id": opportunity,
                "owner_rep_id": rep,
                "team_id": team,
                "stated_reason_code": stated,
                "stated_reason_text": f"{stated} 说明",
                "evidence_reason_code": evidence,
                "evidence_count": records,
                "is_traceable": records > 0,
                "stated_matches_evidence": None if evidence is None else stated == evidence,
                "lost_at": lost_at,
                "lost_month": lost_at.date().replace(day=1),
            }
            for opportunity, rep, team, _, _, lost_at, stated, evidence, records in DEALS
        ],
    )
    write_rows(
        con,
        "marts.dim_opportunities",
        [
            {
                "opportunity_id": opportunity,
                "owner_rep_id": rep,
                "team_id": team,
                "customer_name": customer,
                "amount": amount,
            }
            for opportunity, rep, team, customer, amount, *_ in DEALS
        ],
    )
    write_rows(
        con,
        "marts.fct_loss_reason_evidence",
        [
            {
                "opportunity_id": "o-1",
                "source_kind": "activity_note",
                "source_record_id": "a-1",
                "loss_reason": "it_fit",
                "weight": 3.0,
                "matched_terms": "系统对接|接口",
                "supports_evidence_reason": True,
                "supports_stated_reason": False,
                "evidence_text": "演示时客户说系统对接有问题",
                "evidence_at": dt.datetime(2026, 10, 12, 16, 30),
            },
            {
                "opportunity_id": "o-1",
                "source_kind": "chat_message",
                "source_record_id": "m-1",
                "loss_reason": "price",
                "weight": 0.5,
                "matched_terms": "价格",
                "supports_evidence_reason": False,
                "supports_stated_reason": True,
                "evidence_text": "价格再便宜点吧",
                "evidence_at": dt.datetime(2026, 10, 1, 10, 0),
            },
            {
                "opportunity_id": "o-9",
                "source_kind": "chat_message",
                "source_record_id": "m-9",
                "loss_reason": "competitor",
                "weight": 2.0,
                "matched_terms": "竞品",
                "supports_evidence_reason": True,
                "supports_stated_reason": True,
                "evidence_text": "北京的竞品报价更低",
                "evidence_at": dt.datetime(2026, 10, 2, 10, 0),
            },
        ],
    )


@pytest.fixture
def published(salesops_home, build_snapshot):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(_write_loss_marts,))
    return salesops_home


pytestmark = pytest.mark.usefixtures("published")


def open_loss(username: str, language: str = "zh") -> AppTest:
    app = _sign_in(AppTest.from_file(APP, default_timeout=60), username)
    app.session_state["language"] = language
    app.run()
    app.switch_page(LOSS_PAGE).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def table(app: AppTest, first_column: str):
    frames = [df.value for df in app.dataframe if df.value.columns[0] == first_column]
    assert frames, [list(df.value.columns) for df in app.dataframe]
    return frames[0]


def test_region_shows_pooled_stated_vs_evidence_and_traceability() -> None:
    app = open_loss("east")
    assert app.title[0].value == "丢单归因"
    assert metrics(app) == {
        "填报最多的原因": "价格 40.0%",
        "证据最多指向的原因": "方案与客户IT不匹配 60.0%",
        "可追溯率 · 传统模式": "33.3%",
        "可追溯率 · 结构化模式": "86.7%",
    }
    mix = table(app, "原因")
    assert mix["原因"].tolist() == ["方案与客户IT不匹配", "价格", "竞争对手"]
    assert mix["填报单数"].tolist() == [9, 12, 9]
    assert mix["填报占比"].tolist() == pytest.approx([30.0, 40.0, 30.0])
    assert mix["证据占比"].tolist() == pytest.approx([60.0, 16.0, 24.0])
    assert mix["证据 − 填报"].tolist() == pytest.approx([30.0, -24.0, -6.0])
    chart = app.get("plotly_chart")[0].proto.spec
    assert '"text":["30.0%","40.0%","30.0%"]' in chart.replace(" ", "")
    assert '"text":["60.0%","16.0%","24.0%"]' in chart.replace(" ", "")
    trace = table(app, "月份")
    assert trace["月份"].tolist() == ["2026年9月", "2026年10月", "2026年10月"]
    assert trace["管理模式"].tolist() == ["传统模式", "传统模式", "结构化模式"]
    deals = table(app, "输单日期")
    assert deals["客户"].tolist() == ["上海浦江机械有限公司", "上海申达物流有限公司"]
    assert deals["销售"].tolist() == ["李娜", "王强"]
    assert deals["金额"].tolist() == [123456.0, 50000.0]
    assert deals["填报原因"].tolist() == ["价格", "方案与客户IT不匹配"]
    assert deals["证据原因"].tolist() == ["方案与客户IT不匹配", "无"]


def test_a_narrower_range_pools_only_its_months_and_a_deal_shows_its_evidence() -> None:
    app = open_loss("east")
    app.select_slider(key="loss.range").set_range(OCT, OCT).run()
    assert not app.exception, app.exception
    assert metrics(app)["填报最多的原因"] == "方案与客户IT不匹配 40.0%"
    assert metrics(app)["证据最多指向的原因"] == "方案与客户IT不匹配 58.8%"
    assert metrics(app)["可追溯率 · 传统模式"] == "40.0%"
    assert table(app, "输单日期")["客户"].tolist() == ["上海浦江机械有限公司"]
    app.session_state["loss.deals"] = {"selection": {"rows": [0], "columns": []}}
    app.run()
    assert "**证据记录：上海浦江机械有限公司**" in [m.value for m in app.markdown]
    evidence = table(app, "时间")
    assert evidence["来源"].tolist() == ["过程记录", "聊天"]
    assert evidence["命中词"].tolist() == ["系统对接、接口", "价格"]
    assert evidence["指向原因"].tolist() == ["方案与客户IT不匹配", "价格"]
    assert evidence["支持填报原因"].tolist() == [False, True]


def test_english_labels_and_values() -> None:
    app = open_loss("east", "en")
    assert app.title[0].value == "Loss attribution"
    assert metrics(app)["Most stated reason"] == "Price 40.0%"
    assert metrics(app)["Traceability · Structured"] == "86.7%"
    deals = table(app, "Lost on")
    assert deals["Stated reason"].tolist() == ["Price", "Offer did not fit the customer's IT"]
    assert deals["Evidence-based reason"].tolist() == [
        "Offer did not fit the customer's IT",
        "none",
    ]


def test_a_city_manager_sees_shanghai_only() -> None:
    app = open_loss("sh")
    assert metrics(app)["证据最多指向的原因"] == "方案与客户IT不匹配 100.0%"
    assert "竞争对手 100.0%" not in metrics(app).values()
    deals = table(app, "输单日期")
    assert "北京燕山化工有限公司" not in deals["客户"].tolist()
    assert deals["客户"].tolist() == ["上海浦江机械有限公司", "上海申达物流有限公司"]


def test_a_rep_sees_only_their_own_deals_and_no_unit_totals() -> None:
    app = open_loss("rep")
    assert not app.metric
    assert [c.value for c in app.caption].count("此部分为团队汇总，仅对经理可见。") == 2
    deals = table(app, "输单日期")
    assert deals["客户"].tolist() == ["上海浦江机械有限公司"]
    assert deals["销售"].tolist() == ["李娜"]


def test_a_scope_without_lost_deals_says_so() -> None:
    app = open_loss("sh")
    app.sidebar.selectbox(key="scope_unit_id").set_value("t-o'brien").run()
    assert not app.exception, app.exception
    assert [i.value for i in app.info] == ["该范围内暂无数据。"]
    assert not app.dataframe


def test_the_filter_lists_deals_whose_stated_reason_the_evidence_contradicts() -> None:
    app = open_loss("east")
    app.segmented_control(key="loss.deals.filter").set_value("mismatch").run()
    assert not app.exception, app.exception
    assert table(app, "输单日期")["客户"].tolist() == ["上海浦江机械有限公司"]
    app.segmented_control(key="loss.deals.filter").set_value("untraceable").run()
    assert table(app, "输单日期")["客户"].tolist() == ["上海申达物流有限公司"]


def test_the_deal_list_keeps_the_latest_and_counts_them_all(published) -> None:
    from dashboards import data
    from dashboards.queries import loss

    snapshot = data.current_snapshot()
    viewer = data.Viewer("east", "华东经理", "manager", "r-east")
    deals = loss.lost_deals(data.Scope(snapshot, viewer, "r-east", "总部 / 华东大区"), limit=1)
    assert deals["opportunity_id"].tolist() == ["o-1"]
    assert deals["total_count"].tolist() == [2]
