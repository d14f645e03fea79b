"""A hand-written snapshot with the chat-signal marts' shapes, for the brief of 2026-11-27.

The brief of D = 2026-11-27 covers the conversations of D−1 = 2026-11-26 (the snapshot's
as_of). Rows on 2026-11-25 and 2026-11-27 exist to prove the window is D−1 only; approval
rows from earlier days feed the "approval still pending" rule. Opportunity owners come
from an optional ``dim_opportunities`` and reps' names from an optional ``dim_reps`` (the
marts the brief asks the warehouse for; teams also come with the rep signals); ``owner_in_signals`` puts the owner on the signal mart
instead, ``with_dimensions=False`` leaves both out.

The risky opportunities carry customers, amounts, stages, industries, expected close dates
(``fct_opportunity_daily_snapshot``) and SOP recommendations, so the ranking by amount at
risk is known: o5 ¥250万 × 2 > o1 ¥123.5万 × 3 > o3 ¥80万 × 3 > o4 ¥30万 × 5 > o6 ¥5万 × 3
> o8 ¥9,800 × 1. The rules' seeds (``dbt_project/seeds/briefs/*.csv``) are loaded as they
ship into schema ``seeds``, as the dbt build does; ``with_seeds=False`` leaves them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salesops.briefs.load import load_rules
from salesops.briefs.model import BriefRules
from salesops.config import DBT_PROJECT_DIR, Paths

BRIEF_SEEDS = DBT_PROJECT_DIR / "seeds" / "briefs"
APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
BRIEF_DATE = dt.date(2026, 11, 27)
DAY = dt.date(2026, 11, 26)
AS_OF = DAY
D = dt.date

ORG_UNITS = [
    # unit_id, level, parent_id, name, name_path, region_id
    ("hq", "hq", None, "总部", "总部", None),
    ("r-east", "region", "hq", "华东大区", "总部 / 华东大区", "r-east"),
    ("c-sh", "city", "r-east", "上海", "总部 / 华东大区 / 上海", "r-east"),
    ("t-sh1", "team", "c-sh", "上海一组", "总部 / 华东大区 / 上海 / 上海一组", "r-east"),
    ("t-sh2", "team", "c-sh", "欧'布莱恩组", "总部 / 华东大区 / 上海 / 欧'布莱恩组", "r-east"),
    ("c-hz", "city", "r-east", "杭州", "总部 / 华东大区 / 杭州", "r-east"),
    ("r-north", "region", "hq", "华北大区", "总部 / 华北大区", "r-north"),
    ("c-bj", "city", "r-north", "北京", "总部 / 华北大区 / 北京", "r-north"),
    ("t-bj1", "team", "c-bj", "北京一组", "总部 / 华北大区 / 北京 / 北京一组", "r-north"),
]

REPS = [
    # rep_id, name, team_id, role, termination_date
    ("r1", "张三", "t-sh1", "rep", None),
    ("r2", "李四", "t-sh1", "rep", None),
    ("r3", "王五", "t-sh2", "rep", None),
    ("r4", "赵六", "t-bj1", "rep", None),
    ("r5", "钱七", "t-sh1", "rep", D(2026, 11, 1)),
    ("m1", "孙经理", "t-sh1", "city_manager", None),
]

TEAMS = {rep[0]: rep[2] for rep in REPS}
"""fct_rep_signals_daily carries the rep's team (as the warehouse builds it)."""

OWNERS = {"o1": "r1", "o2": "r1", "o3": "r2", "o4": "r2", "o5": "r3", "o6": "r3", "o7": "r4"}
"""o8 has no owner in the CRM: it only reaches the top unit's brief."""

OPPORTUNITY_SIGNALS = [
    # opportunity_id, signal_date, category, negated, mentions, keywords
    ("o1", DAY, "approval", True, 2, "领导还没批"),
    ("o1", DAY, "price", False, 1, "价格"),
    ("o2", D(2026, 11, 20), "approval", True, 1, "领导还没批"),
    ("o2", D(2026, 11, 23), "approval", False, 1, "批了"),
    ("o2", DAY, "tender", False, 1, "招标"),
    ("o3", D(2026, 11, 18), "approval", True, 1, "领导还没批"),
    ("o3", D(2026, 11, 20), "approval", False, 1, "审批"),
    ("o4", D(2026, 11, 5), "approval", True, 1, "领导还没批"),
    ("o4", DAY, "budget", True, 1, "预算"),
    ("o4", DAY, "competitor", False, 2, "竞品"),
    ("o5", DAY, "it_fit", False, 3, "接口,系统对接"),
    ("o5", DAY, "competitor", True, 1, "竞品"),
    ("o6", D(2026, 11, 25), "competitor", False, 4, "竞品"),
    ("o6", DAY, "approval", True, 1, "领导还没批"),
    ("o6", DAY, "approval", False, 1, "批了"),
    ("o7", DAY, "budget", False, 1, "预算已批"),
    ("o7", D(2026, 11, 27), "competitor", False, 1, "竞品"),
    ("o8", DAY, "risk", False, 1, "项目延期"),
]

