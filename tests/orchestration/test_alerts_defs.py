"""The alerts group: push after the publish, Friday 15:00 reminders, run-failure alerts."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import dagster as dg
import duckdb
import pytest

from orchestration.resources import SalesopsHome
from salesops.alerts.channels import URLS_VARIABLE
from tests.alerts.test_push import MOT, Recorder


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    import os

    os.environ["SALESOPS_HOME"] = str(tmp_path_factory.mktemp("home"))
    import orchestration.definitions as module

    return module


def _snapshot(home):
    folder = home / "warehouse"
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(folder / "salesops.duckdb"))
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_alerts (alert_id varchar, alert_kind varchar, label_zh varchar, "
        "label_en varchar, message_zh varchar, message_en varchar, sort_order integer)"
    )
    con.execute(
        "insert into marts.fct_alerts values (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)",
        [
            MOT.alert_id,
            MOT.alert_kind,
            MOT.label_zh,
            MOT.label_en,
            MOT.message_zh,
            MOT.message_en,
            3,
            "deviation_report:S0283|2026-10-26",
            "deviation_report",
            "偏差报告提醒",
            "Deviation report reminder",
            "【偏差报告提醒】刘旭，你（上海销售一组）本月预测 ¥56.5万",
            "[Deviation report reminder] 刘旭: your forecast for the month",
            6,
        ],
    )
    con.close()


def test_reminder_schedule_is_friday_1500_shanghai_and_on(definitions):
    defs = definitions.defs
    schedule = defs.resolve_schedule_def("deviation_report_reminders_fri_1500_shanghai")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 15 * * 5", "Asia/Shanghai")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "deviation_report_reminders"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(
            2026, 10, 30, 15, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")
        )
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.job_name in (None, "deviation_report_reminders")
    sensor = defs.resolve_sensor_def("run_failure_alerts")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_push_alerts_after_publish_in_the_daily_job(definitions):
    graph = definitions.defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey(["push_alerts"]))
    assert node.group_name == "alerts"
    assert node.parent_keys == {dg.AssetKey(["published_snapshot"])}
    daily = definitions.defs.resolve_job_def(definitions.DAILY_JOB)
    assert "push_alerts" in {n.name for n in daily.graph.node_defs}


def test_friday_job_pushes_only_deviation_reminders(definitions, monkeypatch):
    # the home the definitions' settings resource resolves to when a run starts
    with dg.build_resources({"home": definitions.defs.resources["salesops_home"]}) as resources:
        home = resources.home.paths().home
    _snapshot(home)
    with Recorder() as server:
        monkeypatch.setenv(
            URLS_VARIABLE, f"json://127.0.0.1:{server.server.server_address[1]}/hook"
        )
        monkeypatch.setenv("SALESOPS_ALERT_MIN_INTERVAL_SECONDS", "0")
        job = definitions.defs.resolve_job_def("deviation_report_reminders")
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance)
        assert result.success
        with dg.DagsterInstance.ephemeral() as instance:
            again = job.execute_in_process(instance=instance)
    assert again.success
    [request] = server.requests  # the rerun sent nothing
    text = json.dumps(request["json"], ensure_ascii=False)
    assert "偏差报告提醒" in text and "MOT" not in text
    [materialization] = result.asset_materializations_for_node("push_alerts")
    assert materialization.metadata["sent"].value == 1


def test_failed_run_is_pushed_once(definitions, tmp_path, monkeypatch):
    @dg.op
    def dbt_build():
        raise RuntimeError("boom")

    @dg.job
    def failing():
        dbt_build()

    instance = dg.DagsterInstance.ephemeral()
    result = failing.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    [record] = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    failure = record.dagster_event
    sensor = definitions.defs.resolve_sensor_def("run_failure_alerts")
    home = SalesopsHome(home=str(tmp_path))
    with Recorder() as server:
        monkeypatch.setenv(
            URLS_VARIABLE, f"json://127.0.0.1:{server.server.server_address[1]}/hook"
        )
        for _ in range(2):
            with dg.build_run_status_sensor_context(
                sensor_name="run_failure_alerts",
                dagster_event=failure,
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                resources={"salesops_home": home},
            ) as context:
                sensor(context.for_run_failure())
    [request] = server.requests
    text = json.dumps(request["json"], ensure_ascii=False)
    assert "运行失败" in text and "dbt_build" in text and result.run_id in text


def test_salesops_run_pushes_its_failed_quality_gate(tmp_path, monkeypatch):
    from orchestration.cli import _push_run_failure
    from salesops.config import Paths

    @dg.asset
    def payments():
        return 1

    @dg.asset_check(asset=payments, blocking=True)
    def contract_suite():
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset(deps=[payments])
    def marts():
        return 2

    job = dg.Definitions(
        assets=[payments, marts],
        asset_checks=[contract_suite],
        jobs=[dg.define_asset_job("daily", executor_def=dg.in_process_executor)],
    ).resolve_job_def("daily")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    with Recorder() as server:
        monkeypatch.setenv(
            URLS_VARIABLE, f"json://127.0.0.1:{server.server.server_address[1]}/hook"
        )
        _push_run_failure(Paths(tmp_path), result, tmp_path / "logs" / "run.log")
        _push_run_failure(Paths(tmp_path), result, tmp_path / "logs" / "run.log")
    texts = [json.dumps(r["json"], ensure_ascii=False) for r in server.requests]
    assert len(texts) == 2  # one message per kind, sent once across the two calls
    assert "质量门禁未通过" in texts[0] and "payments:contract_suite" in texts[0]
    assert "运行失败" in texts[1]
