"""Alerts: the push after the publish, the Friday 15:00 reminders, the run-failure alerts."""

import dagster as dg

from orchestration.defs.alerts.push import (
    deviation_report_reminders,
    deviation_report_reminders_schedule,
    push_alerts,
    run_failure_alerts,
)

defs = dg.Definitions(
    assets=[push_alerts],
    jobs=[deviation_report_reminders],
    schedules=[deviation_report_reminders_schedule],
    sensors=[run_failure_alerts],
)