REP_SIGNALS = [
    # rep_id, signal_date, category, negated, mentions, keywords
    ("r1", DAY, "approval", True, 2, "领导还没批"),
    ("r1", DAY, "price", False, 3, "价格,太贵"),
    ("r1", DAY, "tender", False, 1, "招标"),
    ("r1", D(2026, 11, 25), "competitor", False, 5, "竞品"),
    ("r2", DAY, "budget", True, 1, "预算"),
    ("r2", DAY, "competitor", False, 2, "竞品"),
    ("r3", DAY, "it_fit", False, 3, "接口,系统对接"),
    ("r3", DAY, "competitor", True, 1, "竞品"),
    ("r3", DAY, "approval", True, 1, "领导还没批"),
    ("r3", DAY, "approval", False, 1, "批了"),
    ("r4", DAY, "budget", False, 1, "预算已批"),
    ("r4", D(2026, 11, 27), "competitor", False, 1, "竞品"),
]

OPPORTUNITIES = {
    # opportunity_id: customer_name, customer_industry, latest_stage, amount
    "o1": ("上海浦江精密制造有限公司", "制造", "quote", 1_234_567),
    "o2": ("上海浦江精密制造有限公司", "制造", "qualified", 200_000),
    "o3": ("杭州西湖医疗器械有限公司", "医疗", "negotiation", 800_000),
    "o4": ("苏州工业园区新材料科技有限公司", "制造", "qualified", 300_000),
    "o5": ("上海临港智能装备股份有限公司", "制造", "contract_approval", 2_500_000),
    "o6": ("宁波港口物流集团有限公司", "物流", "quote", 50_000),
    "o7": ("北京中关村软件有限公司", "软件", "quote", 600_000),
    "o8": (None, None, "lead", 9_800),
}

EXPECTED_CLOSES = [
    # opportunity_id, snapshot_date, expected_close_date_raw
    ("o1", D(2026, 11, 20), "2026-12-01"),
    ("o1", DAY, "2026-12-15"),
    ("o1", D(2026, 11, 27), "2027-02-01"),
    ("o3", DAY, "2026-12-31"),
    ("o4", DAY, "尽快"),
    ("o5", DAY, "2026-12-05"),
    ("o6", DAY, "2027-01-20"),
]

RECOMMENDATIONS = [
    # unit_id (team), industry, stage, recommendation_rank, card_id, title
    ("t-sh1", "制造", "quote", 1, "K1", "报价后48小时回访"),
    ("t-sh1", "制造", "quote", 2, "K9", "竞品对比一页纸"),
    ("t-sh1", "医疗", "negotiation", 1, "K4", "医疗行业商务谈判让步清单"),
    ("t-sh2", "制造", "qualified", 1, "K3", "需求确认三问"),
    ("t-bj1", "制造", "qualified", 1, "K2", "预算摸底清单"),
    ("t-sh2", "制造", "contract_approval", 1, "K5", "合同审批加速：拉通采购与法务"),
]
"""o4 (t-sh1, 制造, qualified) has no card of its own team: the card most teams rank first
(a tie, so the lower card_id K2); o6 (物流) and o8 (no industry) have no card."""

TEAM_KEYWORDS = [
    # unit_id (the team), week_start, rank, keyword, mentions
    ("t-sh1", D(2026, 11, 16), 1, "旧词", 9),
    ("t-sh1", D(2026, 11, 23), 1, "领导还没批", 4),
    ("t-sh1", D(2026, 11, 23), 2, "价格", 3),
    ("t-sh1", D(2026, 11, 23), 3, "招标", 1),
    ("t-sh2", D(2026, 11, 23), 1, "接口", 3),
    ("t-sh2", D(2026, 11, 23), 2, "系统对接", 3),
    ("t-sh2", D(2026, 11, 23), 3, "竞品", 1),
    ("t-bj1", D(2026, 11, 16), 1, "预算已批", 2),
    ("t-bj1", D(2026, 11, 30), 1, "未来词", 7),
]


