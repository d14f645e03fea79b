"""Every DuckDB connection of a run that holds whole tables works within the run's memory
setting (SALESOPS_DUCKDB_MEMORY, default 3GB), spills under the home and never downloads an
extension: the in-memory database of the ingest and the checks (salesops.duck) and the dbt
build's warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from salesops import duck
from salesops.config import DBT_PROJECT_DIR, DEFAULT_DUCKDB_MEMORY, DUCKDB_MEMORY_VARIABLE
from salesops.dbt_cli import project_args

DBT = Path(sys.executable).with_name("salesops-dbt")
SETTINGS = (
    "select current_setting('memory_limit'), current_setting('temp_directory'), "
    "current_setting('autoinstall_known_extensions') as autoinstall"
)


def limit_of(size: str) -> str:
    """DuckDB's own rendering of a memory size (``3GB`` → ``2.7 GiB``)."""
    with duckdb.connect(config={"memory_limit": size}) as con:
        return con.execute("select current_setting('memory_limit')").fetchall()[0][0]


@pytest.mark.parametrize("open_", [duck.connect, duck.own_database], ids=["shared", "own"])
@pytest.mark.parametrize("size", [None, "1GB"])
def test_the_runs_in_memory_databases_have_the_limit_and_spill_under_the_home(tmp_path, monkeypatch, size, open_):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    if size:
        monkeypatch.setenv(DUCKDB_MEMORY_VARIABLE, size)
    else:
        monkeypatch.delenv(DUCKDB_MEMORY_VARIABLE, raising=False)
    with open_() as con:
        limit, spill, autoinstall = con.execute(SETTINGS).fetchall()[0]
    assert limit == limit_of(size or DEFAULT_DUCKDB_MEMORY)
    assert Path(spill) == tmp_path / "tmp" / "duckdb"
    assert autoinstall is False  # no extension downloads at run time


@pytest.mark.parametrize("open_", [duck.connect, duck.own_database], ids=["shared", "own"])
def test_a_query_larger_than_the_limit_spills_under_a_new_home(tmp_path, monkeypatch, open_):
    """A home that has never run (no tmp/ yet): the query that outgrows the limit spills
    under it instead of failing on the missing folder (found at SF10)."""
    home = tmp_path / "new_home"
    monkeypatch.setenv("SALESOPS_HOME", str(home))
    monkeypatch.setenv(DUCKDB_MEMORY_VARIABLE, "64MB")
    with open_() as con:
        con.execute("set threads = 1")
        rows = con.execute(
            "select count(*), count(distinct k) from "
            "(select i, md5(cast(i as varchar)) as k from range(3000000) t(i) order by k)"
        ).fetchall()
    assert rows == [(3_000_000, 3_000_000)]
    assert (home / "tmp" / "duckdb").is_dir()


def test_cursors_share_functions_but_not_temporary_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    with duck.connect() as first:
        first.execute("create temp table rows_of_this_connection as select 1 as x")
        with duck.connect() as second, pytest.raises(duckdb.CatalogException):
            second.execute("select * from rows_of_this_connection")


def test_the_dbt_build_has_the_limit_and_spills_under_the_home(tmp_path):
    (tmp_path / "warehouse").mkdir()
    env = {
        **os.environ,
        "SALESOPS_HOME": str(tmp_path),
        DUCKDB_MEMORY_VARIABLE: "1GB",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT), "show", "--inline", SETTINGS, "--output", "json",
        *project_args(DBT_PROJECT_DIR, tmp_path / "dbt_target"), "--log-path", str(tmp_path / "logs"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert limit_of("1GB") in done.stdout
    assert str(tmp_path / "tmp" / "duckdb") in done.stdout
    assert '"autoinstall": false' in done.stdout
