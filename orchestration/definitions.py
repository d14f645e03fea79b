"""Dagster entry point: loads the asset modules and applies global policy in one place.

Loading it has no side effects: no folder is made, no environment variable written, dbt is
not started (the dbt assets come from the current parse). The settings are read when a run
sets up its resources (orchestration/resources.py salesops_settings); the folders are made
by the run that needs them."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.alerts import (
    deviation_report_reminders,
    deviation_report_reminders_schedule,
    push_alerts,
    run_failure_alerts,
)
from orchestration.defs.automation import (
    DAILY_JOB,
    landing_sensor,
    sop_iteration_job,
    sop_iteration_schedule,
)
from orchestration.defs.briefs import daily_brief, daily_briefs, daily_briefs_schedule
from orchestration.defs.deviation_reasons import deviation_reason_clusters
from orchestration.defs.forecasting import (
    dynamic_baselines,
    forecast_backtest,
    win_probabilities,
)
from orchestration.defs.ingest import history_specs, ingest_assets, ingest_checks
from orchestration.defs.note_signals import note_signals
from orchestration.defs.publish import published_snapshot
from orchestration.defs.signals import chat_signals
from orchestration.defs.warehouse import (
    dbt_resource,
    salesops_dbt_assets,
    salesops_dbt_forecast_assets,
)
from orchestration.resources import HomeRunLock, salesops_settings
from orchestration.run_log import salesops_run_logger

_settings = salesops_settings()

daily_refresh = dg.define_asset_job(
    DAILY_JOB,
    # The brief is daily-partitioned and a job cannot mix partitioned and unpartitioned
    # assets: it runs in its own job (daily_briefs, 06:30).
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(daily_brief),
    description="Ingest every extract, build and test the warehouse, publish the snapshot.",
    executor_def=dg.in_process_executor,
)

daily_schedule = dg.ScheduleDefinition(
    name="daily_refresh_0600_shanghai",
    job=daily_refresh,
    cron_schedule="0 6 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Before the 08:00 morning meeting 晨会前.",
)

defs = dg.Definitions(
    assets=[
        *ingest_assets,
        *history_specs,
        chat_signals,
        note_signals,
        deviation_reason_clusters,
        salesops_dbt_assets,
        win_probabilities,
        forecast_backtest,
        dynamic_baselines,
        salesops_dbt_forecast_assets,
        published_snapshot,
        daily_brief,
        push_alerts,
    ],
    asset_checks=ingest_checks,
    jobs=[daily_refresh, daily_briefs, sop_iteration_job, deviation_report_reminders],
    schedules=[
        daily_schedule,
        daily_briefs_schedule,
        sop_iteration_schedule,
        deviation_report_reminders_schedule,
    ],
    sensors=[landing_sensor, run_failure_alerts],
    # A run without `loggers` in its config (the UI, the schedules) logs to Dagster's console
    # as before; `salesops run` selects `salesops_run` (its stage lines and run log file).
    loggers={"console": dg.colored_console_logger, "salesops_run": salesops_run_logger},
    resources={
        "salesops_home": _settings,
        "dbt": dbt_resource,
        # one run at a time per home, for the runs Dagster starts too (salesops/run_lock.py)
        "run_lock": HomeRunLock(home=_settings.home),
    },
)
