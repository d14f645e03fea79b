"""The 目标承接 / Target cascade page, driven from the entry point against hand-written marts.

November 2026: HQ 100 → regions 92 → cities 85 → reps 76 (¥10,000 each, the article's
example); 华东大区 hands its ¥60万 down through a team step (cities 54, teams 50, reps 45).
Reps: 李娜 (s-001) and 王强 (s-002) in 上海一组, 欧阳明 (s-003) in 欧'布莱恩组, 赵敏 (s-101) in
北京一组. October has a few rows to switch to.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, sign_in, write_rows

PAGE = "app_pages/cascade.py"
NOV, OCT = "2026-11", "2026-10"


def _cascade(unit_id, level, target, region, city, team, reps, count, ratios, period=NOV):
    region_over_hq, city_over_region, team_over_city, rep_over_team, rep_over_city = ratios
    return {
        "period": period,
        "period_start": dt.date.fromisoformat(f"{period}-01"),
        "unit_id": unit_id,
        "unit_name": unit_id,
        "unit_level": level,
        "unit_target": target,
        "region_target_sum": region,
        "city_target_sum": city,
        "team_target_sum": team,
        "rep_committed_sum": reps,
        "rep_target_count": count,
        "uncascaded_gap_yuan": target - reps,
        "region_over_hq": region_over_hq,
        "city_over_region": city_over_region,
        "team_over_city": team_over_city,
        "rep_over_team": rep_over_team,
        "rep_over_city": rep_over_city,
        "has_team_step": team is not None and level != "team",
        "end_to_end_rate": reps / target,
    }


CASCADE = [
    _cascade("hq", "hq", 1_000_000.0, 920_000.0, 850_000.0, None, 760_000.0, 4,
             (0.92, 850 / 920, None, None, 760 / 850)),
    _cascade("r-east", "region", 600_000.0, None, 540_000.0, 500_000.0, 450_000.0, 3,
             (None, 0.9, 500 / 540, 0.9, 450 / 540)),
    _cascade("c-sh", "city", 540_000.0, None, None, 500_000.0, 450_000.0, 3,
             (None, None, 500 / 540, 0.9, 450 / 540)),
    _cascade("c-bj", "city", 310_000.0, None, None, None, 310_000.0, 1,
             (None, None, None, None, 1.0)),
    _cascade("r-east", "region", 500_000.0, None, 480_000.0, None, 400_000.0, 3,
             (None, 0.96, None, None, 400 / 480), period=OCT),
]  # fmt: skip


def _gap(unit_id, level, child_level, children, target, children_sum, period=NOV):
    return {
        "period": period,
        "period_start": dt.date.fromisoformat(f"{period}-01"),
        "unit_id": unit_id,
        "unit_name": unit_id,
        "unit_level": level,
        "child_level": child_level,
        "child_count": children,
        "unit_target": target,
        "children_target_sum": children_sum,
        "uncascaded_gap_yuan": target - children_sum,
        "cascade_ratio": children_sum / target,
    }


GAPS = [
    _gap("hq", "hq", "region", 2, 1_000_000.0, 920_000.0),
    _gap("r-east", "region", "city", 1, 600_000.0, 540_000.0),
    _gap("c-sh", "city", "team", 2, 540_000.0, 500_000.0),
    _gap("t-sh1", "team", "rep", 2, 300_000.0, 270_000.0),
    _gap("t-o'brien", "team", "rep", 1, 200_000.0, 180_000.0),
    _gap("r-north", "region", "city", 1, 320_000.0, 310_000.0),
    _gap("c-bj", "city", "rep", 1, 310_000.0, 310_000.0),
    _gap("r-east", "region", "city", 1, 500_000.0, 480_000.0, period=OCT),
]


def _rep_month(rep_id, team_id, period):
    return {"rep_id": rep_id, "team_id": team_id, "period": period}


REP_MONTHS = [
    _rep_month("s-001", "t-sh1", NOV),
    _rep_month("s-002", "t-sh1", NOV),
    _rep_month("s-003", "t-o'brien", NOV),
    _rep_month("s-101", "t-bj1", NOV),
    _rep_month("s-001", "t-sh1", OCT),
]


def _deviation(unit_id, period, reps, with_volatility, rate, volatility):
    return {
        "period": period,
        "period_start": dt.date.fromisoformat(f"{period}-01"),
        "unit_id": unit_id,
        "unit_name": unit_id,
        "rep_count": reps,
        "volatility_rep_count": with_volatility,
        "avg_target_deviation_rate": rate,
        "avg_attainment": 0.8,
        "avg_attainment_volatility_pp": volatility,
    }


DEVIATION = [
    _deviation("r-east", NOV, 3, 2, 0.286, 22.0),
    _deviation("r-east", OCT, 1, 1, 0.092, 7.0),
    _deviation("c-sh", NOV, 3, 2, 0.25, 20.0),
    _deviation("c-bj", NOV, 1, 1, 0.5, 30.0),
]


def _timely(unit_id, grain, start, events, decided, calibrated):
    return {
        "unit_id": unit_id,
        "unit_name": unit_id,
        "time_grain": grain,
        "period_start": start,
        "deviation_event_count": events,
        "decided_event_count": decided,
        "calibrated_event_count": calibrated,
        "pending_event_count": events - decided,
        "calibration_timeliness_rate": calibrated / decided,
    }


TIMELINESS = [
    _timely("r-east", "month", dt.date(2026, 11, 1), 10, 8, 6),
    _timely("r-east", "month", dt.date(2026, 10, 1), 4, 4, 2),
    _timely("r-east", "week", dt.date(2026, 11, 2), 5, 5, 1),
    _timely("c-sh", "month", dt.date(2026, 11, 1), 10, 8, 6),
    _timely("c-bj", "month", dt.date(2026, 11, 1), 3, 3, 0),
]


def _event(rep_id, team_id, week, committed, forecast, responded=None, kind=None, in_time=None):
    return {
        "rep_id": rep_id,
        "week_start": week,
        "team_id": team_id,
        "period": f"{week:%Y-%m}",
        "committed_target": committed,
        "forecast_amount": forecast,
        "forecast_deviation_rate": abs(forecast - committed) / committed,
        "first_response_at": responded,
        "first_response_kind": kind,
        "is_calibrated_in_time": in_time,
    }


EVENTS = [
    _event("s-001", "t-sh1", dt.date(2026, 11, 2), 150_000.0, 200_000.0,
           dt.datetime(2026, 11, 3, 10, 0), "adjustment_request", True),
    _event("s-003", "t-o'brien", dt.date(2026, 11, 9), 180_000.0, 120_000.0),
    _event("s-002", "t-sh1", dt.date(2026, 11, 2), 120_000.0, 60_000.0, None, None, False),
    _event("s-101", "t-bj1", dt.date(2026, 11, 9), 310_000.0, 100_000.0, None, None, False),
]  # fmt: skip


def _entry(rep_id, team_id, rule_id, kind, on, points, balance, evidence):
    return {
        "ledger_entry_id": f"{rule_id}|{rep_id}|{on}",
        "rep_id": rep_id,
        "team_id": team_id,
        "rule_id": rule_id,
        "rule_kind": kind,
        "event_key": str(on),
        "event_at": dt.datetime.combine(on, dt.time(12)),
        "event_on": on,
        "points": points,
        "balance_after": balance,
        "evidence": evidence,
    }


LEDGER = [
    _entry("s-001", "t-sh1", "P01", "adjustment_decided", dt.date(2026, 11, 5), 5, 10,
           "request TA1 for 2026-11: 300000 -> 280000 (adopted)"),
    _entry("s-003", "t-o'brien", "P02", "stale_pipeline_with_forecast_deviation",
           dt.date(2026, 11, 15), -3, -3, "week of 2026-11-09: 2 open opportunities"),
    _entry("s-101", "t-bj1", "P01", "adjustment_decided", dt.date(2026, 11, 6), 5, 5,
           "request TA9 for 2026-11: 500000 -> 450000 (adopted)"),
    _entry("s-001", "t-sh1", "P01", "adjustment_decided", dt.date(2026, 10, 20), 5, 5,
           "request TA0 for 2026-10: 280000 -> 260000 (adopted)"),
]  # fmt: skip

REASON_LABELS = {
    "A": ("客户决策链变化", "Customer decision chain changed"),
    "B": ("竞品降价", "Competitor price cut"),
    "C": ("我方交付延迟", "Our delivery delay"),
}


def _reason(unit_id, week, reason, count, total, rank):
    return {
        "unit_id": unit_id,
        "unit_name": unit_id,
        "week_start": week,
        "reason_type": reason,
        "label_zh": REASON_LABELS[reason][0],
        "label_en": REASON_LABELS[reason][1],
        "report_count": count,
        "week_report_count": total,
        "report_share": count / total,
        "reason_rank": rank,
        "is_most_frequent": rank == 1 and count > 0,
    }


REASONS = [
    _reason("r-east", dt.date(2026, 11, 2), "B", 2, 3, 1),
    _reason("r-east", dt.date(2026, 11, 2), "A", 1, 3, 2),
    _reason("r-east", dt.date(2026, 11, 2), "C", 0, 3, 3),
    _reason("r-east", dt.date(2026, 11, 9), "C", 1, 1, 1),
    _reason("c-bj", dt.date(2026, 11, 9), "A", 4, 4, 1),
]


def _unit_of(row: dict) -> str:
    return row.get("team_id") or row["unit_id"]


def _write_marts(con, *, keep=lambda row: True) -> None:
    for table, rows in (
        ("fct_target_cascade", CASCADE),
        ("fct_target_cascade_gaps", GAPS),
        ("fct_attainment_rep_month", REP_MONTHS),
        ("fct_target_deviation_unit_month", DEVIATION),
        ("fct_calibration_timeliness", TIMELINESS),
        ("fct_deviation_events", EVENTS),
        ("fct_behaviour_points_ledger", LEDGER),
        ("fct_deviation_reasons_weekly", REASONS),
    ):
        write_rows(con, f"marts.{table}", [row for row in rows if keep(row)])


@pytest.fixture
def published(salesops_home, build_snapshot):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(_write_marts,))
    return salesops_home


def open_page(username: str) -> AppTest:
    app = sign_in(AppTest.from_file(APP, default_timeout=60), username)
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def table(app: AppTest, first_column: str):
    frames = [df.value for df in app.dataframe if df.value.columns[0] == first_column]
    assert frames, [list(df.value.columns) for df in app.dataframe]
    return frames[0]


def chart(app: AppTest, index: int) -> dict:
    return json.loads(app.get("plotly_chart")[index].proto.spec)


def captions(app: AppTest) -> list[str]:
    return [c.value for c in app.caption]


@pytest.mark.usefixtures("published")
def test_hq_sees_the_articles_100_92_85_76() -> None:
    app = open_page("hq")
    assert app.title[0].value == "目标承接"
    shown = metrics(app)
    assert shown["本级下达目标"] == "¥100.0万"
    assert shown["销售承诺合计"] == "¥76.0万"
    assert shown["端到端承接率"] == "76.0%"
    assert shown["未承接缺口"] == "¥24.0万"
    waterfall = chart(app, 0)["data"][0]
    assert waterfall["x"] == ["总部", "大区", "城市", "销售承诺"]
    assert waterfall["y"] == [1_000_000.0, 920_000.0, 850_000.0, 760_000.0]
    assert waterfall["text"] == [
        "¥100.0万",
        "¥92.0万<br>承接 92.0%",
        "¥85.0万<br>承接 92.4%",
        "¥76.0万<br>承接 89.4%",
    ]
    steps = table(app, "层级")
    assert steps["目标合计"].tolist() == [1_000_000.0, 920_000.0, 850_000.0, 760_000.0]
    assert steps["本步承接率"].tolist()[1:] == pytest.approx(
        [92.0, 100 * 850 / 920, 100 * 760 / 850]
    )


@pytest.mark.usefixtures("published")
def test_a_regional_manager_sees_the_cascade_deviation_points_and_reasons() -> None:
    app = open_page("east")
    assert app.selectbox(key="cascade.period").value == NOV
    assert app.selectbox(key="cascade.period").options == ["2026年11月", "2026年10月"]
    assert metrics(app) == {
        "本级下达目标": "¥60.0万",
        "销售承诺合计": "¥45.0万",
        "端到端承接率": "75.0%",
        "未承接缺口": "¥15.0万",
        "平均目标偏差率": "28.6%",
        "月度达成率波动": "±22.0 个百分点",
        "目标校准及时率": "75.0%",
        "偏差事件数": "10",
    }
    # the team step is shown because the region's targets have one
    waterfall = chart(app, 0)["data"][0]
    assert waterfall["x"] == ["大区", "城市", "团队", "销售承诺"]
    assert waterfall["text"][2:] == ["¥50.0万<br>承接 92.6%", "¥45.0万<br>承接 90.0%"]
    gaps = table(app, "单元")
    assert gaps["单元"].tolist() == [
        "总部 / 华东大区",
        "总部 / 华东大区 / 上海",
        "总部 / 华东大区 / 上海 / 上海一组",
        "总部 / 华东大区 / 上海 / 欧'布莱恩组",
    ]
    assert gaps["未分解缺口"].tolist() == [60_000.0, 40_000.0, 30_000.0, 20_000.0]
    assert gaps["层级"].tolist() == ["大区", "城市", "团队", "团队"]
    assert gaps["下级层级"].tolist() == ["城市", "团队", "销售", "销售"]
    # the trend: October then November, month grain only
    trend = chart(app, 1)["data"]
    assert trend[0]["x"] == ["2026年10月", "2026年11月"]
    assert trend[0]["y"] == [0.092, 0.286]
    assert trend[1]["y"] == [0.5, 0.75]
    events = table(app, "周（周一）")
    assert events["销售"].tolist() == ["欧阳明", "王强", "李娜"]
    assert events["响应方式"].tolist() == ["", "", "目标调整申请"]
    assert events["及时校准"].tolist() == ["窗口内", "否", "是"]
    assert events["预测偏差率"].tolist() == pytest.approx([100 / 3, 50.0, 100 / 3])
    ledger = table(app, "日期")
    assert ledger["销售"].tolist() == ["欧阳明", "李娜"]
    assert ledger["规则"].tolist() == ["P02 商机停滞且预测偏差", "P01 目标调整申请已决"]
    assert ledger["积分"].tolist() == [-3, 5]
    assert ledger["累计积分"].tolist() == [-3, 10]
    reasons = chart(app, 2)["data"]
    assert [bar["name"] for bar in reasons] == ["A 客户决策链变化", "B 竞品降价", "C 我方交付延迟"]
    assert "2026年11月9日 当周最常见：C 我方交付延迟（100%）" in captions(app)
    assert "fct_target_cascade" in captions(app)[-2]


@pytest.mark.usefixtures("published")
def test_english_labels_and_the_same_figures() -> None:
    app = open_page("east")
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Target cascade"
    assert app.selectbox(key="cascade.period").options == ["Nov 2026", "Oct 2026"]
    shown = metrics(app)
    assert shown["End-to-end cascade rate"] == "75.0%"
    assert shown["Uncascaded gap"] == "¥15.0万"
    assert shown["Attainment volatility"] == "±22.0 pp"
    assert chart(app, 0)["data"][0]["text"][-1] == "¥45.0万<br>90.0% kept"
    assert table(app, "Week (Monday)")["In time"].tolist() == ["Pending", "No", "Yes"]
    assert "Most frequent in the week of 9 Nov 2026: C Our delivery delay (100%)" in captions(app)


@pytest.mark.usefixtures("published")
def test_october_is_read_from_its_own_rows() -> None:
    app = open_page("east")
    app.selectbox(key="cascade.period").set_value(OCT).run()
    assert not app.exception
    shown = metrics(app)
    assert shown["本级下达目标"] == "¥50.0万"
    assert shown["端到端承接率"] == "80.0%"
    assert shown["平均目标偏差率"] == "9.2%"
    assert shown["目标校准及时率"] == "50.0%"
    assert chart(app, 0)["data"][0]["x"] == ["大区", "城市", "销售承诺"]
    assert table(app, "日期")["依据"].tolist() == [
        "request TA0 for 2026-10: 280000 -> 260000 (adopted)"
    ]


@pytest.mark.usefixtures("published")
def test_a_city_manager_sees_shanghai_only_never_beijing() -> None:
    app = open_page("sh")
    assert metrics(app)["本级下达目标"] == "¥54.0万"
    assert table(app, "单元")["单元"].iloc[0] == "总部 / 华东大区 / 上海"
    everything = " ".join([df.value.to_csv() for df in app.dataframe] + captions(app))
    for beijing in ("赵敏", "北京", "TA9", "310000"):
        assert beijing not in everything
    assert set(table(app, "周（周一）")["销售"]) == {"李娜", "王强", "欧阳明"}


@pytest.mark.usefixtures("published")
def test_a_rep_sees_only_their_own_events_and_points() -> None:
    app = open_page("rep")
    assert not app.metric
    assert "此部分为团队汇总，仅对经理可见。" in captions(app)
    assert table(app, "周（周一）")["销售"].tolist() == ["李娜"]
    assert table(app, "日期")["销售"].tolist() == ["李娜"]
    assert not app.get("plotly_chart")


def test_an_empty_scope_says_so(salesops_home, build_snapshot) -> None:
    north = {"hq", "r-north", "c-bj", "t-bj1"}
    build_snapshot(
        salesops_home.snapshot_db,
        extra_tables=(lambda con: _write_marts(con, keep=lambda row: _unit_of(row) in north),),
    )
    app = open_page("east")
    assert [i.value for i in app.info] == ["该范围内暂无数据。"]
    assert not app.metric and not app.dataframe
