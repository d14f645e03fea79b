"""The 效能对比 page from the entry point, against hand-written fct_efficiency_comparison rows.

r-east carries the article's figures (±22% → ±7%, 86 → 62 days, 41% → 69%, 33% → 89%,
15% → 74%); c-sh and c-bj have their own, so a city manager's page can be told apart.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, AS_OF, sign_in, write_rows

PAGE = "app_pages/efficiency.py"

KPIS = [
    # kpi, sort_order, label_zh, label_en, unit, better_direction
    (
        "attainment_volatility_pp",
        1,
        "月度达成率波动",
        "Monthly attainment volatility",
        "pp",
        "lower",
    ),
    ("lead_to_sign_days", 2, "线索到签约周期", "Lead-to-sign cycle", "days", "lower"),
    ("new_rep_retention_90d", 3, "新人3个月留存率", "New-rep 3-month retention", "share", "higher"),
    (
        "loss_reason_traceability",
        4,
        "丢单原因可追溯率",
        "Loss-reason traceability",
        "share",
        "higher",
    ),
    (
        "best_practice_reuse_rate",
        5,
        "最佳实践复用率",
        "Best-practice reuse rate",
        "share",
        "higher",
    ),
]

# unit_id: per KPI (traditional, structured, traditional sample, structured sample, label, improves)
VALUES = {
    "r-east": [
        (22.0, 7.0, 282, 304, "↓ 68.2%", True),
        (86.0, 62.0, 2305, 1597, "↓ 27.9%", True),
        (0.41, 0.69, 26, 9, "↑ 68.3%", True),
        (0.33, 0.89, 1981, 1091, "↑ 169.7%", True),
        (0.15, 0.74, 4286, 3182, "↑ 393.3%", True),
    ],
    "c-sh": [
        (20.0, 10.0, 100, 90, "↓ 50.0%", True),
        (80.0, 70.0, 500, 400, "↓ 12.5%", True),
        (0.5, 0.25, 4, 4, "↓ 50.0%", False),
        (0.3, 0.9, 300, 200, "↑ 200.0%", True),
        (0.2, 0.8, 700, 600, "↑ 300.0%", True),
    ],
    "c-bj": [
        (30.0, None, 50, 0, None, None),
        (99.0, None, 450, 0, None, None),
        (0.6, None, 5, 0, None, None),
        (0.4, None, 100, 0, None, None),
        (0.1, None, 800, 0, None, None),
    ],
}


def _write_efficiency(con: duckdb.DuckDBPyConnection) -> None:
    rows = []
    for unit_id, values in VALUES.items():
        for (kpi, order, zh, en, unit, better), (old, new, n_old, n_new, label, improves) in zip(
            KPIS, values, strict=True
        ):
            change = None if new is None else new - old
            rows.append(
                {
                    "unit_id": unit_id,
                    "unit_name": unit_id,
                    "scope_level": "region",
                    "kpi": kpi,
                    "sort_order": order,
                    "label_zh": zh,
                    "label_en": en,
                    "unit": unit,
                    "better_direction": better,
                    "traditional_value": old,
                    "structured_value": new,
                    "traditional_sample": n_old,
                    "structured_sample": n_new,
                    "change_abs": change,
                    "change_pct": None if change is None else change / abs(old),
                    "direction": None if label is None else label[0],
                    "is_improvement": improves,
                    "change_label": label,
                    "as_of": AS_OF,
                }
            )
    write_rows(con, "marts.fct_efficiency_comparison", rows)


@pytest.fixture
def published(salesops_home, build_snapshot):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(_write_efficiency,))
    return salesops_home


pytestmark = pytest.mark.usefixtures("published")


def open_page(username: str) -> AppTest:
    app = sign_in(AppTest.from_file(APP, default_timeout=60), username)
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def metrics(app: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in app.metric}


def test_a_region_shows_the_article_table_with_changes_samples_and_chart() -> None:
    app = open_page("east")
    assert app.title[0].value == "效能对比"
    assert metrics(app) == {
        "月度达成率波动": ("±22.0% → ±7.0%", "↓ 68.2%"),
        "线索到签约周期": ("86 天 → 62 天", "↓ 27.9%"),
        "新人3个月留存率": ("41.0% → 69.0%", "↑ 68.3%"),
        "丢单原因可追溯率": ("33.0% → 89.0%", "↑ 169.7%"),
        "最佳实践复用率": ("15.0% → 74.0%", "↑ 393.3%"),
    }
    table = app.dataframe[0].value
    assert list(table.columns) == [
        "指标",
        "传统模式",
        "结构化模式",
        "变化",
        "变化量",
        "改善方向",
        "传统样本量",
        "结构化样本量",
    ]
    assert table.iloc[1].tolist() == [
        "线索到签约周期",
        "86 天",
        "62 天",
        "↓ 27.9%",
        "-24 天",
        "越低越好",
        2305,
        1597,
    ]
    assert table["变化量"].tolist()[0] == "-15.0个百分点"
    assert table["变化量"].tolist()[2] == "+28.0个百分点"
    assert table["结构化样本量"].tolist() == [304, 1597, 9, 1091, 3182]
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    bars = {(trace["xaxis"], trace["name"]): trace["y"][0] for trace in spec["data"]}
    assert bars[("x2", "传统模式")] == 86.0 and bars[("x2", "结构化模式")] == 62.0
    assert bars[("x5", "结构化模式")] == pytest.approx(0.74)
    assert "结构化样本量: 3,182" in spec["data"][9]["hovertemplate"]


def test_english_labels_and_units() -> None:
    app = open_page("east")
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Efficiency comparison"
    assert metrics(app)["Lead-to-sign cycle"] == ("86 days → 62 days", "↓ 27.9%")
    assert metrics(app)["New-rep 3-month retention"] == ("41.0% → 69.0%", "↑ 68.3%")
    table = app.dataframe[0].value
    assert table["KPI"].tolist()[0] == "Monthly attainment volatility"
    assert table["Difference"].tolist()[:3] == ["-15.0 pp", "-24 days", "+28.0 pp"]


def test_a_city_manager_sees_their_city_only_and_an_empty_team_says_so() -> None:
    app = open_page("sh")
    shown = metrics(app)
    assert shown["线索到签约周期"] == ("80 天 → 70 天", "↓ 12.5%")
    assert shown["新人3个月留存率"] == ("50.0% → 25.0%", "↓ 50.0%")
    cells = app.dataframe[0].value.to_string()
    assert "99 天" not in cells and "86 天" not in cells  # c-bj's and r-east's rows
    app.sidebar.selectbox(key="scope_unit_id").set_value("t-sh1").run()
    assert not app.exception
    assert [i.value for i in app.info] == ["该范围内暂无数据。"]
    assert not app.metric and not app.dataframe


def test_a_unit_without_structured_data_shows_dashes_and_a_rep_sees_no_unit_totals() -> None:
    app = open_page("bj")
    assert metrics(app)["线索到签约周期"] == ("99 天 → —", "")
    assert "该范围还没有结构化模式的数据，变化无法计算。" in [i.value for i in app.info]
    rep = open_page("rep")
    assert not rep.metric and not rep.dataframe
    assert "此部分为团队汇总，仅对经理可见。" in [c.value for c in rep.caption]
