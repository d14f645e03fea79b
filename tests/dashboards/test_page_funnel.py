"""The 漏斗与管道 page, driven from the entry point against a hand-written warehouse.

The frame's fixture (conftest) has the funnel count marts; this module adds the page's
other marts with values chosen here, so every figure asserted below is written twice: once
as a mart row, once as the string the page must show.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, AS_OF, STAGES, sign_in, write_rows

PAGE = "app_pages/funnel.py"
NOV, OCT = dt.date(2026, 11, 1), dt.date(2026, 10, 1)

# r-east reached per stage (yuan); advanced = the next stage's, won after contract_approval
EAST_REACHED = (6_000_000, 5_000_000, 4_000_000, 3_000_000, 2_000_000)
EAST_WON = 1_500_000


def _amount_rows(unit_id: str, level: str, reached: tuple, won: float) -> list[dict]:
    rows = []
    for order, stage in enumerate(STAGES, start=1):
        advanced = reached[order] if order < len(STAGES) else won
        rows.append(
            {
                "as_of": AS_OF,
                "unit_id": unit_id,
                "unit_level": level,
                "stage": stage,
                "stage_order": order,
                "reached_amount": float(reached[order - 1]),
                "advanced_amount": float(advanced),
                "open_amount": 100_000.0 * order,
                "lost_amount": 50_000.0,
                "reached_without_amount_count": 2 if order == 1 else 0,
                "amount_conversion_rate": advanced / reached[order - 1],
            }
        )
    return rows


MOVEMENT = {
    "start": (50, 10_000_000),
    "new": (10, 2_000_000),
    "pulled_in": (2, 300_000),
    "amount_up": (3, 200_000),
    "amount_down": (1, 100_000),
    "pushed_out": (4, 400_000),
    "won": (6, 1_500_000),
    "lost": (3, 500_000),
    "owner_in": (0, 0),
    "owner_out": (0, 0),
    "end": (51, 10_000_000),
}
AMOUNT_COLUMNS = {"amount_up": "amount_up", "amount_down": "amount_down"}


def _movement_row(unit_id, grain, start, end, view, *, scale=1.0, partial=False, end_amount=None):
    row = {
        "as_of": AS_OF,
        "window_grain": grain,
        "window_start": start,
        "window_end": end,
        "start_date": start - dt.timedelta(days=1),
        "end_date": min(end, AS_OF),
        "is_partial": partial,
        "pipeline_view": view,
        "close_window_start": None if view == "all_open" else NOV + dt.timedelta(days=30),
        "close_window_end": None,
        "unit_id": unit_id,
        "unit_name": unit_id,
        "unit_level": "region",
        "undated_open_count": 3,
        "undated_open_amount": 450_000.0,
    }
    for step, (count, amount) in MOVEMENT.items():
        row[f"{step}_count"] = count
        row[AMOUNT_COLUMNS.get(step, f"{step}_amount")] = amount * scale
    if end_amount is not None:
        row["end_count"], row["end_amount"] = 7, end_amount
    return row


def _coverage_row(scope_type, unit_id, rep_id, point, **values) -> dict:
    row = {
        "as_of": AS_OF,
        "scope_type": scope_type,
        "unit_id": unit_id,
        "unit_name": unit_id,
        "rep_id": rep_id,
        "scope_level": "rep" if rep_id else "region",
        "period": "2026-11",
        "period_start": NOV,
        "period_end": dt.date(2026, 11, 30),
        "measurement_point": point,
        "measured_on": AS_OF if point == "as_of" else dt.date(2026, 10, 31),
        "target_kind": "committed" if rep_id else "assigned",
        "target_amount": 5_000_000.0,
        "bookings_to_date": 2_000_000.0,
        "remaining_target": 3_000_000.0,
        "open_pipeline_count": 12,
        "open_pipeline_amount": 2_400_000.0,
        "open_pipeline_without_amount_count": 0,
        "quote_plus_pipeline_count": 6,
        "quote_plus_pipeline_amount": 1_500_000.0,
        "weighted_pipeline_amount": 1_200_000.0,
        "undated_open_count": 3,
        "undated_open_amount": 450_000.0,
        "coverage": 0.8,
        "coverage_quote_plus": 0.5,
        "coverage_weighted": 0.4,
    }
    return {**row, **values}


def _velocity_row(unit_id: str, month: dt.date, velocity: float) -> dict:
    return {
        "as_of": AS_OF,
        "unit_id": unit_id,
        "unit_name": unit_id,
        "unit_level": "region",
        "month_start": month,
        "measured_on": AS_OF,
        "is_partial": month == NOV,
        "trailing_days": 90,
        "trailing_start_on": month - dt.timedelta(days=90),
        "open_qualified_count": 40,
        "open_qualified_amount": 8_000_000.0,
        "open_qualified_without_amount_count": 0,
        "won_count": 10,
        "lost_count": 10,
        "won_amount": 2_000_000.0,
        "won_without_amount_count": 0,
        "avg_won_amount": 200_000.0,
        "win_rate_count": 0.5,
        "avg_cycle_days": 61.0,
        "sales_velocity": velocity,
    }


def _win_rate_row(unit_id: str, month: dt.date, won: int, lost: int, structured: bool) -> dict:
    rate = won / (won + lost)
    return {
        "as_of": AS_OF,
        "unit_id": unit_id,
        "unit_name": unit_id,
        "unit_level": "region",
        "month_start": month,
        "period": f"{month:%Y-%m}",
        "closed_through": AS_OF,
        "is_partial": month == NOV,
        "won_count": won,
        "lost_count": lost,
        "won_amount": won * 100_000.0,
        "lost_amount": lost * 300_000.0,
        "win_rate_count": rate,
        "win_rate_amount": won / (won + 3 * lost),
        "traditional_win_rate_count": 0.25,
        "traditional_win_rate_amount": 0.2,
        "structured_win_rate_count": 0.6 if structured else None,
        "structured_win_rate_amount": 0.55 if structured else None,
    }


def _transition(unit_id, start, source, source_order, target, target_order, kind, moves, amount):
    return {
        "as_of": AS_OF,
        "window_grain": "month",
        "window_start": start,
        "window_end": start + dt.timedelta(days=29),
        "unit_id": unit_id,
        "unit_name": unit_id,
        "unit_level": "region",
        "from_stage": source,
        "from_stage_order": source_order,
        "to_stage": target,
        "to_stage_order": target_order,
        "transition_kind": kind,
        "move_count": moves,
        "opportunity_count": moves,
        "amount": amount,
    }


def write_funnel_page_marts(con: duckdb.DuckDBPyConnection) -> None:
    """The marts the page reads beyond the frame's fct_funnel_summary / fct_funnel_stages."""
    write_rows(
        con,
        "marts.fct_funnel_stage_amounts",
        _amount_rows("r-east", "region", EAST_REACHED, EAST_WON)
        + _amount_rows("c-bj", "city", (9e6, 8e6, 7e6, 6e6, 5e6), 4e6),
    )
    write_rows(
        con,
        "marts.fct_pipeline_movement",
        [
            _movement_row("r-east", "month", NOV, dt.date(2026, 11, 30), "all_open", partial=True),
            _movement_row("r-east", "month", OCT, dt.date(2026, 10, 31), "all_open", scale=2.0),
            _movement_row(
                "r-east",
                "month",
                NOV,
                dt.date(2026, 11, 30),
                "close_next_month",
                partial=True,
                end_amount=1_230_000.0,
            ),
            _movement_row(
                "r-east",
                "iso_week",
                dt.date(2026, 11, 23),
                dt.date(2026, 11, 29),
                "all_open",
                scale=0.1,
                partial=True,
            ),
            _movement_row("c-bj", "month", NOV, dt.date(2026, 11, 30), "all_open", scale=7.0),
        ],
    )
    write_rows(
        con,
        "marts.fct_pipeline_coverage",
        [
            _coverage_row("unit", "r-east", None, "as_of"),
            _coverage_row("unit", "r-east", None, "period_start", coverage=1.2),
            _coverage_row(
                "unit", "r-east", None, "as_of", period="2026-10", period_start=OCT, coverage=9.9
            ),
            _coverage_row("unit", "c-sh", None, "as_of", coverage=0.65, target_amount=3_000_000.0),
            _coverage_row("unit", "c-bj", None, "as_of", coverage=2.22),
            _coverage_row("rep", "t-sh1", "s-001", "as_of", coverage=1.5, target_amount=600_000.0),
            _coverage_row("rep", "t-sh1", "s-002", "as_of", coverage=0.3),
            _coverage_row("rep", "t-bj1", "s-101", "as_of", coverage=3.33),
        ],
    )
    write_rows(
        con,
        "marts.fct_sales_velocity",
        [
            _velocity_row("r-east", OCT, 50_000.0),
            _velocity_row("r-east", NOV, 65_432.1),
            _velocity_row("c-bj", NOV, 999_999.0),
        ],
    )
    write_rows(
        con,
        "marts.fct_win_rate_monthly",
        [
            _win_rate_row("r-east", OCT, 3, 7, structured=True),
            _win_rate_row("r-east", NOV, 4, 4, structured=True),
        ],
    )
    write_rows(
        con,
        "marts.fct_stage_transitions",
        [
            _transition("r-east", NOV, "new", 0, "lead", 1, "created", 5, 900_000.0),
            _transition("r-east", NOV, "lead", 1, "qualified", 2, "advanced", 4, 800_000.0),
            _transition("r-east", NOV, "quote", 3, "negotiation", 4, "advanced", 2, 400_000.0),
            _transition("r-east", OCT, "lead", 1, "lost", None, "lost", 9, 100_000.0),
        ],
    )


