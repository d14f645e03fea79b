"""Dashboard test fixtures: SALESOPS_HOME in a tmp dir and a hand-written snapshot.

The snapshot has the marts' public shape (SPEC §5 "Funnel"): rows for HQ, two regions,
a city under each (上海 without opportunities of its own, 北京) and teams (one with a
quote in its id), four reps, and the availability reports of a source that has every
extract the funnel needs (``missing`` makes the funnel marts unavailable for lack of
those tables).

Users (SPEC §7; password of each: ``pw-<username>``): ``hq`` (manager of hq), ``east``
(华东大区), ``sh`` (上海), ``bj`` (北京), ``rep`` (rep s-001 of 上海一组). ``sign_in(app,
username)`` starts an AppTest session as that user, as the sign-in form leaves it.

Pages add their own marts with :func:`write_rows` (a table from a list of dicts, only the
columns the page reads); tests/dashboards/test_dashboards_scope.py checks every loader
against a real published snapshot, so a column the fixture invents is caught there.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from salesops.config import Paths
from salesops.run_summary import write_snapshot_table
from salesops.users import add_user

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"

AS_OF = dt.date(2026, 11, 26)
PUBLISHED_AT = dt.datetime(2026, 11, 27, 6, 5)
STAGES = ("lead", "qualified", "quote", "negotiation", "contract_approval")

ORG_UNITS = [
    # unit_id, level, parent_id, name, name_path, region_id, structured_since
    ("hq", "hq", None, "总部", "总部", None, None),
    ("r-east", "region", "hq", "华东大区", "总部 / 华东大区", "r-east", dt.date(2026, 3, 1)),
    ("c-sh", "city", "r-east", "上海", "总部 / 华东大区 / 上海", "r-east", dt.date(2026, 3, 1)),
    (
        "t-sh1",
        "team",
        "c-sh",
        "上海一组",
        "总部 / 华东大区 / 上海 / 上海一组",
        "r-east",
        dt.date(2026, 3, 1),
    ),
    (
        "t-o'brien",
        "team",
        "c-sh",
        "欧'布莱恩组",
        "总部 / 华东大区 / 上海 / 欧'布莱恩组",
        "r-east",
        None,
    ),
    ("r-north", "region", "hq", "华北大区", "总部 / 华北大区", "r-north", None),
    ("c-bj", "city", "r-north", "北京", "总部 / 华北大区 / 北京", "r-north", None),
    ("t-bj1", "team", "c-bj", "北京一组", "总部 / 华北大区 / 北京 / 北京一组", "r-north", None),
]

# rep_id, team_id, name, role, hire_date, termination_date, is_active
REPS = [
    ("s-001", "t-sh1", "李娜", "rep", dt.date(2025, 2, 1), None, True),
    ("s-002", "t-sh1", "王强", "rep", dt.date(2026, 8, 1), None, True),
    ("s-003", "t-o'brien", "欧阳明", "rep", dt.date(2024, 5, 6), None, True),
    ("s-101", "t-bj1", "赵敏", "rep", dt.date(2025, 1, 6), None, True),
]

# username: (name, role, unit_id or rep_id)
USERS = {
    "hq": ("周总", "manager", "hq"),
    "east": ("华东经理", "manager", "r-east"),
    "sh": ("上海经理", "manager", "c-sh"),
    "bj": ("北京经理", "manager", "c-bj"),
    "rep": ("李娜", "rep", "s-001"),
}


def closure_rows(units: list[tuple] = ORG_UNITS) -> list[tuple[str, str, int]]:
    """(ancestor_id, descendant_id, depth) of the fixture tree, each unit its own at 0."""
    parents = {unit[0]: unit[2] for unit in units}
    rows = []
    for unit_id in parents:
        ancestor, depth = unit_id, 0
        while ancestor is not None:
            rows.append((ancestor, unit_id, depth))
            ancestor, depth = parents.get(ancestor), depth + 1
    return rows


def write_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Create ``table`` (``schema.name``) from ``rows`` (dicts with the same keys)."""
    frame = pd.DataFrame(rows)  # noqa: F841 (read by the SQL below)
    con.execute(f"create or replace table {table} as select * from frame")


# unit_id: (opportunities, open, won, lost, win_rate, signed, median cycle, mean cycle)
SUMMARIES = {
    "hq": (100, 30, 30, 40, 30 / 70, 30, 62.0, 70.5),
    "r-east": (60, 20, 18, 22, 0.45, 18, 71.5, 75.0),
    "t-sh1": (20, 6, 5, 9, 5 / 14, 5, 86.0, 90.0),
    "t-o'brien": (8, 2, 3, 3, 0.5, 3, 44.0, 47.0),
}

# unit_id: reached per stage (advanced = next stage's reached; contract_approval → won)
REACHED = {
    "hq": (100, 92, 85, 76, 40),
    "r-east": (60, 50, 41, 33, 24),
    "t-sh1": (20, 16, 12, 9, 7),
    "t-o'brien": (8, 7, 6, 5, 4),
}


