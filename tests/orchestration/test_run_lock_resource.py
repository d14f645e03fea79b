"""Runs Dagster starts (the UI, the schedules) go through the home's run lock too: the daily
job's publish step needs the run-lock resource, set up once at the run's start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.resources import HomeRunLock
from salesops.config import Paths
from salesops.run_lock import RunBusyError, RunLock, current_holder

HOLDER = """
import sys, time
from pathlib import Path
from salesops.config import Paths
from salesops.run_lock import RunLock
lock = RunLock(Paths(Path(sys.argv[1])), "holder-run").acquire()
print("locked", flush=True)
time.sleep(60)
"""

seen: list[dict | None] = []


@dg.asset
def step(run_lock: HomeRunLock) -> None:
    seen.append(current_holder(Paths(Path(run_lock.home))))


def test_runs_dagster_starts_take_the_home_run_lock(tmp_path):
    home = Paths(tmp_path)
    resources = {"run_lock": HomeRunLock(home=str(tmp_path))}
    result = dg.materialize([step], resources=resources)
    assert result.success and seen[-1]["run_id"] == result.run_id
    assert current_holder(home) is None, "released at the run's end"

    with RunLock(home, "cli-run").acquire():  # salesops run: the job runs in its process
        result = dg.materialize([step], resources=resources)
    assert result.success and seen[-1]["run_id"] == "cli-run"

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(dg.DagsterResourceFunctionError) as refused:
            dg.materialize([step], resources=resources)
        assert isinstance(refused.value.user_exception, RunBusyError)
        assert "another run is going on this home: run holder-run" in str(
            refused.value.user_exception
        )
    finally:
        holder.kill()
        holder.wait()


def test_the_daily_jobs_publish_step_needs_the_run_lock():
    from orchestration.defs.publish.snapshot import published_snapshot

    assert "run_lock" in published_snapshot.required_resource_keys
