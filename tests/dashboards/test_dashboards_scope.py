"""SPEC §7 on a real published warehouse: a city manager's session cannot reach another
city's rows through any page, filter, URL parameter or crafted value, and a rep sees only
their own rows.

Two sibling cities A and B of one region of the planted default world. Signed in as A's
manager, every page is opened in both languages with B (or a crafted value) in the URL and
in the session; nothing that names B's units, B's reps or B's customers may be rendered
anywhere (tables, charts, metrics, text). Every loader of ``dashboards.queries`` is also
called directly with B as the unit: it must return no row. The same loaders, called in
scope, must run against the real marts (so a column a page's fixture invents is caught).
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import dashboards.queries
from dashboards import data
from dashboards.navigation import PAGES
from salesops.users import add_user

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
CRAFTED = ["x' or '1'='1", "C02' --", "%", ""]


@dataclass(frozen=True)
class World:
    home: Path
    snapshot: Path
    city_a: str
    city_b: str
    region: str
    rep_a: str
    forbidden: frozenset[str]
    """Names of B's units, of reps under B only and of customers with deals under B only."""
    forbidden_for_rep: frozenset[str]
    """Names of the other reps of rep_a's team (and nobody else's)."""


def _one_column(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list:
    return [row[0] for row in con.execute(sql, params).fetchall()]


@pytest.fixture(scope="module")
def world(planted_world, tmp_path_factory) -> World:
    planted = planted_world("default")
    home = tmp_path_factory.mktemp("scope_home")
    (home / "warehouse").mkdir()
    os.symlink(planted.snapshot, home / "warehouse" / "salesops.duckdb")
    if (planted.home / "briefs").exists():
        os.symlink(planted.home / "briefs", home / "briefs")
    con = duckdb.connect(str(planted.snapshot), read_only=True)
    try:
        region, city_a, city_b = con.execute(
            """
            select parent_id, min(unit_id), max(unit_id)
            from marts.dim_org_units
            where level = 'city'
            group by parent_id
            having count(*) >= 2
            order by parent_id
            limit 1
            """
        ).fetchall()[0]
        under = "select descendant_id from marts.dim_org_unit_closure where ancestor_id = ?"
        units_b = _one_column(
            con, f"select name from marts.dim_org_units where unit_id in ({under})", [city_b]
        )
        reps_b = _one_column(
            con,
            f"""
            select name from marts.dim_reps where team_id in ({under})
            except
            select name from marts.dim_reps where team_id not in ({under}) or team_id is null
            """,
            [city_b, city_b],
        )
        customers_b = _one_column(
            con,
            f"""
            select customer_name from marts.dim_opportunities where team_id in ({under})
            except
            select customer_name from marts.dim_opportunities
            where team_id not in ({under}) or team_id is null
            """,
            [city_b, city_b],
        )
        rep_a, team_a, name_a = con.execute(
            f"""
            select rep_id, team_id, name from marts.dim_reps
            where role = 'rep' and is_active and team_id in ({under})
            order by rep_id limit 1
            """,
            [city_a],
        ).fetchall()[0]
        teammates = _one_column(
            con,
            """
            select name from marts.dim_reps where team_id = ? and rep_id <> ?
            except
            select name from marts.dim_reps where rep_id = ? or team_id <> ?
            """,
            [team_a, rep_a, rep_a, team_a],
        )
    finally:
        con.close()
    users = home / "config" / "users.yaml"
    add_user(users, "city_a", "A 城市经理", "manager", "pw", unit_id=city_a)
    add_user(users, "rep_a", str(name_a), "rep", "pw", rep_id=rep_a)
    forbidden = frozenset(str(n) for n in [*units_b, *reps_b, *customers_b] if n)
    assert units_b and reps_b and customers_b, "the world has no sibling city with reps and deals"
    return World(
        home,
        planted.snapshot,
        city_a,
        city_b,
        region,
        rep_a,
        forbidden,
        frozenset(str(n) for n in teammates if n),
    )


@pytest.fixture
def in_world(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("SALESOPS_HOME", str(world.home))
    monkeypatch.delenv("SALESOPS_USERS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield world
    st.cache_data.clear()
    st.cache_resource.clear()


def page_files() -> list[str]:
    return [file for _, file, _, _, _ in PAGES]


def rendered_text(app: AppTest) -> str:
    """Everything the session rendered: values, labels, table cells, chart specs."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        spec = getattr(proto, "spec", None)
        if isinstance(spec, str) and spec:
            parts.append(json.dumps(json.loads(spec), ensure_ascii=False))
        for attribute in ("value", "label", "body", "options"):
            try:
                value = getattr(node, attribute)
            except Exception:  # noqa: BLE001 - not every element has every attribute
                continue
            if isinstance(value, pd.DataFrame):
                parts.append(value.to_csv())
            elif value is not None and not callable(value):
                parts.append(str(value))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return "\n".join(parts)


def leaked(text: str, names: frozenset[str]) -> list[str]:
    return sorted(name for name in names if name in text)


def signed_in(username: str, language: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["authentication_status"] = True
    app.session_state["username"] = username
    app.session_state["name"] = username
    app.session_state["logout"] = None
    app.session_state["language"] = language
    return app


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_city_manager_reaches_no_other_citys_rows_on_any_page(
    in_world: World, language: str
) -> None:
    app = signed_in("city_a", language)
    app.query_params["unit"] = in_world.city_b
    app.run()
    assert app.sidebar.selectbox(key="scope_unit_id").value == in_world.city_a
    assert app.sidebar.warning, "the out-of-scope unit in the URL is not reported"
    for page in page_files():
        for attempt in (in_world.city_b, CRAFTED[0]):
            app.query_params["unit"] = attempt
            app.switch_page(f"app_pages/{page}").run()
            assert not app.exception, (page, attempt, app.exception)
            assert app.sidebar.selectbox(key="scope_unit_id").value == in_world.city_a, (
                page,
                attempt,
            )
            assert not leaked(rendered_text(app), in_world.forbidden), (page, attempt)
    for attempt in (in_world.region, *CRAFTED[1:]):
        app.query_params["unit"] = attempt
        app.switch_page(f"app_pages/{page_files()[0]}").run()
        assert not app.exception, (attempt, app.exception)
        assert app.sidebar.selectbox(key="scope_unit_id").value == in_world.city_a


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_rep_sees_no_teammates_rows_on_any_page(in_world: World, language: str) -> None:
    app = signed_in("rep_a", language)
    app.run()
    for page in page_files():
        app.switch_page(f"app_pages/{page}").run()
        assert not app.exception, (page, app.exception)
        text = rendered_text(app)
        assert not leaked(text, in_world.forbidden_for_rep | in_world.forbidden), page


def loaders() -> list[tuple[str, Callable]]:
    found = []
    for info in pkgutil.iter_modules(dashboards.queries.__path__):
        module = importlib.import_module(f"dashboards.queries.{info.name}")
        for name, function in vars(module).items():
            if name.startswith("_") or not callable(function):
                continue
            if getattr(function, "__module__", None) != module.__name__ and not hasattr(
                function, "__wrapped__"
            ):
                continue
            try:
                parameters = list(inspect.signature(function).parameters)
            except (TypeError, ValueError):
                continue
            if parameters[:1] == ["scope"]:
                found.append((f"{info.name}.{name}", function))
    return found


def reveals_nothing(result: object) -> bool:
    if result is None:
        return True
    if isinstance(result, pd.DataFrame):
        return result.empty
    if isinstance(result, list | tuple):
        return not result
    if isinstance(result, dict):
        return all(
            value is None or value == 0 or (isinstance(value, float) and math.isnan(value))
            for value in result.values()
        )
    return False


def test_every_scoped_loader_is_found() -> None:
    names = [name for name, _ in loaders()]
    assert "today.attention_items" in names and "today.attention_summary" in names


@pytest.mark.parametrize(("name", "loader"), loaders(), ids=[name for name, _ in loaders()])
def test_a_loader_returns_no_row_outside_the_viewers_unit(
    in_world: World, name: str, loader: Callable
) -> None:
    snapshot = data.current_snapshot()
    city_a = data.Viewer("city_a", "A", "manager", in_world.city_a)
    hq_root = duckdb.connect(str(in_world.snapshot), read_only=True)
    try:
        top = hq_root.execute(
            "select unit_id from marts.dim_org_units where parent_id is null"
        ).fetchall()[0][0]
    finally:
        hq_root.close()
    hq = data.Viewer("hq", "HQ", "manager", top)
    # in scope, on the real marts: runs (the page's SQL binds on the published columns)
    loader(data.Scope(snapshot, hq, top, "", "hq"))
    loader(data.Scope(snapshot, city_a, in_world.city_a, "", "city"))
    for unit_id in (in_world.city_b, in_world.region, top, *CRAFTED):
        result = loader(data.Scope(snapshot, city_a, unit_id, "", "city"))
        assert reveals_nothing(result), (name, unit_id)
