"""Dagster entry point: merges one ``defs`` per domain (orchestration/defs/<domain>/) and
applies global policy in one place: the settings and the run lock, the loggers.

Loading it has no side effects: no folder is made, no environment variable written, dbt is
not started (the dbt assets come from the current parse). The settings are read when a run
sets up its resources (orchestration/resources.py salesops_settings); the folders are made
by the run that needs them."""

from __future__ import annotations

import dagster as dg

from orchestration.defs import (
    alerts,
    automation,
    ingest,
    models,
    publish,
    quality,
    signals,
    warehouse,
)
from orchestration.defs.automation.jobs import DAILY_JOB
from orchestration.defs.warehouse.dbt import salesops_dbt_assets, salesops_dbt_forecast_assets
from orchestration.resources import HomeRunLock, salesops_settings
from orchestration.run_log import salesops_run_logger

__all__ = ["DAILY_JOB", "defs", "salesops_dbt_assets", "salesops_dbt_forecast_assets"]

ASSET_GROUPS = ("ingest", "quality", "signals", "warehouse", "models", "publish", "alerts")
"""Every asset is in one of these groups (tests/orchestration/test_definitions.py)."""

_settings = salesops_settings()

defs = dg.Definitions.merge(
    ingest.defs,
    quality.defs,
    signals.defs,
    models.defs,
    warehouse.defs,
    publish.defs,
    alerts.defs,
    automation.defs,
    dg.Definitions(
        # A run without `loggers` in its config (the UI, the schedules) logs to Dagster's
        # console as before; `salesops run` selects `salesops_run` (its stage lines and run
        # log file).
        loggers={"console": dg.colored_console_logger, "salesops_run": salesops_run_logger},
        resources={
            "salesops_home": _settings,
            # one run at a time per home, for the runs Dagster starts too (salesops/run_lock.py)
            "run_lock": HomeRunLock(home=_settings.home),
        },
    ),
)
