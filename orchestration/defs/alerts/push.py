"""Alerts 告警推送: after the publish, the snapshot's fct_alerts to the group bots; deviation-
report reminders on Fridays at 15:00; a failed run's own alert from a run-failure sensor.
The logic is in salesops/alerts (plain functions, tested without Dagster)."""

import dagster as dg

from orchestration.resources import SalesopsHome
from salesops import alerts as salesops_alerts
from salesops.alerts import DAILY_KINDS, DEVIATION_REMINDER

REMINDER_JOB = "deviation_report_reminders"
REMINDER_SCHEDULE = "deviation_report_reminders_fri_1500_shanghai"
RUN_FAILURE_SENSOR = "run_failure_alerts"


class PushAlertsConfig(dg.Config):
    kinds: list[str] = list(DAILY_KINDS)
    """Alert kinds to push; the daily run pushes all but the deviation-report reminders,
    which the Friday 15:00 job pushes."""


@dg.asset(
    key=dg.AssetKey(["push_alerts"]),
    deps=[dg.AssetKey(["published_snapshot"])],
    group_name="alerts",
    kinds={"duckdb", "webhook"},
    description=(
        "告警推送 Pushes the published snapshot's fct_alerts (coaching gaps, ±2σ flags, MOT "
        "violations, 待激活 leads, finance sync lags; deviation-report reminders on Friday 15:00) "
        "to the 企业微信 / 钉钉 group bots and webhooks of SALESOPS_ALERT_URLS, each event once "
        "per destination ($SALESOPS_HOME/alerts/ledger.jsonl). A failing destination is retried, "
        "recorded as failed and tried again on the next run; it never fails the run."
    ),
)
def push_alerts(
    context: dg.AssetExecutionContext, config: PushAlertsConfig, salesops_home: SalesopsHome
) -> dg.MaterializeResult:
    paths = salesops_home.paths()
    alerts = salesops_alerts.read_alerts(paths.snapshot_db, config.kinds)
    result = salesops_alerts.push_alerts(paths.home, alerts)
    if result.failed:
        context.log.warning(result.line())
    return dg.MaterializeResult(
        metadata={
            "alerts": len(alerts),
            "sent": result.sent,
            "already_sent": result.already_sent,
            "failed": result.failed,
            "deferred": result.deferred,
            "messages": result.messages,
            "failed_destinations": ", ".join(result.failed_destinations),
        }
    )


deviation_report_reminders = dg.define_asset_job(
    REMINDER_JOB,
    selection=dg.AssetSelection.assets(push_alerts),
    config={"ops": {"push_alerts": {"config": {"kinds": [DEVIATION_REMINDER]}}}},
    description="Push the deviation-report reminders 偏差报告提醒 (reports due Friday 17:00).",
    executor_def=dg.in_process_executor,
)

deviation_report_reminders_schedule = dg.ScheduleDefinition(
    name=REMINDER_SCHEDULE,
    job=deviation_report_reminders,
    cron_schedule="0 15 * * 5",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Fridays 15:00 Asia/Shanghai: reps with a deviation event this week and no deviation "
        "report are reminded two hours before the 17:00 deadline 周五 15:00 偏差报告提醒."
    ),
)


@dg.run_failure_sensor(
    name=RUN_FAILURE_SENSOR,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A failed run 运行失败 or failed quality gate 质量门禁 pushed to the group bots.",
)
def run_failure_alerts(context: dg.RunFailureSensorContext, salesops_home: SalesopsHome) -> None:
    run_id = context.dagster_run.run_id
    failed_steps = [event.step_key for event in context.get_step_failure_events() if event.step_key]
    failed_checks = [
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        for record in context.instance.all_logs(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        )
        if (evaluation := record.dagster_event.event_specific_data) is not None
        and not evaluation.passed
        and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    salesops_alerts.push_alerts(
        salesops_home.paths().home,
        salesops_alerts.run_outcome_alerts(run_id, failed_steps, failed_checks),
    )
