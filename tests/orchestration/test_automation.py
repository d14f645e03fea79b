"""Automation on by default: the schedules' status, cron and timezone, and the landing sensor's
run requests and cursors (dg.build_sensor_context on a tmp landing folder)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    os.environ["SALESOPS_HOME"] = str(tmp_path_factory.mktemp("home"))
    import orchestration.definitions as module

    return module


@pytest.mark.parametrize(
    ("name", "cron", "job"),
    [
        ("daily_refresh_0600_shanghai", "0 6 * * *", "daily_refresh"),
        ("daily_briefs_0630_shanghai", "30 6 * * *", "daily_briefs"),
        ("sop_iteration_monthly_0600_shanghai", "0 6 1 * *", "sop_iteration_monthly"),
    ],
)
def test_schedules_run_by_default(definitions, name, cron, job):
    schedule = definitions.defs.resolve_schedule_def(name)
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert (schedule.cron_schedule, schedule.execution_timezone) == (cron, "Asia/Shanghai")
    assert schedule.job_name == job


def test_sop_job_builds_the_sop_marts_and_publishes(definitions):
    job = definitions.defs.resolve_job_def("sop_iteration_monthly")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert {
        "marts/fct_sop_card_iteration_monthly",
        "marts/fct_sop_card_performance",
        "intermediate/int_sop_usages_joined_to_feedback",
        "published_snapshot",
    } <= keys
    # not the whole warehouse, and no ingest (the daily run keeps bronze current)
    assert "marts/fct_attainment_unit_month" not in keys
    assert not any(key.startswith("bronze/") for key in keys)


def test_landing_sensor_runs_the_daily_job_by_default(definitions):
    sensor = definitions.defs.resolve_sensor_def("landing_extracts_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.job_name == definitions.DAILY_JOB


def test_the_daemon_runs_one_run_at_a_time(definitions):
    import yaml

    from salesops.config import DAGSTER_YAML

    assert yaml.safe_load(DAGSTER_YAML)["run_queue"] == {"max_concurrent_runs": 1}


# the sensor, evaluated as the daemon does


def _write(path: Path, text: str, *, age: float = 3600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


@pytest.fixture
def tick(tmp_path):
    """``tick(cursor)`` → (run requests, skip message, new cursor) of one sensor evaluation."""
    from orchestration.defs.automation.jobs import landing_sensor
    from orchestration.resources import SalesopsHome

    landing = tmp_path / "landing"
    landing.mkdir()
    home = SalesopsHome(home=str(tmp_path), landing=str(landing))

    def evaluate(cursor: str | None):
        # a context manager: the settings resource is set up for the tick, as the daemon does
        with dg.build_sensor_context(cursor=cursor, resources={"salesops_home": home}) as context:
            result = landing_sensor(context)
        requests = [result] if isinstance(result, dg.RunRequest) else []
        skip = result.skip_message if isinstance(result, dg.SkipReason) else None
        return requests, skip, context.cursor

    evaluate.landing = landing
    return evaluate


def test_no_files_no_run(tick):
    requests, skip, cursor = tick(None)
    assert requests == [] and "No new or changed extract" in skip
    assert cursor is None


def test_new_changed_and_removed_files_each_start_one_run(tick):
    crm = _write(tick.landing / "crm" / "opportunities.csv", "opportunity_id\nO1\n")
    requests, _, cursor = tick(None)
    assert len(requests) == 1
    first_key = requests[0].run_key
    assert first_key.startswith("landing-")
    assert requests[0].tags["salesops/changed_files"] == "1"
    assert "crm/opportunities.csv" in cursor

    # the same files again: nothing to do, the cursor stays
    requests, skip, same_cursor = tick(cursor)
    assert requests == [] and skip
    assert same_cursor == cursor

    # a changed file: a new run with a new key
    _write(crm, "opportunity_id\nO1\nO2\n")
    requests, _, changed_cursor = tick(cursor)
    assert len(requests) == 1 and requests[0].run_key != first_key
    assert changed_cursor != cursor

    # a new file beside it: one run for that change only
    _write(tick.landing / "finance" / "contracts.csv", "contract_id\nC1\n")
    requests, _, added_cursor = tick(changed_cursor)
    assert len(requests) == 1 and requests[0].tags["salesops/changed_files"] == "1"

    # a withdrawn file (point 6: its rows leave on the next run) starts a run too
    crm.unlink()
    requests, _, removed_cursor = tick(added_cursor)
    assert len(requests) == 1 and requests[0].tags["salesops/removed_files"] == "1"
    assert "crm/opportunities.csv" not in removed_cursor


def test_forgetting_a_file_starts_a_run_and_unforgetting_it_another(tick, tmp_path):
    from salesops.config import Paths
    from salesops.ingest.withdraw import forget, unforget

    _write(tick.landing / "crm" / "reps.csv", "rep_id\nS1\n")
    kept = _write(tick.landing / "crm" / "opportunities.csv", "opportunity_id\nO1\n")
    _, _, cursor = tick(None)
    paths = Paths(tmp_path, tick.landing)

    forget(paths, "crm/opportunities.csv")  # not read any more: as if removed
    requests, _, forgotten_cursor = tick(cursor)
    assert len(requests) == 1 and requests[0].tags["salesops/removed_files"] == "1"
    assert "crm/opportunities.csv" not in forgotten_cursor
    assert tick(forgotten_cursor)[0] == []  # once

    unforget(paths, "crm/opportunities.csv")  # read again: as if it arrived
    requests, _, back = tick(forgotten_cursor)
    assert len(requests) == 1 and requests[0].tags["salesops/changed_files"] == "1"
    assert back == cursor and kept.exists()


def test_the_same_change_has_the_same_run_key(tick):
    """Two evaluations from the same cursor (e.g. a daemon restarted before it stored the
    cursor) ask for the same run_key, which Dagster runs once."""
    _write(tick.landing / "crm" / "reps.csv", "rep_id\nS1\n")
    first, _, _ = tick(None)
    again, _, _ = tick(None)
    assert first[0].run_key == again[0].run_key


def test_a_file_still_being_written_is_waited_for(tick):
    _write(tick.landing / "crm" / "reps.csv", "rep_id\nS1\n")
    _, _, cursor = tick(None)
    growing = _write(tick.landing / "chat" / "messages.jsonl", "{}\n", age=0)
    requests, skip, still = tick(cursor)
    assert requests == [] and "still being written" in skip and "chat/messages.jsonl" in skip
    assert still == cursor  # looked at again on the next tick
    settled = time.time() - 3600
    os.utime(growing, (settled, settled))
    requests, _, _ = tick(cursor)
    assert len(requests) == 1


def test_files_the_run_does_not_read_are_ignored(tick):
    _write(tick.landing / "crm" / "reps.csv", "rep_id\nS1\n")
    _, _, cursor = tick(None)
    _write(tick.landing / "crm" / "notes.pdf", "%PDF")
    _write(tick.landing / "crm" / ".~lock.reps.csv#", "lock")
    _write(tick.landing / ".partial" / "opportunities.csv", "opportunity_id\n")
    _write(tick.landing / "crm" / "being_copied.csv.part", "x", age=0)
    requests, skip, same = tick(cursor)
    assert requests == [] and "No new or changed extract" in skip
    assert same == cursor


def test_an_earlier_dagster_yaml_gets_the_run_queue_an_edited_one_is_kept(tmp_path, monkeypatch):
    import yaml

    from salesops.config import Paths, export_environment

    for name, text in [
        ("earlier", "telemetry:\n  enabled: false\n"),
        ("edited", "telemetry: {}\n"),
    ]:
        dagster_home = tmp_path / name / "dagster_home"
        dagster_home.mkdir(parents=True)
        (dagster_home / "dagster.yaml").write_text(text)
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        monkeypatch.setenv("SALESOPS_HOME", str(tmp_path / name))
        export_environment(Paths(tmp_path / name))
        written = yaml.safe_load((dagster_home / "dagster.yaml").read_text())
        assert ("run_queue" in written) == (name == "earlier")
