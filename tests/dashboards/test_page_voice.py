"""The 沟通洞察 page from the entry point: the brief tab (moved from the former briefs page)
and the keyword insights, against hand-written chat-signal marts.

Weeks: 2026-11-16 (complete) and 2026-11-23 (in progress at as_of 2026-11-26). 上海一组
(t-sh1) and 北京一组 (t-bj1) have rows; 欧'布莱恩组 (t-o'brien) has none. The brief files
are replaced by stand-ins for data.brief_dates / brief_index / brief_markdown (the page's
only door to them; their file format belongs to salesops.briefs and its tests).
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import duckdb
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data
from tests.dashboards.conftest import APP, AS_OF, sign_in, write_rows

PAGE = "app_pages/voice.py"
W1, W2 = dt.date(2026, 11, 16), dt.date(2026, 11, 23)
BRIEF_DATES = [dt.date(2026, 11, 27), dt.date(2026, 11, 26)]

TOP_KEYWORDS = [
    # unit_id, week, rank, keyword, category, mentions, negated
    ("t-sh1", W2, 1, "领导还没批", "approval", 14, 2),
    ("t-sh1", W2, 2, "价格", "price", 9, 0),
    ("t-sh1", W2, 3, "招标", "tender", 4, 0),
    ("t-sh1", W1, 1, "竞品", "competitor", 6, 1),
    ("t-bj1", W2, 1, "预算已批", "budget", 31, 0),
    ("t-bj1", W1, 1, "接口", "it_fit", 12, 0),
]
EMERGING = [
    # unit_id, week, rank, token, mentions, baseline, score
    ("t-sh1", W1, 1, "防水等级", 7, 0.5, 1.67),
    ("t-bj1", W1, 1, "北京专属词", 9, 1.0, 1.61),
]
REQUIREMENTS = [
    # product_line, keyword, mentions, opportunities, week
    ("工业传感器", "防水等级", 12, 5, W2),
    ("工业传感器", "测量精度", 4, 3, W2),
    ("协同办公套件", "审批流", 7, 6, W2),
    ("协同办公套件", "移动端", 2, 2, W1),
]
REP_SIGNALS = [
    # rep_id, team_id, date, category, negated, keywords, mentions
    ("s-001", "t-sh1", dt.date(2026, 11, 25), "approval", True, "领导还没批", 3),
    ("s-002", "t-sh1", dt.date(2026, 11, 24), "price", False, "价格,太贵", 5),
    ("s-001", "t-sh1", dt.date(2026, 11, 17), "competitor", False, "竞品", 2),
    ("s-101", "t-bj1", dt.date(2026, 11, 25), "budget", False, "预算已批", 8),
]


def _write_voice(con: duckdb.DuckDBPyConnection) -> None:
    write_rows(
        con,
        "marts.fct_team_top_keywords_weekly",
        [
            {
                "unit_id": unit,
                "unit_name": unit,
                "keyword_rank": rank,
                "keyword": keyword,
                "category": category,
                "mentions": mentions,
                "negated_mentions": negated,
                "week_start": week,
                "is_partial_week": week == W2,
                "as_of": AS_OF,
            }
            for unit, week, rank, keyword, category, mentions, negated in TOP_KEYWORDS
        ],
    )
    write_rows(
        con,
        "marts.fct_team_emerging_terms_weekly",
        [
            {
                "unit_id": unit,
                "unit_name": unit,
                "term_rank": rank,
                "token": token,
                "n_tokens": 1,
                "mentions": mentions,
                "baseline_mentions": baseline,
                "emergence_score": score,
                "week_start": week,
                "as_of": AS_OF,
            }
            for unit, week, rank, token, mentions, baseline, score in EMERGING
        ],
    )
    write_rows(
        con,
        "marts.fct_requirement_mentions_weekly",
        [
            {
                "product_line": line,
                "keyword": keyword,
                "mentions": mentions,
                "opportunities": opportunities,
                "week_start": week,
                "is_partial_week": week == W2,
                "as_of": AS_OF,
            }
            for line, keyword, mentions, opportunities, week in REQUIREMENTS
        ],
    )
    write_rows(
        con,
        "marts.fct_rep_signals_daily",
        [
            {
                "rep_id": rep,
                "team_id": team,
                "category": category,
                "negated": negated,
                "keywords": keywords,
                "mentions": mentions,
                "messages": mentions,
                "opportunities": 1,
                "signal_date": day,
                "as_of": AS_OF,
            }
            for rep, team, day, category, negated, keywords, mentions in REP_SIGNALS
        ],
    )


MANAGERS = {
    "hq": ["s-001", "s-002", "s-003", "s-101"],
    "r-east": ["s-001", "s-002", "s-003"],
    "c-sh": ["s-001", "s-002", "s-003"],
    "t-sh1": ["s-001", "s-002"],
    "r-north": ["s-101"],
    "c-bj": ["s-101"],
    "t-bj1": ["s-101"],
}
REP_NAMES = {"s-001": "李娜", "s-002": "王强", "s-003": "欧阳明", "s-101": "赵敏"}


def _index(brief_date: dt.date) -> dict:
    return {
        "brief_date": brief_date.isoformat(),
        "managers": [{"unit_id": unit, "rep_ids": reps} for unit, reps in MANAGERS.items()],
        "reps": [{"rep_id": rep, "name": name} for rep, name in REP_NAMES.items()],
    }


def _markdown(brief_date: dt.date, kind: str, subject_id: str, language: str) -> str | None:
    if subject_id == "s-003":
        return None  # a file that went missing
    return f"## brief {kind} {subject_id} {language} {brief_date.isoformat()}"


@pytest.fixture
def published(salesops_home, build_snapshot, monkeypatch):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(_write_voice,))
    monkeypatch.setattr(data, "brief_dates", lambda: list(BRIEF_DATES))
    monkeypatch.setattr(data, "brief_index", _index)
    monkeypatch.setattr(data, "brief_markdown", _markdown)
    return salesops_home


pytestmark = pytest.mark.usefixtures("published")


def open_page(username: str, **state) -> AppTest:
    app = sign_in(AppTest.from_file(APP, default_timeout=60), username)
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, app.exception
    return app


def plotted(values: list | dict) -> list:
    """A plotly array as JSON holds it: a list, or base64 bytes of a typed array."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return values