@pytest.fixture
def published(salesops_home, build_snapshot):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(write_funnel_page_marts,))
    return salesops_home


pytestmark = pytest.mark.usefixtures("published")


def open_page(username: str = "east", unit: str | None = None) -> AppTest:
    app = sign_in(AppTest.from_file(APP, default_timeout=60), username)
    if unit is not None:
        app.query_params["unit"] = unit
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return app


def metric(app: AppTest, label: str) -> str:
    values = [m.value for m in app.metric if m.label == label]
    assert values, f"no metric {label!r} among {[m.label for m in app.metric]}"
    return values[0]


def table(app: AppTest, first_column: str):
    frames = [d.value for d in app.dataframe if d.value.columns[0] == first_column]
    assert frames, [list(d.value.columns) for d in app.dataframe]
    return frames[0]


def chart(app: AppTest, key_text: str) -> dict:
    for element in app.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if key_text in json.dumps(spec, ensure_ascii=False):
            return spec
    raise AssertionError(f"no chart with {key_text!r}")


def test_east_sees_the_funnel_in_counts_and_in_yuan() -> None:
    app = open_page("east")
    assert app.title[0].value == "漏斗与管道"
    assert metric(app, "商机数") == "60"
    assert metric(app, "赢率（按数量）") == "45.0%"
    assert metric(app, "线索到签约周期（中位数，天）") == "71.5"
    assert metric(app, "签约数") == "18"
    stages = table(app, "阶段")
    assert list(stages.columns) == [
        "阶段", "到达数", "推进数", "转化率", "停留天数（中位数）", "在途", "输单",
        "到达金额", "推进金额", "在途金额", "输单金额", "金额转化率",
    ]  # fmt: skip
    assert stages["阶段"].tolist() == ["线索", "需求确认", "方案报价", "商务谈判", "合同审批"]
    assert stages["到达数"].tolist() == [60, 50, 41, 33, 24]
    assert stages["到达金额"].tolist() == [6e6, 5e6, 4e6, 3e6, 2e6]
    assert stages["推进金额"].tolist() == [5e6, 4e6, 3e6, 2e6, 1.5e6]
    assert stages["金额转化率"].tolist() == pytest.approx([500 / 6, 80.0, 75.0, 200 / 3, 75.0])
    amounts = chart(app, "按金额")["data"][0]
    assert amounts["x"] == [6e6, 5e6, 4e6, 3e6, 2e6]
    assert amounts["text"][0] == "¥600.0万 · 转化率 83.3%"
    assert "2 个到达线索阶段的商机没有金额，不计入金额。" in [c.value for c in app.caption]


