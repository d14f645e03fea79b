"""The 双轨目标 / Dual track page, driven from the entry point against hand-written marts.

November 2026 (the as-of month, still running) for the fixture tree: 李娜 (s-001) and 王强
(s-002) in 上海一组, 欧阳明 (s-003) in 欧'布莱恩组, 赵敏 (s-101) in 北京一组; October has
李娜 only. The unit rows are what fct_dual_track_unit_month would hold for those reps.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, sign_in, write_rows

PAGE = "app_pages/dual_track.py"
NOV = dt.date(2026, 11, 1)
OCT = dt.date(2026, 10, 1)


def _rep(rep_id, team_id, month, committed, challenge, baseline, bookings, alert, **extra):
    return {
        "rep_id": rep_id,
        "month_start": month,
        "period": f"{month:%Y-%m}",
        "team_id": team_id,
        "manager_unit_id": "c-sh" if team_id != "t-bj1" else "c-bj",
        "is_period_complete": month < NOV,
        "committed_target": committed,
        "challenge_target": challenge,
        "baseline": baseline,
        "bookings": bookings,
        "baseline_intercept": extra.get("intercept"),
        "baseline_floor_adjustment": extra.get("floor"),
        "gap_ratio": (challenge - committed) / committed,
        "gap_alert_threshold": 0.2,
        "coaching_alert": alert,
    }


REPS = [
    _rep("s-001", "t-sh1", NOV, 300_000.0, 420_000.0, 350_000.0, 150_000.0, True,
         intercept=250_000.0, floor=0.0),
    _rep("s-002", "t-sh1", NOV, 200_000.0, 220_000.0, None, 180_000.0, False),
    _rep("s-003", "t-o'brien", NOV, 100_000.0, 150_000.0, 120_000.0, 20_000.0, True,
         intercept=90_000.0, floor=5_000.0),
    _rep("s-101", "t-bj1", NOV, 500_000.0, 700_000.0, 600_000.0, 450_000.0, True,
         intercept=500_000.0, floor=0.0),
    _rep("s-001", "t-sh1", OCT, 280_000.0, 300_000.0, 290_000.0, 290_000.0, False,
         intercept=260_000.0, floor=0.0),
]  # fmt: skip

ATTAINMENT = [
    {"rep_id": "s-001", "team_id": "t-sh1", "period": "2026-11", "period_start": NOV, "attainment": 0.5},
    {"rep_id": "s-002", "team_id": "t-sh1", "period": "2026-11", "period_start": NOV, "attainment": 0.9},
    {"rep_id": "s-003", "team_id": "t-o'brien", "period": "2026-11", "period_start": NOV, "attainment": 0.2},
    {"rep_id": "s-101", "team_id": "t-bj1", "period": "2026-11", "period_start": NOV, "attainment": 0.9},
    {"rep_id": "s-001", "team_id": "t-sh1", "period": "2026-10", "period_start": OCT, "attainment": 290 / 280},
]  # fmt: skip


def _unit(unit_id, level, month, reps, alerts, committed, challenge, baseline, bookings):
    return {
        "unit_id": unit_id,
        "unit_name": unit_id,
        "unit_level": level,
        "month_start": month,
        "period": f"{month:%Y-%m}",
        "is_period_complete": month < NOV,
        "rep_count": reps,
        "challenge_rep_count": reps,
        "baseline_rep_count": reps - (1 if unit_id in ("r-east", "c-sh", "t-sh1", "hq") else 0),
        "coaching_alert_count": alerts,
        "committed_target_sum": committed,
        "challenge_target_sum": challenge,
        "baseline_sum": baseline,
        "bookings_sum": bookings,
        "gap_ratio": (challenge - committed) / committed,
        "gap_alert_threshold": 0.2,
        "committed_attainment": bookings / committed,
    }


UNITS = [
    _unit("hq", "hq", NOV, 4, 3, 1_100_000.0, 1_490_000.0, 1_070_000.0, 800_000.0),
    _unit("r-east", "region", NOV, 3, 2, 600_000.0, 790_000.0, 470_000.0, 350_000.0),
    _unit("c-sh", "city", NOV, 3, 2, 600_000.0, 790_000.0, 470_000.0, 350_000.0),
    _unit("t-sh1", "team", NOV, 2, 1, 500_000.0, 640_000.0, 350_000.0, 330_000.0),
    _unit("t-o'brien", "team", NOV, 1, 1, 100_000.0, 150_000.0, 120_000.0, 20_000.0),
    _unit("r-north", "region", NOV, 1, 1, 500_000.0, 700_000.0, 600_000.0, 450_000.0),
    _unit("c-bj", "city", NOV, 1, 1, 500_000.0, 700_000.0, 600_000.0, 450_000.0),
    _unit("t-bj1", "team", NOV, 1, 1, 500_000.0, 700_000.0, 600_000.0, 450_000.0),
    _unit("r-east", "region", OCT, 1, 0, 280_000.0, 300_000.0, 290_000.0, 290_000.0),
    _unit("c-sh", "city", OCT, 1, 0, 280_000.0, 300_000.0, 290_000.0, 290_000.0),
    _unit("t-sh1", "team", OCT, 1, 0, 280_000.0, 300_000.0, 290_000.0, 290_000.0),
]


def _driver(rep_id, team_id, driver, value, contribution, month=NOV):
    return {
        "rep_id": rep_id,
        "month_start": month,
        "driver": driver,
        "period": f"{month:%Y-%m}",
        "team_id": team_id,
        "driver_value": value,
        "contribution": contribution,
    }


DRIVERS = [
    # 欧阳明: 90,000 + 40,000 − 15,000 + floor 5,000 = 120,000
    _driver("s-003", "t-o'brien", "tenure_months", 30.0, 40_000.0),
    _driver("s-003", "t-o'brien", "pipeline_coverage", 1.25, -15_000.0),
    # 李娜: 250,000 + 120,000 − 20,000 = 350,000
    _driver("s-001", "t-sh1", "open_pipeline_late", 800_000.0, 120_000.0),
    _driver("s-001", "t-sh1", "seasonality_index", 0.9, -20_000.0),
    _driver("s-101", "t-bj1", "tenure_months", 40.0, 100_000.0),
]


def _write_marts(con, *, keep=lambda row: True) -> None:
    write_rows(con, "marts.fct_dual_track_rep_month", [r for r in REPS if keep(r)])
    write_rows(con, "marts.fct_attainment_rep_month", [r for r in ATTAINMENT if keep(r)])
    write_rows(con, "marts.fct_dual_track_unit_month", [r for r in UNITS if keep(r)])
    write_rows(con, "marts.fct_dynamic_baseline_contributions", [r for r in DRIVERS if keep(r)])


def _north_only(row: dict) -> bool:
    return row.get("team_id", row.get("unit_id")) in ("t-bj1", "c-bj", "r-north", "hq")


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


def metrics(app: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in app.metric}


def table(app: AppTest, first_column: str):
    frames = [df.value for df in app.dataframe if df.value.columns[0] == first_column]
    assert frames, [list(df.value.columns) for df in app.dataframe]
    return frames[0]


def chart(app: AppTest, index: int) -> dict:
    return json.loads(app.get("plotly_chart")[index].proto.spec)


@pytest.mark.usefixtures("published")
def test_regional_manager_sees_the_units_tracks_and_the_flagged_reps_first() -> None:
    app = open_page("east")
    assert app.title[0].value == "双轨目标"
    month = app.selectbox(key="dual_track.month")
    assert month.value == NOV
    assert month.options == ["2026年11月", "2026年10月"]
    assert metrics(app) == {
        "承诺目标合计": ("¥60.0万", ""),
        "挑战目标合计": ("¥79.0万", "差距比 31.7%"),
        "动态基线合计": ("¥47.0万", ""),
        "本月至今签约额": ("¥35.0万", ""),
        "承诺目标达成率": ("58.3%", ""),
        "辅导预警人数": ("2 / 3", ""),
    }
    units = table(app, "单元")
    assert units["单元"].tolist() == ["上海"]
    assert units["预警人数"].tolist() == [2]
    assert units["挑战目标"].tolist() == [790_000.0]
    reps = table(app, "销售")
    assert list(reps.columns) == [
        "销售", "团队", "承诺目标", "挑战目标", "动态基线", "差距比", "辅导预警", "签约额", "达成率",
    ]  # fmt: skip
    assert reps["销售"].tolist() == ["欧阳明", "李娜", "王强"]
    assert reps["团队"].tolist() == ["欧'布莱恩组", "上海一组", "上海一组"]
    assert reps["辅导预警"].tolist() == ["需辅导", "需辅导", ""]
    assert reps["承诺目标"].tolist() == [100_000.0, 300_000.0, 200_000.0]
    assert reps["差距比"].tolist() == pytest.approx([50.0, 40.0, 10.0])
    assert reps["达成率"].tolist() == pytest.approx([20.0, 50.0, 90.0])
    assert "辅导预警在前，其余按差距比从高到低；差距比超过 20% 触发辅导预警。" in [
        c.value for c in app.caption
    ]
    # one chart per child unit: 上海's committed / challenge / bookings
    bars = chart(app, 0)["data"]
    assert [bar["name"] for bar in bars] == ["承诺目标", "挑战目标", "签约额"]
    assert [(bar["x"], bar["y"]) for bar in bars] == [
        (["上海"], [600_000.0]),
        (["上海"], [790_000.0]),
        (["上海"], [350_000.0]),
    ]
    # the first flagged rep with a baseline is explained: 90,000 + 40,000 − 15,000 + 5,000
    assert app.selectbox(key="dual_track.rep").value == "s-003"
    waterfall = chart(app, 1)["data"][0]
    assert waterfall["x"] == [
        "截距（平均水平）",
        "司龄（月）",
        "商机覆盖率",
        "非负调整",
        "动态基线",
    ]
    assert waterfall["y"][:4] == [90_000.0, 40_000.0, -15_000.0, 5_000.0]
    assert waterfall["measure"] == ["absolute", "relative", "relative", "relative", "total"]
    assert waterfall["text"] == ["¥9.0万", "¥4.0万", "-¥1.5万", "¥5,000", "¥12.0万"]
    assert table(app, "驱动因素")["贡献"].tolist() == [40_000.0, -15_000.0]
    text = " ".join(c.value for c in app.caption)
    assert "赵敏" not in text and "北京" not in text
    assert "fct_dual_track_unit_month" in app.caption[-2].value


@pytest.mark.usefixtures("published")
def test_another_rep_and_month_are_read_from_their_rows() -> None:
    app = open_page("east")
    app.selectbox(key="dual_track.rep").set_value("s-001").run()
    assert not app.exception
    waterfall = chart(app, 1)["data"][0]
    assert waterfall["x"] == ["截距（平均水平）", "在途商机（后期阶段）", "季节性指数", "动态基线"]
    assert waterfall["text"][-1] == "¥35.0万"
    app.selectbox(key="dual_track.month").set_value(OCT).run()
    assert not app.exception
    shown = metrics(app)
    assert shown["签约额"] == ("¥29.0万", "")  # a complete month: no "to date"
    assert shown["承诺目标达成率"] == ("103.6%", "")
    assert shown["辅导预警人数"] == ("0 / 1", "")
    reps = table(app, "销售")
    assert reps["销售"].tolist() == ["李娜"]
    assert reps["承诺目标"].tolist() == [280_000.0]
    assert reps["辅导预警"].tolist() == [""]


@pytest.mark.usefixtures("published")
def test_english_labels_and_the_same_figures() -> None:
    app = open_page("east")
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Dual track"
    assert app.selectbox(key="dual_track.month").options == ["Nov 2026", "Oct 2026"]
    shown = metrics(app)
    assert shown["Committed (Σ)"] == ("¥60.0万", "")
    assert shown["Challenge (Σ)"] == ("¥79.0万", "gap 31.7%")
    assert shown["Bookings to date"] == ("¥35.0万", "")
    assert shown["Coaching alerts"] == ("2 / 3", "")
    reps = table(app, "Rep")
    assert list(reps.columns)[:3] == ["Rep", "Team", "Committed"]
    assert reps["Coaching alert"].tolist() == ["Coach", "Coach", ""]
    assert chart(app, 1)["data"][0]["x"][:2] == ["Intercept (average)", "Tenure (months)"]


@pytest.mark.usefixtures("published")
def test_a_city_manager_sees_shanghai_and_its_teams_never_beijing() -> None:
    app = open_page("sh")
    assert app.caption[1].value == "总部 / 华东大区 / 上海"
    assert metrics(app)["承诺目标合计"] == ("¥60.0万", "")
    assert table(app, "单元")["单元"].tolist() == ["上海一组", "欧'布莱恩组"]
    assert set(table(app, "销售")["销售"]) == {"李娜", "王强", "欧阳明"}
    everything = " ".join(
        [df.value.to_csv() for df in app.dataframe] + [c.value for c in app.caption]
    )
    assert "赵敏" not in everything and "北京" not in everything
    assert "700000" not in everything  # 赵敏's challenge target


@pytest.mark.usefixtures("published")
def test_a_team_scope_has_no_child_units_and_charts_its_reps() -> None:
    app = open_page("sh")
    app.sidebar.selectbox(key="scope_unit_id").set_value("t-sh1").run()
    assert not app.exception
    assert metrics(app)["辅导预警人数"] == ("1 / 2", "")
    assert all(df.value.columns[0] != "单元" for df in app.dataframe)
    bars = chart(app, 0)["data"]
    assert bars[0]["x"] == ["李娜", "王强"]
    assert bars[2]["y"] == [150_000.0, 180_000.0]


@pytest.mark.usefixtures("published")
def test_a_rep_sees_their_own_row_and_no_unit_totals() -> None:
    app = open_page("rep")
    assert not app.metric
    assert "此部分为团队汇总，仅对经理可见。" in [c.value for c in app.caption]
    reps = table(app, "销售")
    assert reps["销售"].tolist() == ["李娜"]
    assert reps["承诺目标"].tolist() == [300_000.0]
    assert app.selectbox(key="dual_track.rep").options == ["李娜 · 上海一组"]


def test_an_empty_scope_says_so(salesops_home, build_snapshot) -> None:
    build_snapshot(
        salesops_home.snapshot_db,
        extra_tables=(lambda con: _write_marts(con, keep=_north_only),),
    )
    app = open_page("east")
    assert [i.value for i in app.info] == ["该范围内暂无数据。"]
    assert not app.metric
    assert not app.dataframe


@pytest.mark.usefixtures("published")
def test_selecting_a_child_unit_drills_into_it() -> None:
    app = open_page("sh")
    app.session_state["dual_track.units.c-sh"] = {"selection": {"rows": [1], "columns": []}}
    app.run()
    assert not app.exception, app.exception
    assert app.sidebar.selectbox(key="scope_unit_id").value == "t-o'brien"
    assert metrics(app)["承诺目标合计"] == ("¥10.0万", "")
    assert table(app, "销售")["销售"].tolist() == ["欧阳明"]


def test_a_source_without_targets_names_the_missing_extract(salesops_home, build_snapshot) -> None:
    path = build_snapshot(salesops_home.snapshot_db, extra_tables=(_write_marts,))
    with duckdb.connect(str(path)) as con:
        con.executemany(
            "insert into marts.fct_mart_availability (mart_name, is_available, missing_tables) "
            "values (?, false, 'targets')",
            [("fct_dual_track_rep_month",), ("fct_dual_track_unit_month",)],
        )
    app = open_page("east")
    assert [w.value for w in app.warning] == [
        "此页部分内容不可用：此数据源没有 `targets` 数据（缺少该提取文件）。"
    ]
    assert not app.metric and not app.dataframe
