"""The daily_brief asset, its job and 06:30 schedule, and ``salesops brief``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.defs.publish.briefs import (
    BRIEF_JOB,
    BRIEF_SCHEDULE,
    daily_brief,
    daily_briefs_schedule,
)
from orchestration.resources import SalesopsHome
from salesops import briefs

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_asset_materialises_one_partition(published):
    result = dg.materialize(
        [daily_brief],
        partition_key="2026-11-27",
        resources={"salesops_home": SalesopsHome(home=str(published.home))},
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node("daily_brief")
    assert materialization.partition == "2026-11-27"
    metadata = materialization.metadata
    assert metadata["rep_briefs"].value == 4
    assert metadata["manager_briefs"].value == 8
    assert metadata["opportunities_at_risk"].value == 6
    assert metadata["stale"].value is False
    index = published.home / "briefs" / "2026-11-27" / "index.html"
    assert metadata["index"].value == index.as_uri()
    assert index.is_file()
    assert briefs.brief_dates(published.home / "briefs") == [dt.date(2026, 11, 27)]


def test_the_schedule_runs_todays_partition_at_0630_shanghai():
    assert daily_briefs_schedule.cron_schedule == "30 6 * * *"
    assert daily_briefs_schedule.execution_timezone == "Asia/Shanghai"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 27, 6, 30, tzinfo=SHANGHAI)
    )
    [request] = daily_briefs_schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-27"


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    import os

    os.environ["SALESOPS_HOME"] = str(tmp_path_factory.mktemp("home"))
    import orchestration.definitions as module

    return module.defs


def test_the_definitions_wire_the_brief_in_its_own_job(definitions):
    job = definitions.resolve_job_def(BRIEF_JOB)
    assert job.partitions_def is not None
    assert definitions.resolve_schedule_def(BRIEF_SCHEDULE).job_name == BRIEF_JOB
    refresh = definitions.resolve_job_def("daily_refresh")
    assert dg.AssetKey(["daily_brief"]) not in refresh.asset_layer.selected_asset_keys
    graph = definitions.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["daily_brief"])).parent_keys == {
        dg.AssetKey(["published_snapshot"])
    }


def test_cli_brief_defaults_to_the_morning_after_as_of(published):
    result = CliRunner().invoke(main, ["brief"])
    assert result.exit_code == 0, result.output
    assert "Brief of 2026-11-27: 4 rep and 8 manager briefs" in result.output
    folder = published.home / "briefs" / "2026-11-27"
    assert (folder / "rep" / "r1.zh.md").is_file() and (folder / "rep" / "r1.en.html").is_file()


def test_cli_brief_for_a_given_date_says_when_the_snapshot_is_older(published):
    result = CliRunner().invoke(main, ["brief", "--date", "2026-11-30"])
    assert result.exit_code == 0, result.output
    assert "older than the conversation day" in result.output
    assert briefs.brief_dates(published.home / "briefs") == [dt.date(2026, 11, 30)]


def test_cli_brief_without_a_snapshot_fails_with_a_message(salesops_home):
    result = CliRunner().invoke(main, ["brief"])
    assert result.exit_code == 1
    assert "nothing published yet" in result.output