def tables(app: AppTest) -> list:
    return [frame.value for frame in app.dataframe]


def markdown(app: AppTest) -> list[str]:
    return [m.value for m in app.markdown if m.value.startswith("## brief")]


def test_a_region_manager_sees_briefs_and_the_latest_week_of_their_teams() -> None:
    app = open_page("east")
    assert app.title[0].value == "沟通洞察"
    assert app.selectbox(key="brief_date").options == ["2026年11月27日", "2026年11月26日"]
    assert markdown(app) == [
        "## brief manager r-east zh 2026-11-27",
        "## brief rep s-001 zh 2026-11-27",
    ]
    assert app.selectbox(key="brief_rep_id").options == [
        "李娜 (s-001)",
        "王强 (s-002)",
        "欧阳明 (s-003)",
    ]
    week = app.selectbox(key="voice_week")
    assert week.options == ["2026年11月23日（本周进行中）", "2026年11月16日"]
    assert week.value == W1  # the latest complete week
    keywords, emerging, requirements, signals = tables(app)
    assert keywords.values.tolist() == [["上海一组", 1, "竞品", "竞品", 6, 1]]
    assert emerging.values.tolist() == [["上海一组", 1, "防水等级", 7, 0.5, 1.67]]
    assert requirements.values.tolist() == [["协同办公套件", "移动端", 2, 2]]
    assert signals[["销售", "团队", "关键词", "否定"]].values.tolist() == [
        ["李娜", "上海一组", "竞品", False]
    ]
    chart = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert [x for trace in chart["data"] for x in plotted(trace["x"])] == [6]
    app.selectbox(key="brief_rep_id").set_value("s-003").run()
    assert "简报文件缺失，请重新运行 `salesops brief --date 2026-11-27`。" in [
        w.value for w in app.warning
    ]


def test_english_and_the_running_week_and_an_earlier_brief_date() -> None:
    app = open_page("east", language="en", voice_week=W2, brief_date=BRIEF_DATES[1])
    assert app.title[0].value == "Voice of the customer"
    assert markdown(app)[0] == "## brief manager r-east en 2026-11-26"
    keywords, requirements, signals = tables(app)
    assert list(keywords.columns) == [
        "Team",
        "Rank",
        "Keyword",
        "Category",
        "Messages",
        "Of which negated",
    ]
    assert keywords.values.tolist() == [
        ["上海一组", 1, "领导还没批", "Approval", 14, 2],
        ["上海一组", 2, "价格", "Price", 9, 0],
        ["上海一组", 3, "招标", "Tender", 4, 0],
    ]
    assert "No emerging terms for this week (a week in progress is computed after it ends)." in [
        i.value for i in app.info
    ]
    assert requirements.values.tolist() == [
        ["协同办公套件", "审批流", 7, 6],
        ["工业传感器", "防水等级", 12, 5],
        ["工业传感器", "测量精度", 4, 3],
    ]
    assert signals[["Rep", "Category", "Keywords", "Negated"]].values.tolist() == [
        ["李娜", "Approval", "领导还没批", True],
        ["王强", "Price", "价格,太贵", False],
    ]


def test_a_city_manager_never_sees_beijing_and_an_empty_team_says_so() -> None:
    app = open_page("sh")
    shown = " ".join(frame.to_string() for frame in tables(app))
    assert "上海一组" in shown and "李娜" in shown
    assert "北京" not in shown and "赵敏" not in shown
    assert "接口" not in shown and "北京专属词" not in shown  # 北京一组's rows of the week
    assert markdown(app)[0] == "## brief manager c-sh zh 2026-11-27"
    app.sidebar.selectbox(key="scope_unit_id").set_value("t-o'brien").run()
    assert not app.exception
    assert [i.value for i in app.info] == [
        "该范围下没有销售，此日没有主管简报。",
        "该范围下没有销售简报。",
        "该范围内暂无数据。",
    ]
    assert not app.dataframe


def test_a_rep_sees_only_their_own_brief_and_signals() -> None:
    app = open_page("rep")
    assert markdown(app) == ["## brief rep s-001 zh 2026-11-27"]
    assert "brief_rep_id" not in [box.key for box in app.selectbox]
    requirements, signals = tables(app)  # product requirements are company-wide
    assert requirements["产品线"].tolist()[0] == "协同办公套件"
    assert signals[["销售", "关键词"]].values.tolist() == [["李娜", "竞品"]]
    assert [c.value for c in app.caption].count("此部分为团队汇总，仅对经理可见。") == 2
