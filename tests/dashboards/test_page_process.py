"""The 过程健康 page, driven from the entry point against a hand-written warehouse: the
health marts, MOT compliance and violations, visit completeness and the 待激活 pool, with
values chosen here and asserted as the page shows them."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, AS_OF, sign_in, write_rows

PAGE = "app_pages/process.py"
WEEK = dt.date(2026, 11, 23)  # the Monday of AS_OF's week
WEEKS = (dt.date(2026, 11, 9), dt.date(2026, 11, 16), WEEK)

METRICS = {
    # code: (id, zh, en, unit, higher_is_better)
    "lead_first_response_hours": (
        1,
        "线索首次响应时长",
        "Lead first-response time",
        "hours",
        False,
    ),
    "win_rate": (9, "赢单率", "Win rate", "share", True),
}


def _health(scope_level, unit_id, rep_id, code, values, medians, zs, flagged=(False,) * 3):
    metric_id, zh, en, unit, higher = METRICS[code]
    return [
        {
            "as_of": AS_OF,
            "scope_level": scope_level,
            "unit_id": unit_id,
            "unit_name": unit_id,
            "rep_id": rep_id,
            "region_id": "r-east" if unit_id != "t-bj1" else "r-north",
            "metric_id": metric_id,
            "metric_code": code,
            "metric_name_zh": zh,
            "metric_name_en": en,
            "metric_unit": unit,
            "higher_is_better": higher,
            "week_start": week,
            "metric_value": value,
            "peer_count": 6,
            "peer_median": median,
            "peer_sigma": 0.1,
            "z_score": z,
            "is_flagged": flag,
            "flag_direction": ("high" if z > 0 else "low") if flag else None,
        }
        for week, value, median, z, flag in zip(WEEKS, values, medians, zs, flagged, strict=True)
    ]


def _flag(unit_id, rep_id, code, value, z, similar_unit, similar_value, cards, recovered):
    return {
        "as_of": AS_OF,
        "scope_level": "rep" if rep_id else "team",
        "unit_id": unit_id,
        "unit_name": unit_id,
        "rep_id": rep_id,
        "region_id": "r-east",
        "metric_code": code,
        "week_start": WEEK,
        "metric_value": value,
        "peer_count": 6,
        "peer_median": 0.6,
        "z_score": z,
        "flag_direction": "high" if z > 0 else "low",
        "recovered": None,
        "recovery_week_start": None,
        "sop_card_titles": None,
        "similar_unit_id": similar_unit,
        "similar_rep_id": "s-101",
        "similar_week_start": dt.date(2026, 10, 5),
        "similar_metric_value": similar_value,
        "similar_sop_card_titles": cards,
        "similar_recovered": recovered,
    }


def _mot(rate, entries, violations, **keys):
    return {
        **keys,
        "week_start": WEEK,
        "quote_entries": entries,
        "compliant_entries": entries - violations,
        "violation_entries": violations,
        "mot_compliance_rate": rate,
        "as_of": AS_OF,
    }


EN = {"budget_range": "budget range", "decision_date": "decision date"}


def _violation(opportunity_id, rep_id, team_id, missing, missing_zh, late=None, late_zh=None):
    return {
        "opportunity_id": opportunity_id,
        "rep_id": rep_id,
        "team_id": team_id,
        "is_reentry": False,
        "missing_facts": missing,
        "late_facts": late,
        "missing_facts_zh": missing_zh,
        "late_facts_zh": late_zh,
        "missing_facts_en": EN.get(missing),
        "late_facts_en": EN.get(late),
        "entered_at": dt.datetime(2026, 11, 24, 10, 30),
        "week_start": WEEK,
        "as_of": AS_OF,
    }


def _visits(rate, node_rate, visits, **keys):
    return {
        **keys,
        "week_start": WEEK,
        "visits": visits,
        "complete_visits": round(visits * rate),
        "nodes_recorded": round(visits * 5 * node_rate),
        "nodes_required": visits * 5,
        "visit_completeness_rate": rate,
        "node_completion_rate": node_rate,
        "as_of": AS_OF,
    }


def _pool(customer, owner_rep_id, owner, team_id, team, days, zh, en):
    return {
        "customer_name": customer,
        "owner_rep_id": owner_rep_id,
        "owner_name": owner,
        "team_id": team_id,
        "team_name": team,
        "days_incomplete": days,
        "nodes_recorded": 4,
        "nodes_required": 5,
        "missing_nodes_zh": zh,
        "missing_nodes_en": en,
        "visit_started_at": dt.datetime(2026, 11, 10, 9, 0),
        "last_node_at": dt.datetime(2026, 11, 10, 15, 0),
        "opportunity_status_as_of": "open",
        "as_of": AS_OF,
    }


def write_process_page_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists seeds")
    write_rows(
        con,
        "seeds.health_metrics",
        [
            {"metric_code": code, "name_zh": zh, "name_en": en, "unit": unit, "higher_is_better": h}
            for code, (_, zh, en, unit, h) in METRICS.items()
        ],
    )
    write_rows(
        con,
        "marts.fct_process_health_weekly",
        _health("team", "t-sh1", None, "win_rate", (0.5, 0.55, 0.75), (0.5, 0.5, 0.6),
                (0.0, 0.5, 2.4), (False, False, True))
        + _health("team", "t-sh1", None, "lead_first_response_hours", (3.0, 2.5, 2.0),
                  (2.0, 2.0, 2.5), (1.0, 0.5, -0.5))
        + _health("rep", "t-sh1", "s-001", "win_rate", (0.2, 0.3, 0.1), (0.5, 0.5, 0.6),
                  (-1.0, -0.9, -2.6), (False, False, True))
        + _health("rep", "t-sh1", "s-002", "win_rate", (0.9, 0.8, 0.7), (0.5, 0.5, 0.6),
                  (1.0, 1.0, 0.5))
        + _health("team", "t-bj1", None, "win_rate", (0.1, 0.1, 0.1), (0.5, 0.5, 0.5),
                  (-3.0, -3.0, -3.0), (True, True, True)),
    )  # fmt: skip
    write_rows(
        con,
        "marts.fct_process_health_flags",
        [
            _flag("t-sh1", None, "win_rate", 0.75, 2.4, "t-bj1", 0.4, "报价复盘 | 价格谈判", True),
            _flag("t-sh1", "s-001", "win_rate", 0.1, -2.6, "t-o'brien", 0.2, None, False),
            _flag("t-bj1", "s-101", "win_rate", 0.05, -3.5, "t-bj1", 0.1, "北京卡片", True),
        ],
    )
    write_rows(
        con,
        "marts.fct_mot_compliance_unit_weekly",
        [
            _mot(0.8, 10, 2, unit_id="r-east", unit_name="华东大区", unit_level="region"),
            _mot(0.75, 8, 2, unit_id="c-sh", unit_name="上海", unit_level="city"),
            _mot(0.75, 8, 2, unit_id="t-sh1", unit_name="上海一组", unit_level="team"),
            _mot(0.25, 4, 3, unit_id="c-bj", unit_name="北京", unit_level="city"),
        ],
    )
    write_rows(
        con,
        "marts.fct_mot_compliance_team_weekly",
        [
            _mot(0.75, 8, 2, unit_id="t-sh1", unit_name="上海一组"),
            _mot(1.0, 2, 0, unit_id="t-o'brien", unit_name="欧'布莱恩组"),
            _mot(0.25, 4, 3, unit_id="t-bj1", unit_name="北京一组"),
        ],
    )
    write_rows(
        con,
        "marts.fct_mot_compliance_rep_weekly",
        [
            _mot(0.5, 4, 2, rep_id="s-001", team_id="t-sh1"),
            _mot(1.0, 4, 0, rep_id="s-002", team_id="t-sh1"),
            _mot(0.25, 4, 3, rep_id="s-101", team_id="t-bj1"),
        ],
    )
    write_rows(
        con,
        "marts.fct_mot_gate_violations",
        [
            _violation("o-1", "s-001", "t-sh1", "budget_range", "预算范围"),
            _violation("o-2", "s-001", "t-sh1", None, None, "decision_date", "决策时间"),
            _violation("o-9", "s-101", "t-bj1", "budget_range", "预算范围"),
        ],
    )
    write_rows(
        con,
        "marts.dim_opportunities",
        [
            {"opportunity_id": "o-1", "customer_name": "上海明远科技有限公司"},
            {"opportunity_id": "o-2", "customer_name": "上海华盛物流股份有限公司"},
            {"opportunity_id": "o-9", "customer_name": "北京京华电子有限公司"},
        ],
    )
    write_rows(
        con,
        "marts.fct_visit_completeness_team_weekly",
        [
            _visits(0.6, 0.9, 10, unit_id="t-sh1", unit_name="上海一组"),
            _visits(0.5, 0.8, 4, unit_id="t-o'brien", unit_name="欧'布莱恩组"),
            _visits(0.1, 0.2, 10, unit_id="t-bj1", unit_name="北京一组"),
        ],
    )
    write_rows(
        con,
        "marts.fct_visit_completeness_rep_weekly",
        [
            _visits(0.5, 0.85, 6, rep_id="s-001", team_id="t-sh1"),
            _visits(0.75, 0.95, 4, rep_id="s-002", team_id="t-sh1"),
            _visits(0.1, 0.2, 10, rep_id="s-101", team_id="t-bj1"),
        ],
    )
    write_rows(
        con,
        "marts.fct_reactivation_pool",
        [
            _pool("上海明远科技有限公司", "s-001", "李娜", "t-sh1", "上海一组", 9,
                  "下一步计划锁定", "next step locked"),
            _pool("上海东方制药有限公司", "s-002", "王强", "t-sh1", "上海一组", 5,
                  "异议处理记录", "objection handling recorded"),
            _pool("北京京华电子有限公司", "s-101", "赵敏", "t-bj1", "北京一组", 30,
                  "预约确认", "appointment confirmed"),
        ],
    )  # fmt: skip


@pytest.fixture
def published(salesops_home, build_snapshot):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(write_process_page_marts,))
    return salesops_home


pytestmark = pytest.mark.usefixtures("published")


def open_page(username: str, unit: str | None = None) -> AppTest:
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


def everything(app: AppTest) -> str:
    texts = [m.value for m in app.metric] + [c.value for c in app.caption]
    texts += [d.value.to_csv() for d in app.dataframe]
    texts += [str(o) for s in app.selectbox for o in s.options]
    return "\n".join(texts)


def test_a_region_manager_sees_its_teams_control_chart_flags_mot_and_visits() -> None:
    app = open_page("east")
    assert app.title[0].value == "过程健康"
    assert "华东大区 下按团队显示" in app.caption[2].value
    subject = app.selectbox(key="process.subject")
    assert subject.options == ["上海一组（团队）", "欧'布莱恩组（团队）"]
    # the control chart of the first metric of the first team: value, median, z, limits, flags
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["title"]["text"] == "线索首次响应时长 · 上海一组（团队）"
    assert [trace["name"] for trace in spec["data"]] == [
        "本周值", "同大区同周中位数", "偏离度 z", "异常",
    ]  # fmt: skip
    assert spec["data"][0]["text"] == ["3.0 小时", "2.5 小时", "2.0 小时"]
    scorecard = table(app, "指标")
    assert scorecard["指标"].tolist() == ["线索首次响应时长", "赢单率"]
    assert scorecard["数值"].tolist() == ["2.0 小时", "75.0%"]
    assert scorecard["同侪中位数"].tolist() == ["2.5 小时", "60.0%"]
    assert scorecard["异常"].tolist() == ["", "▲ 偏高"]
    flags = table(app, "周（周一）")
    assert flags["销售"].tolist() == ["李娜", "—"]  # |z| 2.6 before 2.4
    assert flags["数值"].tolist() == ["10.0%", "75.0%"]
    assert flags["最相似的历史案例"].tolist() == [
        "欧'布莱恩组 · 2026年10月5日 · 20.0%",
        "其他单元 · 2026年10月5日 · 40.0%",  # 北京一组: outside east's scope, not named
    ]
    assert flags["当时用的 SOP 卡片"].tolist() == ["—", "报价复盘 | 价格谈判"]
    assert flags["当时是否恢复"].tolist() == ["否", "是"]
    assert metric(app, "MOT 合规率 · 2026年11月23日 当周") == "80.0%"
    assert metric(app, "违规") == "2"
    violations = table(app, "进入报价时间")
    assert violations["客户"].tolist() == ["上海明远科技有限公司", "上海华盛物流股份有限公司"]
    assert violations["销售"].tolist() == ["李娜", "李娜"]
    assert violations["缺失事实"].tolist() == ["预算范围", ""]
    assert violations["补录晚于进入"].tolist() == ["", "决策时间"]
    assert table(app, "名称")["名称"].tolist() == ["上海一组", "欧'布莱恩组"]  # MOT by team
    assert table(app, "层级")["名称"].tolist() == ["欧'布莱恩组", "上海一组"]  # by node rate
    assert metric(app, "待激活线索") == "2"
    assert table(app, "客户")["未完成天数"].tolist() == [9, 5]
    assert "北京京华" not in everything(app) and "赵敏" not in everything(app)


def test_picking_a_metric_redraws_the_chart_with_its_flagged_weeks() -> None:
    app = open_page("east")
    app.selectbox(key="process.metric").set_value("win_rate").run()
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    flagged = spec["data"][3]
    assert flagged["x"] == ["2026-11-23T00:00:00"] or len(flagged["x"]) == 1
    assert spec["layout"]["title"]["text"] == "赢单率 · 上海一组（团队）"


def test_english_labels() -> None:
    app = open_page("east")
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    assert app.title[0].value == "Process health"
    assert table(app, "Metric")["Value"].tolist() == ["2.0 h", "75.0%"]
    assert table(app, "Entered quote")["Missing facts"].tolist() == ["budget range", ""]
    assert table(app, "Customer")["Missing nodes"].tolist() == [
        "next step locked",
        "objection handling recorded",
    ]
    assert metric(app, "MOT compliance · week of 23 Nov 2026") == "80.0%"


def test_a_team_shows_the_team_and_its_reps_and_a_city_manager_never_sees_beijing() -> None:
    app = open_page("sh", unit="t-sh1")
    assert app.caption[1].value == "总部 / 华东大区 / 上海 / 上海一组"
    assert "上海一组 是团队" in app.caption[2].value
    assert app.selectbox(key="process.subject").options == [
        "上海一组（团队）", "李娜（销售）", "王强（销售）",
    ]  # fmt: skip
    assert table(app, "名称")["名称"].tolist() == ["李娜", "王强"]  # MOT by rep
    assert metric(app, "MOT 合规率 · 2026年11月23日 当周") == "75.0%"
    visits = table(app, "层级")
    assert visits["名称"].tolist() == ["上海一组", "李娜", "王强"]
    app.selectbox(key="process.subject").set_value(1).run()
    assert table(app, "指标")["数值"].tolist() == ["10.0%"]
    text = everything(app)
    assert "北京" not in text and "赵敏" not in text


def test_a_rep_sees_only_their_own_rows() -> None:
    app = open_page("rep")
    assert app.caption[2].value == "仅显示您本人的指标。"
    assert app.selectbox(key="process.subject").options == ["李娜（销售）"]
    assert table(app, "指标")["数值"].tolist() == ["10.0%"]
    assert table(app, "周（周一）")["销售"].tolist() == ["李娜"]
    assert metric(app, "MOT 合规率 · 2026年11月23日 当周") == "50.0%"
    assert table(app, "进入报价时间")["销售"].tolist() == ["李娜", "李娜"]
    assert metric(app, "待激活线索") == "1"
    assert table(app, "客户")["客户"].tolist() == ["上海明远科技有限公司"]
    text = everything(app)
    assert "王强" not in text and "赵敏" not in text and "上海东方制药" not in text


def test_an_empty_scope_says_so() -> None:
    app = open_page("east", unit="t-o'brien")
    infos = [i.value for i in app.info]
    assert infos.count("该范围内暂无数据。") == 3  # no health rows, no flags, no MOT weeks
    assert "该范围内没有待激活线索。" in infos
    assert metric(app, "待激活线索") == "0"