def _stage_rows(unit_id: str, level: str) -> list[tuple]:
    reached = REACHED[unit_id]
    won = SUMMARIES[unit_id][2]
    rows = []
    for order, stage in enumerate(STAGES, start=1):
        advanced = reached[order] if order < len(STAGES) else won
        rows.append(
            (
                AS_OF,
                unit_id,
                level,
                stage,
                order,
                reached[order - 1],
                advanced,
                1,
                reached[order - 1] - advanced - 1,
                advanced / reached[order - 1],
                3.0 + order,
                10,
            )
        )
    return rows


# table_name, source, row_count when present
SOURCES = [
    ("org_units", "crm", 5),
    ("reps", "crm", 40),
    ("leads", "crm", 180),
    ("opportunities", "crm", 100),
    ("opportunity_stage_history", "crm", 412),
    ("targets", "crm", 0),
    ("chat_messages", "chat", 0),
    ("contracts", "finance", 30),
]
FUNNEL_REQUIRES = ("opportunities", "opportunity_stage_history", "reps")


def _write_availability(con: duckdb.DuckDBPyConnection, missing: tuple[str, ...]) -> None:
    con.execute(
        """
        create table marts.fct_source_availability (
            table_name varchar, source varchar, row_count bigint, is_available boolean,
            as_of date
        )
        """
    )
    counts = [(name, source, 0 if name in missing else rows) for name, source, rows in SOURCES]
    con.executemany(
        "insert into marts.fct_source_availability values (?, ?, ?, ?, ?)",
        [(name, source, rows, rows > 0, AS_OF) for name, source, rows in counts],
    )
    con.execute(
        """
        create table marts.fct_mart_availability (
            mart_name varchar, is_available boolean, required_tables varchar,
            missing_tables varchar, missing_optional_tables varchar, description varchar,
            as_of date
        )
        """
    )
    empty = {name for name, _, rows in counts if rows == 0}
    marts = [
        ("dim_org_units", (), ("org_units", "reps")),
        ("fct_funnel_stages", FUNNEL_REQUIRES, ("org_units",)),
        ("fct_funnel_summary", FUNNEL_REQUIRES, ("contracts", "leads", "org_units")),
    ]
    con.executemany(
        "insert into marts.fct_mart_availability values (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                name,
                not empty & set(required),
                ", ".join(sorted(required)),
                ", ".join(sorted(empty & set(required))),
                ", ".join(sorted(empty & set(optional))),
                name,
                AS_OF,
            )
            for name, required, optional in marts
        ],
    )


