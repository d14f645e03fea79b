"""Publish: build-then-rename; readers never block the writer and keep their snapshot."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from pathlib import Path

import duckdb
import pytest

from salesops.config import Paths
from salesops.publish import PublishError, open_snapshot, publish_snapshot


def build_warehouse(paths: Paths, value: int) -> None:
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute("create or replace table marts.fct_demo as select ?::int as value, date '2026-10-31' as as_of", [value])
        con.execute("create or replace view staging.stg_demo as select 1 as x")


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
    assert con.execute("select count(*) from duckdb_views() where schema_name = 'staging'").fetchone() == (0,)
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("create table marts.x (a int)")


def test_a_reader_holding_the_old_snapshot_keeps_working_during_a_publish(paths):
    build_warehouse(paths, 1)
    publish_snapshot(paths, run_id="r1")
    ctx = mp.get_context("spawn")
    to_child, from_child = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=_bridge, args=(str(paths.snapshot_db), to_child, from_child))
    child.start()
    assert from_child.get(timeout=60) == 1
    assert from_child.get(timeout=60) == "opened"
    # The writer rebuilds (holding the build file read-write) and publishes while the reader is open.
    build_warehouse(paths, 2)
    publish_snapshot(paths, run_id="r2")
    to_child.put("published")
    assert from_child.get(timeout=60) == 1, "the open reader must keep seeing its snapshot"
    child.join(timeout=60)
    assert child.exitcode == 0
    with open_snapshot(paths) as con:
        assert con.execute("select value from marts.fct_demo").fetchone() == (2,)


def _bridge(path: str, inbox, outbox) -> None:
    con = duckdb.connect(path, read_only=True)
    outbox.put(con.execute("select value from marts.fct_demo").fetchone()[0])
    outbox.put("opened")
    assert inbox.get(timeout=60) == "published"
    outbox.put(con.execute("select value from marts.fct_demo").fetchone()[0])
    con.close()


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
