"""One run at a time per home, and crashes leave nothing behind: a second `salesops run` is
refused naming the running one (or waits with --wait), a SIGKILLed holder blocks nobody, a
run's start removes what a killed run left and records it as killed, and decoded working
copies are private (0700 folder, 0600 files)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration import cli
from salesops.config import Paths
from salesops.dbt_exec import SeedRulesError
from salesops.ingest import core, reader
from salesops.run_lock import (
    RunBusyError,
    RunLock,
    current_holder,
    leftovers,
    mark_killed,
    record_start,
    remove_leftovers,
    run_records,
)

VARIABLES = (
    "SALESOPS_HOME",
    "SALESOPS_LANDING",
    "SALESOPS_PROFILE",
    "SALESOPS_QUARANTINE_WARNING_SHARE",
    "DAGSTER_HOME",
)

HOLDER = """
import sys, time
from pathlib import Path
from salesops.config import Paths
from salesops.run_lock import RunLock, record_start
paths = Paths(Path(sys.argv[1]))
lock = RunLock(paths, "holder-run").acquire()
record_start(paths, "holder-run", None)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def home(tmp_path, monkeypatch) -> Paths:
    """A home with one extract in its landing folder (enough to pass the run's first check);
    the CLI's environment writes are undone after the test."""
    for variable in VARIABLES:
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    paths = Paths(tmp_path / "home")
    (paths.landing / "crm").mkdir(parents=True)
    (paths.landing / "crm" / "opportunities.csv").write_text("opportunity_id\nO1\n")
    monkeypatch.setenv("SALESOPS_HOME", str(paths.home))
    return paths


@pytest.fixture
def holder(home):
    """Start a process that takes the home's run lock and sleeps (``seconds``)."""
    started: list[subprocess.Popen] = []

    def start(seconds: float = 60) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(home.home), str(seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(cli.__file__).parents[1])},
        )
        started.append(process)
        assert process.stdout.readline().strip() == "locked", process.stderr.read()
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


class Proceeded(Exception):
    """Raised where the run would open its console: it got past the lock."""


def test_a_second_run_is_refused_at_once_naming_the_running_one(home, holder):
    running = holder()
    started = time.monotonic()
    result = CliRunner().invoke(cli.main, ["run"])
    assert time.monotonic() - started < 10, "refused at once, not after a wait"
    assert result.exit_code != 0
    assert "another run is going on this home: run holder-run" in result.output
    assert f"pid {running.pid}" in result.output and "since 20" in result.output
    assert "--wait" in result.output and "另一个运行正在进行" in result.output
    assert "Traceback" not in result.output
    assert not list((home.home / "logs").glob("run-*.log")), "refused before its run log"
    assert [r.outcome for r in run_records(home)] == ["running"], "the refused run left no record"


def test_wait_starts_the_run_when_the_running_one_ends(home, holder, monkeypatch):
    holder(seconds=2)

    def proceed(*args, **kwargs):
        assert current_holder(home)["pid"] == os.getpid(), "this run holds the lock now"
        raise Proceeded

    monkeypatch.setattr(cli, "_open_console", proceed)
    started = time.monotonic()
    result = CliRunner().invoke(cli.main, ["run", "--wait"])
    assert isinstance(result.exception, Proceeded), result.output
    assert time.monotonic() - started >= 1, "it waited for the holder"
    assert "Waiting for run holder-run" in result.output and "等待" in result.output
    assert current_holder(home) is None, "released when the command ended"


def test_a_killed_lock_holder_does_not_block_the_next_run(home, holder):
    running = holder()
    with pytest.raises(RunBusyError):
        RunLock(home, "second").acquire()
    running.send_signal(signal.SIGKILL)
    running.wait()
    with RunLock(home, "third").acquire():
        assert current_holder(home)["run_id"] == "third"
    assert [r.outcome for r in run_records(home)] == ["killed"]


