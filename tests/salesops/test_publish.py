"""Publish: build-then-rename; readers never block the writer and keep their snapshot."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from salesops.config import Paths
from salesops.publish import PublishError, open_snapshot, publish_snapshot


def build_warehouse(paths: Paths, value: int) -> None:
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_as_of_resolved as select date '2026-10-31' as as_of"
        )
        con.execute("create schema if not exists staging")
        con.execute(
            "create or replace table marts.fct_demo as select ?::int as value, date '2026-10-31' as as_of",
            [value],
        )
        con.execute("create or replace view staging.stg_demo as select 1 as x")
        con.execute("create schema if not exists intermediate")
        con.execute("create or replace table intermediate.int_demo as select 1 as x")
        con.execute(
            "create or replace view intermediate.int_demo_view as select x from intermediate.int_demo"
        )


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path).ensure()


def test_publish_writes_a_read_only_snapshot_with_publish_info(paths):
    build_warehouse(paths, 1)
    result = publish_snapshot(paths, run_id="r1", now=dt.datetime(2026, 11, 1, 6, 0))
    assert result.as_of == dt.date(2026, 10, 31)
    con = open_snapshot(paths)
    assert con.execute("select as_of, published_at, run_id from main.publish_info").fetchall() == [
        (dt.date(2026, 10, 31), dt.datetime(2026, 11, 1, 6, 0), "r1")
    ]
    # the build-only schemas (views over live bronze files, working tables) are not published
    build_only = "schema_name in ('staging', 'intermediate')"
    assert con.execute(f"select count(*) from duckdb_views() where {build_only}").fetchone() == (0,)
    assert con.execute(f"select count(*) from duckdb_tables() where {build_only}").fetchone() == (
        0,
    )
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("create table marts.x (a int)")


def test_the_as_of_comes_from_the_one_model_that_resolves_it(paths):
    """Not from scanning the marts: a mart's own as_of column (an empty mart's, a mart built
    with another rule) never decides what the snapshot says it is as of."""
    build_warehouse(paths, 1)
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute(
            "create or replace table intermediate.int_as_of_resolved as select date '2026-10-30' as as_of"
        )
        con.execute("create or replace table marts.fct_empty as select date '2026-11-02' as as_of")
    assert publish_snapshot(paths, run_id="r1").as_of == dt.date(2026, 10, 30)


@pytest.mark.parametrize(
    "replacement",
    ["drop table intermediate.int_as_of_resolved", "delete from intermediate.int_as_of_resolved"],
)
def test_no_resolved_as_of_no_publish(paths, replacement):
    build_warehouse(paths, 1)
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute(replacement)
    with pytest.raises(PublishError, match="int_as_of_resolved"):
        publish_snapshot(paths, run_id="r1")
    assert not paths.snapshot_db.exists()


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select value from marts.fct_demo").fetchone()[0], flush=True)
sys.stdin.readline()  # the parent publishes a new snapshot meanwhile
print(con.execute("select value from marts.fct_demo").fetchone()[0], flush=True)
"""


def test_a_reader_holding_the_old_snapshot_keeps_working_during_a_publish(paths):
    build_warehouse(paths, 1)
    publish_snapshot(paths, run_id="r1")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(paths.snapshot_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "1"
        # The writer rebuilds (holding the build file read-write) and publishes while the reader is open.
        build_warehouse(paths, 2)
        publish_snapshot(paths, run_id="r2")
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "1", (
            "the open reader must keep seeing its snapshot"
        )
        assert reader.wait(timeout=60) == 0, reader.stderr.read()
    finally:
        reader.kill()
    with open_snapshot(paths) as con:
        assert con.execute("select value from marts.fct_demo").fetchone() == (2,)


def test_readers_open_the_snapshot_while_the_writer_holds_the_build_warehouse(paths):
    build_warehouse(paths, 1)
    publish_snapshot(paths, run_id="r1")
    writer = duckdb.connect(str(paths.build_db))
    try:
        writer.execute("insert into marts.fct_demo values (3, date '2026-11-01')")
        with open_snapshot(paths) as reader:
            assert reader.execute("select count(*) from marts.fct_demo").fetchone() == (1,)
    finally:
        writer.close()


def test_a_failed_publish_leaves_the_previous_snapshot(paths):
    build_warehouse(paths, 1)
    publish_snapshot(paths, run_id="r1")
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("drop table marts.fct_demo")
    with pytest.raises(PublishError, match="no marts"):
        publish_snapshot(paths, run_id="r2")
    with open_snapshot(paths) as con:
        assert con.execute("select run_id from main.publish_info").fetchone() == ("r1",)
    assert not list(paths.warehouse_dir.glob(".*.tmp"))


def test_nothing_published_yet_says_what_to_run(paths):
    with pytest.raises(FileNotFoundError, match="make run"):
        open_snapshot(paths)