def _build_snapshot(
    path: Path,
    *,
    summaries: dict[str, tuple] = SUMMARIES,
    published_at: dt.datetime = PUBLISHED_AT,
    with_funnel_marts: bool = True,
    missing: tuple[str, ...] = (),
    ingest_summary: list | None = None,
    extra_tables: tuple[Callable[[duckdb.DuckDBPyConnection], None], ...] = (),
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        if ingest_summary is not None:
            write_snapshot_table(con, ingest_summary, 0.05)
        con.execute(
            "create table main.publish_info (as_of date, published_at timestamp, run_id varchar)"
        )
        con.execute("insert into main.publish_info values (?, ?, 'run-1')", (AS_OF, published_at))
        con.execute(
            """
            create table marts.dim_org_units (
                unit_id varchar, level varchar, parent_id varchar, name varchar,
                name_path varchar, region_id varchar, structured_since date
            )
            """
        )
        con.executemany("insert into marts.dim_org_units values (?, ?, ?, ?, ?, ?, ?)", ORG_UNITS)
        con.execute(
            "create table marts.dim_org_unit_closure (ancestor_id varchar, descendant_id varchar, depth bigint)"
        )
        con.executemany("insert into marts.dim_org_unit_closure values (?, ?, ?)", closure_rows())
        con.execute(
            """
            create table marts.dim_reps (
                rep_id varchar, team_id varchar, name varchar, role varchar, hire_date date,
                termination_date date, is_active boolean, as_of date
            )
            """
        )
        con.executemany(
            "insert into marts.dim_reps values (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*rep, AS_OF) for rep in REPS],
        )
        # the default page's marts (今日概览), empty: a test's first run lands there
        con.execute(
            """
            create table marts.fct_attention_items (
                item_kind varchar, item_id varchar, rep_id varchar, team_id varchar,
                opportunity_id varchar, customer_name varchar, kind_label_zh varchar,
                kind_label_en varchar, page varchar, sort_order integer, amount double,
                measure double, note_zh varchar, note_en varchar, item_on date, as_of date
            )
            """
        )
        con.execute(
            """
            create table marts.fct_attention_summary (
                unit_id varchar, unit_level varchar, item_kind varchar, kind_label_zh varchar,
                kind_label_en varchar, page varchar, sort_order integer, item_count bigint,
                rep_count bigint, amount_sum double, as_of date
            )
            """
        )
        for extend in extra_tables:
            extend(con)
        _write_availability(con, missing)
        if not with_funnel_marts:
            return path
        levels = {unit[0]: unit[1] for unit in ORG_UNITS}
        con.execute(
            """
            create table marts.fct_funnel_summary (
                as_of date, unit_id varchar, unit_level varchar, opportunities_count bigint,
                open_count bigint, won_count bigint, lost_count bigint, win_rate_count double,
                signed_count bigint, median_lead_to_sign_days double, avg_lead_to_sign_days double
            )
            """
        )
        con.executemany(
            "insert into marts.fct_funnel_summary values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(AS_OF, unit_id, levels[unit_id], *values) for unit_id, values in summaries.items()],
        )
        con.execute(
            """
            create table marts.fct_funnel_stages (
                as_of date, unit_id varchar, unit_level varchar, stage varchar, stage_order integer,
                reached_count bigint, advanced_count bigint, open_count bigint, lost_count bigint,
                conversion_rate double, median_dwell_days double, dwell_sample_count bigint
            )
            """
        )
        con.executemany(
            "insert into marts.fct_funnel_stages values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row for unit_id in REACHED for row in _stage_rows(unit_id, levels[unit_id])],
        )
    return path


@pytest.fixture(autouse=True, scope="module")
def _garbage_of_earlier_modules_collected_here() -> None:
    """Collect, in the test's own thread, what earlier modules in this worker left for the
    garbage collector (Dagster's in-memory instances hold SQLite connections). Collected instead
    in the thread AppTest runs a page in, such a connection cannot be closed (SQLite refuses
    another thread), SQLAlchemy logs the error with a traceback, and Python 3.11 parses source
    lines to draw that traceback: a parse inside Streamlit's own parse of the page, which then
    fails with "SystemError: AST constructor recursion depth mismatch" (CPython's AST state is
    shared, python/cpython#106905) and the page shows nothing. Seen once in CI, in
    test_page_efficiency."""
    gc.collect()


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def build_snapshot() -> Callable[..., Path]:
    """Write a snapshot file at a given path (the fixture rows, optionally altered)."""
    return _build_snapshot


@pytest.fixture
def published(salesops_home: Paths) -> Paths:
    """SALESOPS_HOME with the fixture snapshot published."""
    _build_snapshot(salesops_home.snapshot_db)
    return salesops_home


@pytest.fixture
def publish(salesops_home: Paths) -> Callable[..., Path]:
    """Publish a new snapshot the way the pipeline does: build aside, then os.replace.

    ``summaries`` overrides the fixture's summary rows by unit_id.
    """

    def _publish(summaries: dict[str, tuple] | None = None, **kwargs) -> Path:
        staging = salesops_home.warehouse_dir / "publish.tmp.duckdb"
        _build_snapshot(staging, summaries={**SUMMARIES, **(summaries or {})}, **kwargs)
        os.replace(staging, salesops_home.snapshot_db)
        return salesops_home.snapshot_db

    return _publish


@pytest.fixture(scope="session")
def _users_text(tmp_path_factory) -> str:
    """The fixture users file, hashed once per session (bcrypt is slow on purpose)."""
    path = tmp_path_factory.mktemp("users") / "users.yaml"
    for username, (name, role, subject) in USERS.items():
        add_user(
            path,
            username,
            name,
            role,
            f"pw-{username}",
            unit_id=subject if role == "manager" else None,
            rep_id=subject if role == "rep" else None,
        )
    return path.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def users_file(salesops_home: Paths, _users_text: str) -> Path:
    path = salesops_home.home / "config" / "users.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_users_text, encoding="utf-8")
    return path


def sign_in(app: AppTest, username: str) -> AppTest:
    """The session as the sign-in form leaves it for ``username`` (see test_dashboards_auth)."""
    app.session_state["authentication_status"] = True
    app.session_state["username"] = username
    app.session_state["name"] = USERS[username][0]
    app.session_state["logout"] = None
    return app


@pytest.fixture
def app() -> AppTest:
    """The app, signed in as HQ."""
    return sign_in(AppTest.from_file(APP, default_timeout=60), "hq")


@pytest.fixture(name="sign_in")
def _sign_in_fixture() -> Callable[..., AppTest]:
    """``sign_in(username, language="zh")``: a new AppTest of the entry point, signed in as
    ``username`` (test modules cannot import this conftest, so its helpers are fixtures)."""

    def _open(username: str, language: str = "zh") -> AppTest:
        app = sign_in(AppTest.from_file(APP, default_timeout=60), username)
        app.session_state["language"] = language
        return app

    return _open


@pytest.fixture(name="write_rows")
def _write_rows_fixture() -> Callable[[duckdb.DuckDBPyConnection, str, list[dict]], None]:
    """:func:`write_rows` for test modules."""
    return write_rows