def test_leftovers_of_a_killed_run_are_found_and_only_those(home):
    home.ensure()
    planted = [
        home.warehouse_dir / ".salesops.duckdb.0f3a.tmp",
        home.warehouse_dir / ".salesops.duckdb.0f3a.tmp.wal",
        home.snapshots_dir / ".20261101T060000.000000_r1.duckdb.tmp",
        home.bronze / ".opportunities.parquet.4242.tmp",
        home.bronze / "_registry" / "opportunities.tmp",
        home.quarantine / ".opportunities.parquet.4242.tmp",
        home.work_dir / "chat_messages" / "ab12.utf8.csv",
        home.bronze / "_work" / "chat_messages" / "ab12.utf8.csv",
    ]
    kept = [
        home.build_db,
        Path(f"{home.build_db}.wal"),  # DuckDB replays it: the build's own recovery
        home.snapshot_db,
        home.bronze / "opportunities.parquet",
        home.snapshots_dir / "20261101T060000.000000_r1.duckdb",
    ]
    for path in planted + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    lines: list[str] = []
    removed = remove_leftovers(home, log=lines.append)
    assert all(not p.exists() for p in planted)
    assert all(p.exists() for p in kept)
    assert len(removed) == len(lines) == 8
    assert all(line.startswith("removed what a killed run left 已清理: ") for line in lines)
    assert any(f"{home.work_dir} (1 file)" in line for line in lines)
    assert leftovers(home) == []


def test_a_run_start_removes_leftovers_and_marks_killed_runs_in_the_run_log(home, monkeypatch):
    home.ensure()
    planted = [home.warehouse_dir / ".salesops.duckdb.dead.tmp", home.work_dir / "t" / "a.csv"]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    record_start(home, "killed-run", None)  # its process is gone: it never ended
    import salesops.dbt_cli

    def stop(*args, **kwargs):  # stop the run right after its start: no pipeline in a test
        raise SeedRulesError("stopped by the test")

    monkeypatch.setattr(salesops.dbt_cli, "ensure_manifest", stop)
    result = CliRunner().invoke(cli.main, ["run"])
    assert result.exit_code != 0 and "stopped by the test" in result.output
    assert "Removed 2 leftover(s) of a killed run" in result.output
    assert all(not p.exists() for p in planted)
    records = run_records(home)
    assert [(r.run_id, r.outcome) for r in records][0] == ("killed-run", "killed")
    assert records[1].outcome == "failed", "a run stopped by an error is recorded as failed"
    log = Path(records[1].log).read_text(encoding="utf-8")
    assert "run killed-run" in log and "was killed" in log
    for path in planted:
        assert path.name in log or str(path.parent.parent) in log
    ends = [json.loads(line) for line in home.run_history.read_text().splitlines()]
    assert {"event": "end", "run_id": "killed-run", "outcome": "killed"}.items() <= ends[1].items()
    assert mark_killed(home) == [], "marked once"


def test_decoded_working_copies_are_private_and_removed_with_their_table(tmp_path):
    paths = Paths(tmp_path / "home").ensure()
    source = tmp_path / "chat_messages.csv"
    source.write_bytes("msg_id,content\nM1,王经理电话13800138000\n".encode("gb18030"))
    work = core._work_dir(paths, "chat_messages")
    copy, _ = reader.utf8_copy(source, "gb18030", work)
    assert copy.parent == work and paths.work_dir in copy.parents
    assert copy.read_text(encoding="utf-8").startswith("msg_id")
    mode = stat.S_IMODE
    assert mode(os.stat(copy).st_mode) == 0o600
    assert mode(os.stat(work).st_mode) == 0o700
    assert mode(os.stat(paths.work_dir).st_mode) == 0o700
    bom = tmp_path / "notes.csv"
    bom.write_bytes(b"id,note\n1,a\n\xef\xbb\xbfid,note\n2,b\n")
    nobom, lines = reader.utf8_copy(bom, "utf-8", work)
    assert lines == [3] and mode(os.stat(nobom).st_mode) == 0o600
