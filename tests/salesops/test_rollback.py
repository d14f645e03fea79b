"""Publishing you can undo: the last N snapshots kept, `salesops rollback` swaps the previous
one back in atomically, `salesops status` says what is published and how the last run ended."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from salesops.config import KEEP_SNAPSHOTS_VARIABLE, Paths
from salesops.publish import (
    RollbackError,
    kept_snapshots,
    open_snapshot,
    publish_snapshot,
    rollback,
)
from salesops.run_lock import record_end, record_start

DAY = dt.datetime(2026, 11, 1, 6, 0)


def build(paths: Paths, value: int) -> None:
    """A tiny build warehouse: one mart holding ``value``."""
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.fct_demo as "
            "select ?::int as value, date '2026-10-31' + ?::int as as_of",
            [value, value],
        )
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_as_of_resolved as "
            "select date '2026-10-31' + ?::int as as_of",
            [value],
        )


def publish(paths: Paths, value: int) -> None:
    build(paths, value)
    publish_snapshot(paths, run_id=f"run-{value}", now=DAY + dt.timedelta(days=value))


def published_value(paths: Paths) -> int:
    with open_snapshot(paths) as con:
        return con.execute("select value from marts.fct_demo").fetchone()[0]


@pytest.fixture
def paths(tmp_path: Path, monkeypatch) -> Paths:
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv(KEEP_SNAPSHOTS_VARIABLE, raising=False)
    return Paths(tmp_path).ensure()


def test_publish_keeps_the_last_n_snapshots_read_only_named_by_time_and_run(paths, monkeypatch):
    monkeypatch.setenv(KEEP_SNAPSHOTS_VARIABLE, "3")
    for value in range(1, 6):
        publish(paths, value)
    kept = kept_snapshots(paths)
    assert [p.name for p in kept] == [
        f"{(DAY + dt.timedelta(days=v)).strftime('%Y%m%dT%H%M%S.%f')}_run-{v}.duckdb"
        for v in (3, 4, 5)
    ]
    for path in kept:
        assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert os.path.samefile(kept[-1], paths.snapshot_db)
    assert published_value(paths) == 5
    assert not list(paths.warehouse_dir.glob(".*tmp*")), "no temporary copy left behind"


def test_keep_snapshots_setting_must_be_a_number(paths, monkeypatch):
    monkeypatch.setenv(KEEP_SNAPSHOTS_VARIABLE, "a week")
    build(paths, 1)
    with pytest.raises(ValueError, match="SALESOPS_KEEP_SNAPSHOTS"):
        publish_snapshot(paths, run_id="r1", now=DAY)


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select value from marts.fct_demo").fetchone()[0], flush=True)
sys.stdin.readline()  # the parent rolls back meanwhile
print(con.execute("select value from marts.fct_demo").fetchone()[0], flush=True)
"""


def test_rollback_swaps_the_previous_snapshot_in_while_an_open_reader_keeps_its_own(paths):
    for value in (1, 2, 3):
        publish(paths, value)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(paths.snapshot_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "3"
        restored, replaced = rollback(paths)
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "3", "the open reader keeps its snapshot"
        assert reader.wait(timeout=60) == 0, reader.stderr.read()
    finally:
        reader.kill()
    assert (restored.run_id, restored.as_of) == ("run-2", dt.date(2026, 11, 2))
    assert replaced.run_id == "run-3"
    assert published_value(paths) == 2, "the path now opens the previous content"
    assert len(kept_snapshots(paths)) == 3, "a rollback removes no kept snapshot"

    restored, _ = rollback(paths)  # twice goes back two
    assert restored.run_id == "run-1" and published_value(paths) == 1
    with pytest.raises(RollbackError, match="no kept snapshot older") as refused:
        rollback(paths)
    assert "没有更早的快照" in str(refused.value)
    assert published_value(paths) == 1, "a refused rollback changes nothing"
    assert not list(paths.warehouse_dir.glob(".*tmp*"))


def test_a_publish_after_a_rollback_is_current_and_rollback_goes_back_from_it(paths):
    for value in (1, 2):
        publish(paths, value)
    rollback(paths)
    publish(paths, 3)
    assert published_value(paths) == 3
    restored, _ = rollback(paths)
    assert restored.run_id == "run-2"


def test_rollback_with_nothing_kept_is_refused(paths):
    with pytest.raises(RollbackError, match="nothing published"):
        rollback(paths)
    publish(paths, 1)
    with pytest.raises(RollbackError, match="no kept snapshot older"):
        rollback(paths)


def test_rollback_command_says_which_snapshot_is_current_and_refuses_clearly(paths):
    publish(paths, 1)
    publish(paths, 2)
    result = CliRunner().invoke(main, ["rollback"])
    assert result.exit_code == 0, result.output
    assert "Rolled back 已回滚" in result.output
    assert (
        "as of 截止 2026-11-01, run 运行 run-1, published 发布于 2026-11-02 06:00:00"
        in result.output
    )
    assert "run-2" in result.output  # the one it replaced
    result = CliRunner().invoke(main, ["rollback"])
    assert result.exit_code != 0
    assert "no kept snapshot older" in result.output and "没有更早的快照" in result.output
    assert "Traceback" not in result.output


def status(paths: Paths) -> str:
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    return result.output


def test_status_shows_the_current_snapshot_the_kept_ones_and_the_last_run(paths):
    assert "none at" in status(paths) and "none recorded" in status(paths)
    publish(paths, 1)
    publish(paths, 2)
    record_start(paths, "run-2", paths.home / "logs" / "run-2.log")
    record_end(paths, "run-2", "ok")
    out = status(paths)
    current = next(line for line in out.splitlines() if line.startswith("Current snapshot"))
    assert str(paths.snapshot_db) in current
    assert "as of 截止 2026-11-02, run 运行 run-2" in current and " KB" in current
    kept = [line for line in out.splitlines() if line.startswith("  ")]
    assert [line[:3] for line in kept] == ["  *", "   "], "newest first, the current marked"
    assert "run-2" in kept[0] and "run-1" in kept[1]
    assert "Last run 上次运行: run-2 ok 成功" in out and "run-2.log" in out

    rollback(paths)
    assert "run-1" in next(line for line in status(paths).splitlines() if "*" in line)

    record_start(paths, "run-3", None)
    record_end(paths, "run-3", "failed")
    assert "Last run 上次运行: run-3 failed 失败" in status(paths)
    record_start(paths, "run-4", None)  # never ended, holds no lock: killed
    assert "run-4 failed: killed, never finished 失败：被终止" in status(paths)