def build_brief_snapshot(
    path: Path,
    *,
    as_of: dt.date = AS_OF,
    with_dimensions: bool = True,
    owner_in_signals: bool = False,
    with_seeds: bool = True,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table main.publish_info (as_of date, published_at timestamp, run_id varchar)"
        )
        con.execute(
            "insert into main.publish_info values (?, ?, 'run-1')",
            (as_of, dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(6, 5))),
        )
        con.execute(
            """
            create table marts.dim_org_units (
                unit_id varchar, level varchar, parent_id varchar, name varchar,
                name_path varchar, region_id varchar, is_implicit boolean, structured_since date
            )
            """
        )
        con.executemany(
            "insert into marts.dim_org_units values (?, ?, ?, ?, ?, ?, false, null)", ORG_UNITS
        )
        con.execute(
            """
            create table marts.fct_source_availability (
                table_name varchar, source varchar, row_count bigint, is_available boolean,
                as_of date
            )
            """
        )
        con.execute(
            "insert into marts.fct_source_availability values ('chat_messages', 'chat', 20, true, ?)",
            (as_of,),
        )
        owner = ", owner_rep_id varchar" if owner_in_signals else ""
        con.execute(
            f"""
            create table marts.fct_opportunity_signals_daily (
                opportunity_id varchar, signal_date date, category varchar, negated boolean,
                mentions bigint, keywords varchar, as_of date{owner}
            )
            """
        )
        con.executemany(
            "insert into marts.fct_opportunity_signals_daily values (?, ?, ?, ?, ?, ?, ?"
            + (", ?)" if owner_in_signals else ")"),
            [
                (*row, as_of, *((OWNERS.get(row[0]),) if owner_in_signals else ()))
                for row in OPPORTUNITY_SIGNALS
            ],
        )
        con.execute(
            """
            create table marts.fct_rep_signals_daily (
                rep_id varchar, team_id varchar, signal_date date, category varchar,
                negated boolean, mentions bigint, keywords varchar, as_of date
            )
            """
        )
        con.executemany(
            "insert into marts.fct_rep_signals_daily values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(row[0], TEAMS[row[0]], *row[1:], as_of) for row in REP_SIGNALS],
        )
        con.execute(
            """
            create table marts.fct_team_top_keywords_weekly (
                unit_id varchar, week_start date, keyword_rank integer, keyword varchar,
                mentions bigint, as_of date
            )
            """
        )
        con.executemany(
            "insert into marts.fct_team_top_keywords_weekly values (?, ?, ?, ?, ?, ?)",
            [(*row, as_of) for row in TEAM_KEYWORDS],
        )
        if with_dimensions:
            con.execute(
                """
                create table marts.dim_reps (
                    rep_id varchar, name varchar, team_id varchar, role varchar,
                    hire_date date, termination_date date, as_of date
                )
                """
            )
            con.executemany(
                "insert into marts.dim_reps values (?, ?, ?, ?, date '2024-01-01', ?, ?)",
                [(*row, as_of) for row in REPS],
            )
            owner = "" if owner_in_signals else "owner_rep_id varchar, "
            con.execute(
                f"""
                create table marts.dim_opportunities (
                    opportunity_id varchar, {owner}team_id varchar, customer_name varchar,
                    customer_industry varchar, latest_stage varchar, status_as_of varchar,
                    amount decimal(18, 2), next_step_locked_at timestamp, as_of date
                )
                """
            )
            con.executemany(
                "insert into marts.dim_opportunities values (?, "
                + ("" if owner_in_signals else "?, ")
                + "?, ?, ?, ?, 'open', ?, null, ?)",
                [
                    (
                        opportunity,
                        *(() if owner_in_signals else (OWNERS.get(opportunity),)),
                        TEAMS.get(OWNERS.get(opportunity)),
                        customer,
                        industry,
                        stage,
                        amount,
                        as_of,
                    )
                    for opportunity, (customer, industry, stage, amount) in OPPORTUNITIES.items()
                ],
            )
            con.execute(
                """
                create table marts.fct_opportunity_daily_snapshot (
                    snapshot_date date, opportunity_id varchar, stage varchar, amount double,
                    expected_close_date_raw varchar, expected_close_on date
                )
                """
            )
            con.executemany(
                "insert into marts.fct_opportunity_daily_snapshot values "
                "(?, ?, 'quote', 0, ?, try_cast(? as date))",
                [(day, opportunity, raw, raw) for opportunity, day, raw in EXPECTED_CLOSES],
            )
            con.execute(
                """
                create table marts.fct_sop_recommendations (
                    unit_id varchar, industry varchar, stage varchar,
                    recommendation_rank bigint, card_id varchar, title varchar, as_of date
                )
                """
            )
            con.executemany(
                "insert into marts.fct_sop_recommendations values (?, ?, ?, ?, ?, ?, ?)",
                [(*row, as_of) for row in RECOMMENDATIONS],
            )
        if with_seeds:
            load_brief_seeds(con)
    return path


def load_brief_seeds(con: duckdb.DuckDBPyConnection) -> None:
    """The rules' seeds as they ship, into schema ``seeds`` (as ``dbt seed`` loads them)."""
    con.execute("create schema if not exists seeds")
    for csv in sorted(BRIEF_SEEDS.glob("*.csv")):
        con.execute(
            f"create table seeds.{csv.stem} as select * from read_csv(?, header = true, "
            "all_varchar = true)",
            [str(csv)],
        )


@pytest.fixture
def brief_snapshot(tmp_path: Path) -> Path:
    return build_brief_snapshot(tmp_path / "salesops.duckdb")


@pytest.fixture
def published(salesops_home: Paths) -> Paths:
    """SALESOPS_HOME with the fixture snapshot published."""
    build_brief_snapshot(salesops_home.snapshot_db)
    return salesops_home


@pytest.fixture
def snapshot_factory() -> Callable[..., Path]:
    return build_brief_snapshot


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


@pytest.fixture
def shipped_rules() -> BriefRules:
    """The rules as the seeds ship them, read by the loader (for briefs built by hand)."""
    with duckdb.connect(":memory:") as con:
        con.execute("attach ':memory:' as snapshot")
        con.execute("use snapshot")
        load_brief_seeds(con)
        return load_rules(con, Path("shipped seeds"))
