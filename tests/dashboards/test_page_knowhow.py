"""The 能力沉淀 page from the entry point, against hand-written capability marts.

Cards (company-wide): SOP-A 预算未批项目推进 (教育 · quote, best uplift), SOP-B
客户换人后重建关系 (all industries · qualified, a retirement candidate), SOP-C 首次电话破冰
(all · lead) and SOP-D 竞品低价冲击应对 (a draft). 上海一组 (t-sh1) and 北京一组 (t-bj1)
have recommendations and practice rows; 欧'布莱恩组 (t-o'brien) has none.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, AS_OF, sign_in, write_rows

PAGE = "app_pages/knowhow.py"
W1, W2 = dt.date(2026, 11, 16), dt.date(2026, 11, 23)

CARDS = [
    # card_id, title, industry, stage, source, status, uses, usage, feedback, negative
    # share, 48 h rate, used sample, uplift, ci low, ci high, rank, retirement candidate
    ("SOP-A", "预算未批项目推进", "教育", "quote", "ops", "active", 55, 0.30, 23, 0.10, 0.8, 41, 20.5, 10.0, 31.0, 1, False),
    ("SOP-B", "客户换人后重建关系", None, "qualified", "co-created", "active", 74, 0.11, 59, 0.61, 0.7, 59, -2.4, -14.5, 9.6, 2, True),
    ("SOP-C", "首次电话破冰", None, "lead", "ops", "active", 565, 0.52, 432, 0.11, 0.68, 486, 1.9, -2.5, 6.3, 3, False),
    ("SOP-D", "竞品低价冲击应对", None, "negotiation", "co-created", "draft", 0, 0.0, 0, None, None, 0, None, None, None, None, False),
]  # fmt: skip

RECOMMENDATIONS = [
    # team, industry, stage, rank, card_id, title, card industry, uplift, sample,
    # new-rep practice, top-rep uplift, top new-rep practice, top-rep lift
    ("t-sh1", "教育", "quote", 1, "SOP-A", "预算未批项目推进", "教育", 20.5, 41, 0.5, 21.0, True, True),
    ("t-sh1", "教育", "quote", 2, "SOP-C", "首次电话破冰", None, 1.9, 486, 0.0, 6.1, False, True),
    ("t-sh1", "教育", "quote", 3, "SOP-B", "客户换人后重建关系", None, -2.4, 59, 0.0, None, False, False),
    ("t-sh1", "制造", "lead", 1, "SOP-C", "首次电话破冰", None, 1.9, 486, 0.0, 6.1, False, True),
    ("t-bj1", "能源", "lead", 1, "SOP-C", "首次电话破冰", None, 1.9, 486, 1.0, 6.1, True, True),
]  # fmt: skip

PRACTICE = [
    # week, team, card, team reps, practising reps, new reps, practising new reps, uses
    (W1, "t-sh1", "SOP-A", 8, 2, 2, 1, 3),
    (W2, "t-sh1", "SOP-A", 8, 4, 2, 2, 5),
    (W2, "t-sh1", "SOP-C", 8, 1, 2, 0, 1),
    (W2, "t-bj1", "SOP-A", 10, 7, 1, 1, 9),
]

ITERATION = [
    # month, rank, card, title, feedback, not fully, negative, reason
    (dt.date(2026, 10, 1), 1, "SOP-C", "首次电话破冰", 40, 20, 4, "前两步有用,后面需要调整"),
    (dt.date(2026, 11, 1), 1, "SOP-B", "客户换人后重建关系", 10, 9, 7, "内容过时了"),
]

REUSE = [
    # unit, month, regime, opportunities, eligible, reused
    ("r-east", dt.date(2026, 9, 1), "traditional", 120, 100, 15),
    ("r-east", dt.date(2026, 10, 1), "structured", 130, 100, 74),
    ("c-sh", dt.date(2026, 10, 1), "structured", 60, 40, 20),
    ("c-bj", dt.date(2026, 10, 1), "traditional", 70, 50, 10),
]

RETENTION = [
    # unit, hire month, regime, hired, retained
    ("r-east", dt.date(2026, 3, 1), "structured", 4, 3),
    ("c-sh", dt.date(2026, 3, 1), "structured", 2, 1),
    ("c-bj", dt.date(2026, 3, 1), "traditional", 5, 1),
]

UNIT_LEVELS = {"r-east": "region", "c-sh": "city", "c-bj": "city"}


def _write_capability(con: duckdb.DuckDBPyConnection) -> None:
    columns = [
        "card_id",
        "title",
        "industry",
        "stage",
        "source",
        "status",
        "uses_count",
        "usage_rate",
        "feedback_count",
        "negative_feedback_share",
        "feedback_within_window_rate",
        "used_closed_count",
        "uplift_pp",
        "uplift_ci_low_pp",
        "uplift_ci_high_pp",
        "uplift_rank",
        "is_retirement_candidate",
    ]
    cards = [dict(zip(columns, card, strict=True)) for card in CARDS]
    for card in cards:
        card.update(
            recent_users=round(card["usage_rate"] * 200),
            active_reps=200,
            negative_feedback_count=0,
            comparable_count=card["used_closed_count"] * 50,
            shrunk_uplift_pp=card["uplift_pp"],
            as_of=AS_OF,
        )
    write_rows(con, "marts.fct_sop_card_performance", cards)
    columns = [
        "unit_id",
        "industry",
        "stage",
        "recommendation_rank",
        "card_id",
        "title",
        "card_industry",
        "uplift_pp",
        "used_closed_count",
        "new_rep_practice_rate",
        "top_rep_uplift_pp",
        "is_top_new_rep_practice",
        "has_top_rep_lift",
    ]
    recommendations = [dict(zip(columns, row, strict=True)) for row in RECOMMENDATIONS]
    for row in recommendations:
        row.update(
            unit_name=row["unit_id"],
            shrunk_uplift_pp=row["uplift_pp"],
            labels_zh=None,
            week_start=W2,
            as_of=AS_OF,
        )
    write_rows(con, "marts.fct_sop_recommendations", recommendations)
    write_rows(
        con,
        "marts.fct_sop_practice_weekly",
        [
            {
                "week_start": week,
                "unit_id": team,
                "unit_name": team,
                "card_id": card,
                "process_regime": "structured",
                "team_reps": reps,
                "practicing_reps": practising,
                "practice_rate": practising / reps,
                "new_reps": new,
                "practicing_new_reps": new_practising,
                "new_rep_practice_rate": new_practising / new,
                "uses_count": uses,
                "feedback_due_count": uses,
                "feedback_on_time_count": uses,
                "feedback_within_window_rate": 1.0,
                "as_of": AS_OF,
            }
            for week, team, card, reps, practising, new, new_practising, uses in PRACTICE
        ],
    )
    write_rows(
        con,
        "marts.fct_sop_card_iteration_monthly",
        [
            {
                "feedback_month": month,
                "improvement_rank": rank,
                "card_id": card,
                "title": title,
                "status": "active",
                "feedback_count": feedback,
                "not_fully_count": not_fully,
                "negative_count": negative,
                "improvement_share": not_fully / feedback,
                "top_reason_text": reason,
                "as_of": AS_OF,
            }
            for month, rank, card, title, feedback, not_fully, negative, reason in ITERATION
        ],
    )
    write_rows(
        con,
        "marts.fct_best_practice_reuse_monthly",
        [
            {
                "unit_id": unit,
                "unit_name": unit,
                "unit_level": UNIT_LEVELS[unit],
                "created_month": month,
                "process_regime": regime,
                "opportunities_count": opportunities,
                "eligible_count": eligible,
                "reused_count": reused,
                "reuse_rate": reused / eligible,
                "as_of": AS_OF,
            }
            for unit, month, regime, opportunities, eligible, reused in REUSE
        ],
    )
    write_rows(
        con,
        "marts.fct_new_rep_retention",
        [
            {
                "unit_id": unit,
                "unit_name": unit,
                "unit_level": UNIT_LEVELS[unit],
                "hire_month": month,
                "process_regime": regime,
                "hired_count": hired,
                "retained_count": retained,
                "retention_rate": retained / hired,
                "is_in_comparison_window": True,
                "as_of": AS_OF,
            }
            for unit, month, regime, hired, retained in RETENTION
        ],
    )
    con.execute("create schema seeds")
    write_rows(
        con,
        "seeds.sop_rules",
        [
            {
                "usage_window_days": 90,
                "retirement_max_usage_rate": 0.15,
                "retirement_min_negative_share": 0.40,
                "retirement_min_feedback": 5,
                "feedback_window_hours": 48,
                "uplift_min_sample": 20,
                "new_rep_max_months": 6,
            }
        ],
    )


@pytest.fixture
def published(salesops_home, build_snapshot):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(_write_capability,))
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


def frame(app: AppTest, first_column: str, second_column: str):
    """The table whose first two columns are these (tables sit in tabs, in page order)."""
    found = [
        table.value
        for table in app.dataframe
        if list(table.value.columns[:2]) == [first_column, second_column]
    ]
    assert found, [list(table.value.columns[:2]) for table in app.dataframe]
    return found


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_a_region_manager_sees_the_library_recommendations_practice_and_reuse() -> None:
    app = open_page("east", knowhow_industry="教育", knowhow_stage="quote")
    assert app.title[0].value == "能力沉淀"
    library, retirement = frame(app, "标题", "适用行业")
    assert "共 4 张打法卡" in [c.value for c in app.caption]
    assert library.iloc[0, :6].tolist() == [
        "预算未批项目推进",
        "教育",
        "方案报价",
        "生效",
        "运营编写",
        55,
    ]
    assert library["适用行业"].tolist() == ["教育", "全部", "全部", "全部"]
    assert library["状态"].tolist() == ["生效", "生效", "生效", "审核中"]
    assert library["95%区间（百分点）"].tolist() == [
        "+10.0 ~ +31.0",
        "-14.5 ~ +9.6",
        "-2.5 ~ +6.3",
        "—",
    ]
    assert library["退役候选"].tolist() == [False, True, False, False]
    assert retirement["标题"].tolist() == ["客户换人后重建关系"]
    assert (
        "规则（seeds.sop_rules）：生效中的卡，近 90 天使用率低于 15%，至少 5 条反馈且负面反馈占比高于 40%。"
        in [c.value for c in app.caption]
    )

    assert app.selectbox(key="knowhow_team").options == ["上海一组"]
    [top3] = frame(app, "推荐顺序", "标题")
    assert top3["标题"].tolist() == ["预算未批项目推进", "首次电话破冰", "客户换人后重建关系"]
    assert top3["标签"].tolist() == [
        "本周团队新人练习率最高；标杆销售使用后胜率提升",
        "标杆销售使用后胜率提升",
        "",
    ]
    assert "**第 1 名 · 预算未批项目推进**" in [m.value for m in app.markdown]
    assert "胜率提升 +20.5个百分点（41 个已关闭商机）" in [c.value for c in app.caption]

    shown = metrics(app)
    assert shown["胜率提升（百分点）"] == "+20.5个百分点"
    assert shown["使用率（近90天，全公司）"] == "30.0%"
    assert shown["最近月份复用率（2026年10月）"] == "74.0%"
    [practice] = frame(app, "周", "团队")
    assert practice[["团队", "练习人数", "练习率"]].values.tolist() == [
        ["上海一组", 2, 25.0],
        ["上海一组", 4, 50.0],
    ]
    [iteration] = frame(app, "优先级", "标题")
    assert iteration.values.tolist() == [
        [1, "客户换人后重建关系", "生效", 10, 9, 90.0, "内容过时了", "SOP-B"]
    ]
    [reuse] = frame(app, "月份", "管理模式")
    assert reuse[["管理模式", "有适用打法卡", "使用了打法卡", "复用率"]].values.tolist() == [
        ["传统", 100, 15, 15.0],
        ["结构化", 100, 74, 74.0],
    ]
    [retention] = frame(app, "入职批次", "管理模式")
    assert retention[["入职人数", "90天后在职", "留存率"]].values.tolist() == [[4, 3, 75.0]]


def test_english_and_the_search_reaches_sql_as_a_value() -> None:
    app = open_page("east", language="en", knowhow_search="quote")
    assert app.title[0].value == "Know-how"
    library, _ = frame(app, "Title", "Industry")
    assert library[["Title", "Stage", "Status"]].values.tolist() == [
        ["预算未批项目推进", "Quote", "Active"]
    ]
    assert metrics(app)["Win-rate uplift (pp)"] == "+20.5 pp"
    app.text_input(key="knowhow_search").set_value("x' or '1'='1").run()
    assert not app.exception
    assert "No card matches the search." in [i.value for i in app.info]
    app.text_input(key="knowhow_search").set_value("报价").run()  # the Chinese stage label
    library, _ = frame(app, "Title", "Industry")
    assert library["Title"].tolist() == ["预算未批项目推进"]


def test_a_city_manager_never_sees_beijing_and_an_empty_team_says_so() -> None:
    app = open_page("sh")
    everything = " ".join(table.value.to_string() for table in app.dataframe)
    assert "北京" not in everything and "能源" not in everything
    assert app.selectbox(key="knowhow_team").options == ["上海一组"]
    [practice] = frame(app, "周", "团队")
    assert practice["团队"].unique().tolist() == ["上海一组"]
    assert metrics(app)["最近月份复用率（2026年10月）"] == "50.0%"
    [retention] = frame(app, "入职批次", "管理模式")
    assert retention["留存率"].tolist() == [50.0]
    app.sidebar.selectbox(key="scope_unit_id").set_value("t-o'brien").run()
    assert not app.exception
    assert [i.value for i in app.info].count("该范围内暂无数据。") == 4
    frame(app, "标题", "适用行业")  # the company-wide library stays


def test_a_rep_gets_their_team_recommendations_and_no_unit_totals() -> None:
    app = open_page("rep")
    assert app.selectbox(key="knowhow_team").options == ["上海一组"]
    [top3] = frame(app, "推荐顺序", "标题")
    assert top3["标题"].tolist() == ["首次电话破冰"]  # 制造 · lead, the first scenario
    assert [c.value for c in app.caption].count("此部分为团队汇总，仅对经理可见。") == 2
    assert not [table for table in app.dataframe if "练习率" in table.value.columns]
    assert "最近月份复用率（2026年10月）" not in metrics(app)
