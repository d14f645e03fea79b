"""The funnel page, driven from the entry point against the fixture warehouse."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("published")

FUNNEL_PAGE = "app_pages/funnel.py"


def open_funnel(app: AppTest) -> AppTest:
    app.run()
    app.switch_page(FUNNEL_PAGE).run()
    assert not app.exception, app.exception
    return app


def metric(app: AppTest, label: str) -> str:
    values = [m.value for m in app.metric if m.label == label]
    assert values, f"no metric {label!r} among {[m.label for m in app.metric]}"
    return values[0]


def choose_scope(app: AppTest, unit_id: str) -> AppTest:
    app.sidebar.selectbox(key="scope_unit_id").set_value(unit_id).run()
    assert not app.exception, app.exception
    return app


def test_hq_kpis_come_from_the_hq_summary_row(app: AppTest) -> None:
    open_funnel(app)
    assert app.title[0].value == "销售漏斗"
    assert app.sidebar.selectbox(key="scope_unit_id").value == "hq"
    assert metric(app, "商机数") == "100"
    assert metric(app, "赢率（按数量）") == "42.9%"
    assert metric(app, "线索到签约周期（中位数，天）") == "62"
    assert metric(app, "签约数") == "30"


def test_the_header_shows_the_snapshot_dates(app: AppTest) -> None:
    open_funnel(app)
    assert app.caption[0].value == "数据截至 2026年11月26日 · 发布于 2026年11月27日 06:05"


def test_stage_table_lists_the_mart_rows_in_funnel_order(app: AppTest) -> None:
    open_funnel(app)
    table = app.dataframe[0].value
    assert list(table.columns) == [
        "阶段",
        "到达数",
        "推进数",
        "转化率",
        "停留天数（中位数）",
        "在途",
        "输单",
    ]
    assert table["阶段"].tolist() == ["线索", "需求确认", "方案报价", "商务谈判", "合同审批"]
    assert table["到达数"].tolist() == [100, 92, 85, 76, 40]
    assert table["推进数"].tolist() == [92, 85, 76, 40, 30]
    assert table["转化率"].iloc[0] == pytest.approx(0.92)
    assert table["停留天数（中位数）"].tolist() == [4.0, 5.0, 6.0, 7.0, 8.0]


def test_funnel_chart_plots_reached_counts_with_conversion(app: AppTest) -> None:
    open_funnel(app)
    chart = app.get("plotly_chart")[0].proto
    assert '"x":[100,92,85,76,40]' in chart.spec.replace(" ", "")
    assert "转化率 92.0%" in chart.spec


def test_switching_scope_to_a_team_shows_its_figures(app: AppTest) -> None:
    open_funnel(app)
    choose_scope(app, "t-sh1")
    assert metric(app, "线索到签约周期（中位数，天）") == "86"
    assert metric(app, "商机数") == "20"
    assert app.caption[1].value == "总部 / 华东大区 / 上海 / 上海一组"
    assert app.dataframe[0].value["到达数"].tolist() == [20, 16, 12, 9, 7]


def test_fractional_median_is_shown_with_one_decimal(app: AppTest) -> None:
    open_funnel(app)
    choose_scope(app, "r-east")
    assert metric(app, "线索到签约周期（中位数，天）") == "71.5"


def test_a_unit_id_with_a_quote_is_queried_as_a_bound_parameter(app: AppTest) -> None:
    open_funnel(app)
    choose_scope(app, "t-o'brien")
    assert metric(app, "线索到签约周期（中位数，天）") == "44"
    assert metric(app, "商机数") == "8"


def test_a_unit_without_opportunities_says_so(app: AppTest) -> None:
    open_funnel(app)
    choose_scope(app, "c-sh")
    assert [i.value for i in app.info] == ["该范围在此快照中没有商机。"]
    assert not app.metric


def test_english_switches_labels_and_keeps_the_values(app: AppTest) -> None:
    open_funnel(app)
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Sales funnel"
    assert metric(app, "Lead-to-sign cycle (median, days)") == "62"
    assert metric(app, "Win rate (by count)") == "42.9%"
    table = app.dataframe[0].value
    assert list(table.columns) == [
        "Stage",
        "Reached",
        "Advanced",
        "Conversion",
        "Median dwell (days)",
        "Open",
        "Lost",
    ]
    assert table["Stage"].iloc[0] == "Lead"
    assert app.caption[0].value == "Data as of 26 Nov 2026 · published 27 Nov 2026 06:05"


def test_language_and_scope_survive_reruns(app: AppTest) -> None:
    open_funnel(app)
    app.sidebar.radio(key="language").set_value("en").run()
    choose_scope(app, "t-sh1")
    app.run()
    assert app.title[0].value == "Sales funnel"
    assert metric(app, "Lead-to-sign cycle (median, days)") == "86"


def test_a_new_publish_is_read_on_the_next_rerun(app: AppTest, publish) -> None:
    open_funnel(app)
    assert metric(app, "线索到签约周期（中位数，天）") == "62"
    publish(
        summaries={"hq": (100, 30, 30, 40, 30 / 70, 30, 58.0, 66.0)},
        published_at=dt.datetime(2026, 11, 28, 6, 2),
    )
    app.run()
    assert not app.exception
    assert metric(app, "线索到签约周期（中位数，天）") == "58"
    assert app.caption[0].value.endswith("发布于 2026年11月28日 06:02")


def test_empty_metrics_show_a_dash_not_nan(app: AppTest, publish) -> None:
    publish(summaries={"t-sh1": (3, 3, 0, 0, None, 0, None, None)})
    open_funnel(app)
    choose_scope(app, "t-sh1")
    assert metric(app, "赢率（按数量）") == "—"
    assert metric(app, "线索到签约周期（中位数，天）") == "—"
    assert metric(app, "签约数") == "0"