def test_the_waterfall_adds_up_from_start_to_end_in_yuan() -> None:
    app = open_page("east")
    waterfall = chart(app, "管道变动瀑布图")["data"][0]
    assert waterfall["type"] == "waterfall"
    assert waterfall["x"][0] == "期初" and waterfall["x"][-1] == "期末"
    assert waterfall["y"] == [
        10e6, 2e6, 3e5, 2e5, -1e5, -4e5, -1.5e6, -5e5, 0, 0, 10e6,
    ]  # fmt: skip
    assert waterfall["measure"][0] == "absolute" and waterfall["measure"][-1] == "total"
    assert waterfall["text"][:3] == ["¥1,000.0万", "¥200.0万", "¥30.0万"]
    steps = table(app, "变动")
    assert steps["商机数"].tolist() == [50, 10, 2, 3, 1, 4, 6, 3, 0, 0, 51]
    assert metric(app, "无有效预计结单日的在途") == "¥45.0万（3 个）"
    # the latest window is the default; October's movement is twice as large
    app.selectbox(key="funnel.movement.window.month").set_value(pd.Timestamp(OCT)).run()
    assert chart(app, "管道变动瀑布图")["data"][0]["y"][0] == 20e6


def test_coverage_this_month_and_the_pipeline_closing_next_month() -> None:
    app = open_page("east")
    assert metric(app, "覆盖率") == "0.80×"  # the as_of measurement, not period_start's 1.20×
    assert metric(app, "覆盖率（方案报价及以后）") == "0.50×"
    assert metric(app, "目标") == "¥500.0万"
    assert metric(app, "已签约") == "¥200.0万"
    assert metric(app, "剩余目标") == "¥300.0万"
    assert metric(app, "本期在途管道") == "¥240.0万（12 个）"
    assert [s.value for s in app.subheader][:2] == ["本月 2026年11月", "下月 2026年12月"]
    assert (
        "下月还没有目标，无法计算覆盖率；预计下月结单的在途管道：¥123.0万（7 个，截至 2026年11月26日）。"
        in [i.value for i in app.info]
    )


