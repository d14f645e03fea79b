"""What runs by itself: the daily 06:00 refresh, the monthly SOP iteration and the sensor on the
landing folder.

The 06:30 briefs (``orchestration.defs.publish.briefs``) and the Friday reminders
(``orchestration.defs.alerts``) are schedules too; every schedule and the sensor here are on
(RUNNING) by default, so a team server (``salesops serve``) needs no click in the UI. The
Dagster daemon runs one run at a time (``run_queue`` in ``salesops.config.DAGSTER_YAML``): a
sensor run, the daily run and the monthly run queue behind each other instead of fighting over
the warehouse file's single writer.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Collection
from pathlib import Path

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from orchestration.defs.publish.briefs import daily_brief
from orchestration.defs.publish.snapshot import published_snapshot
from orchestration.defs.warehouse.dbt import salesops_dbt_assets
from orchestration.resources import SalesopsHome
from salesops.ingest.withdraw import forgotten_by_file
from salesops.landing import extract_files

DAILY_JOB = "daily_refresh"
SOP_JOB = "sop_iteration_monthly"
SOP_SCHEDULE = "sop_iteration_monthly_0600_shanghai"
LANDING_SENSOR = "landing_extracts_sensor"

SOP_MARTS = ("fct_sop_card_iteration_monthly", "fct_sop_card_performance")
"""The monthly SOP review reads these: the iteration list (top cards to improve) and the
retirement candidates (fct_sop_card_performance)."""

SETTLE_SECONDS_VARIABLE = "SALESOPS_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60
"""A file changed less than this long ago may still be being copied or exported: wait for it."""

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

sop_iteration_job = dg.define_asset_job(
    SOP_JOB,
    # the SOP marts and the dbt models they need (not the ingest: the daily run keeps bronze
    # current), then the publish, so the dashboards read the new list
    selection=build_dbt_asset_selection(
        [salesops_dbt_assets], dbt_select=" ".join(f"+{mart}" for mart in SOP_MARTS)
    )
    | dg.AssetSelection.assets(published_snapshot),
    description=(
        "月度打法卡迭代 Monthly SOP card iteration: rebuild the iteration list and the retirement "
        "candidates from the month's feedback, then publish."
    ),
    executor_def=dg.in_process_executor,
)

sop_iteration_schedule = dg.ScheduleDefinition(
    name=SOP_SCHEDULE,
    job=sop_iteration_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The 1st of each month, 06:00 Asia/Shanghai: the month's SOP iteration list 每月1日.",
)


def settle_seconds() -> float:
    return float(os.environ.get(SETTLE_SECONDS_VARIABLE) or DEFAULT_SETTLE_SECONDS)


def landing_state(landing: Path, forgotten: Collection[str] = ()) -> dict[str, list[int]]:
    """``{relative path: [size, mtime_ns]}`` of every file the run would read
    (:func:`salesops.landing.extract_files`): other files never start a run. A ``forgotten``
    file (``salesops forget``) is not read: forgetting one starts a run as its removal would,
    and that run withdraws its rows; unforgetting it, as its arrival."""
    state = {}
    for path in extract_files(landing):
        if path.relative_to(landing).as_posix() in forgotten:
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between the listing and the stat
            continue
        state[path.relative_to(landing).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return state


def evaluate_landing(
    landing: Path,
    cursor: str | None,
    *,
    now: float | None = None,
    settle: float | None = None,
    forgotten: Collection[str] = (),
) -> tuple[dg.RunRequest | dg.SkipReason, str | None]:
    """The sensor's decision, without Dagster's context: a run request (or why not) and the
    cursor to store (``None``: keep the old one).

    The cursor is the landing state that the last run request covered. A run is requested
    when a file is new, changed (size or mtime) or removed; its ``run_key`` hashes exactly
    those changes, so the same change never starts two runs. A change younger than
    ``settle`` seconds waits (the cursor stays, so the next tick looks again)."""
    now = time.time() if now is None else now
    settle = settle_seconds() if settle is None else settle
    seen: dict[str, list[int]] = json.loads(cursor) if cursor else {}
    current = landing_state(landing, forgotten)
    changed = sorted(name for name, stat in current.items() if seen.get(name) != stat)
    removed = sorted(set(seen) - set(current))
    if not changed and not removed:
        return dg.SkipReason(f"No new or changed extract in {landing} 无新文件"), None
    writing = [name for name in changed if now - current[name][1] / 1e9 < settle]
    if writing:
        return (
            dg.SkipReason(
                f"Waiting for {len(writing)} file(s) still being written ({', '.join(writing[:3])}): "
                f"changed less than {settle:.0f} s ago 等待文件写入完成"
            ),
            None,
        )
    change = json.dumps(
        {"changed": {name: current[name] for name in changed}, "removed": removed},
        sort_keys=True,
    )
    run_key = "landing-" + hashlib.sha256(change.encode()).hexdigest()[:20]
    request = dg.RunRequest(
        run_key=run_key,
        tags={
            "salesops/trigger": "landing_sensor",
            "salesops/changed_files": str(len(changed)),
            "salesops/removed_files": str(len(removed)),
        },
    )
    return request, json.dumps(current, sort_keys=True)


@dg.sensor(
    name=LANDING_SENSOR,
    job_name=DAILY_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "新数据到达即刷新 Starts the daily job (an incremental run: the ingest reads only new or "
        "changed files) when extract files in the landing folder are added, changed or removed. "
        f"Files changed in the last {DEFAULT_SETTLE_SECONDS} s (${SETTLE_SECONDS_VARIABLE}) are "
        "waited for; files the run does not read (other suffixes, hidden) are ignored."
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext, salesops_home: SalesopsHome):
    paths = salesops_home.unmade_paths()
    decision, cursor = evaluate_landing(
        paths.landing, context.cursor, forgotten=forgotten_by_file(paths)
    )
    if cursor is not None:
        context.update_cursor(cursor)
    return decision