def test_velocity_win_rate_and_transitions() -> None:
    app = open_page("east")
    assert metric(app, "销售速度 · 2026年11月") == "¥6.5万/天"
    win_rate = chart(app, "赢率趋势")
    names = [trace["name"] for trace in win_rate["data"]]
    assert names == ["按数量", "按金额", "传统流程（按数量）", "结构化流程（按数量）"]
    assert win_rate["data"][0]["y"] == pytest.approx([0.3, 0.5])
    monthly = table(app, "月份")
    assert monthly["月份"].tolist() == ["2026年11月", "2026年10月"]
    assert monthly["销售速度（元/天）"].tolist() == [65_432.1, 50_000.0]
    assert monthly["赢单数"].tolist() == [4, 3]
    transitions = table(app, "从")
    assert transitions["从"].tolist() == ["新建", "线索", "方案报价"]
    assert transitions["到"].tolist() == ["线索", "需求确认", "商务谈判"]
    assert transitions["流转次数"].tolist() == [5, 4, 2]
    assert transitions["金额"].tolist() == [900_000.0, 800_000.0, 400_000.0]


def test_english_labels_keep_the_values() -> None:
    app = open_page("east")
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Funnel and pipeline"
    assert metric(app, "Lead-to-sign cycle (median, days)") == "71.5"
    assert metric(app, "Coverage") == "0.80×"
    assert metric(app, "Sales velocity · Nov 2026") == "¥6.5万/day"
    assert table(app, "Stage")["Stage"].iloc[0] == "Lead"
    assert chart(app, "Pipeline movement waterfall")["data"][0]["x"][-1] == "End"


def test_a_city_manager_sees_shanghai_never_beijing() -> None:
    app = sign_in(AppTest.from_file(APP, default_timeout=60), "sh")
    app.query_params["unit"] = "c-bj"
    app.run()
    assert [w.value for w in app.sidebar.warning] == [
        "链接中的单元不在您的查看范围内，已显示您自己的范围。"
    ]
    app.switch_page(PAGE).run()
    assert not app.exception and not app.error
    assert app.caption[1].value == "总部 / 华东大区 / 上海"
    assert metric(app, "覆盖率") == "0.65×"
    assert metric(app, "目标") == "¥300.0万"
    shown = " ".join(
        [m.value for m in app.metric] + [i.value for i in app.info] + [c.value for c in app.caption]
    )
    assert "2.22×" not in shown and "北京" not in shown and "¥700" not in shown
    # 上海 has no funnel rows of its own: each section says so
    assert "该范围在此快照中没有商机。" in [i.value for i in app.info]
    assert "该范围内暂无数据。" in [i.value for i in app.info]


def test_a_rep_sees_only_their_own_coverage_and_no_unit_totals() -> None:
    app = open_page("rep")
    assert metric(app, "覆盖率") == "1.50×"
    assert metric(app, "目标") == "¥60.0万"
    assert [m.label for m in app.metric].count("覆盖率") == 1  # not s-002's 0.30×
    assert "0.30×" not in [m.value for m in app.metric]
    assert [c.value for c in app.caption].count("此部分为团队汇总，仅对经理可见。") == 4
    assert not app.dataframe
    assert not app.get("plotly_chart")


def test_a_unit_id_with_a_quote_is_a_bound_parameter_and_empty_amounts_hide_the_yuan_funnel() -> (
    None
):
    app = open_page("east", unit="t-o'brien")
    assert metric(app, "商机数") == "8"
    assert metric(app, "线索到签约周期（中位数，天）") == "44"
    assert list(table(app, "阶段").columns)[-1] == "输单"  # no amount rows for this team
    assert "该范围本月没有覆盖率数据。" in [i.value for i in app.info]


def test_empty_metrics_show_a_dash_and_a_new_publish_is_read(publish) -> None:
    app = open_page("east")
    assert metric(app, "线索到签约周期（中位数，天）") == "71.5"
    publish(
        summaries={"r-east": (60, 20, 0, 0, None, 0, None, None)},
        published_at=dt.datetime(2026, 11, 28, 6, 2),
        extra_tables=(write_funnel_page_marts,),
    )
    app.run()
    assert not app.exception
    assert metric(app, "赢率（按数量）") == "—"
    assert metric(app, "线索到签约周期（中位数，天）") == "—"
    assert metric(app, "签约数") == "0"
    assert app.caption[0].value.endswith("发布于 2026年11月28日 06:02")
