"""The daily communication brief 沟通洞察简报: one partition per morning, after the publish."""

import datetime as dt

import dagster as dg

from orchestration.resources import SalesopsHome
from salesops.briefs import briefs_dir, build_briefs, write_briefs

BRIEF_JOB = "daily_briefs"
BRIEF_SCHEDULE = "daily_briefs_0630_shanghai"

brief_partitions = dg.DailyPartitionsDefinition(
    start_date="2025-01-01",
    timezone="Asia/Shanghai",
    end_offset=1,
)
"""Partition key = the morning the brief is read (D); it covers the conversations of D−1.
``end_offset=1`` makes today's partition exist today, not tomorrow."""


@dg.asset(
    key=dg.AssetKey(["daily_brief"]),
    deps=[dg.AssetKey(["published_snapshot"])],
    partitions_def=brief_partitions,
    group_name="publish",
    kinds={"duckdb", "html", "markdown"},
    description=(
        "沟通洞察简报 Daily communication brief for the morning of the partition date: per rep and "
        "per manager (every org unit with reps under it), the previous day's chat signals, "
        "opportunities at risk ranked by amount at risk (customer, amount, stage, expected close, "
        "suggested SOP card) and the teams' weekly top-3 keywords. Read from the published "
        "snapshot (read-only; rules in the seeds briefs_*); written to "
        "$SALESOPS_HOME/briefs/<date>/ (Markdown and HTML, one file per language) with a folder "
        "rename."
    ),
)
def daily_brief(
    context: dg.AssetExecutionContext, salesops_home: SalesopsHome
) -> dg.MaterializeResult:
    paths = salesops_home.paths()
    brief_date = dt.date.fromisoformat(context.partition_key)
    briefs = build_briefs(paths.snapshot_db, brief_date)
    written = write_briefs(briefs, briefs_dir(paths), brief_date)
    stale = any(brief.is_stale for brief in briefs)
    if stale:
        context.log.warning(
            f"The snapshot is older than {brief_date - dt.timedelta(days=1)}: the brief has no "
            "signals of that day; rerun it after the refresh (salesops brief)."
        )
    as_of = briefs[0].as_of if briefs else None
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.url(written.index.as_uri()),
            "folder": dg.MetadataValue.path(str(written.folder)),
            "rep_briefs": written.reps,
            "manager_briefs": written.managers,
            "opportunities_at_risk": max(
                (getattr(brief, "risk_opportunities", 0) for brief in briefs), default=0
            ),
            "snapshot_as_of": str(as_of) if as_of else "",
            "stale": stale,
        }
    )


daily_briefs = dg.define_asset_job(
    BRIEF_JOB,
    selection=dg.AssetSelection.assets(daily_brief),
    partitions_def=brief_partitions,
    description="Write the morning's communication briefs from the published snapshot.",
    executor_def=dg.in_process_executor,
)

daily_briefs_schedule = dg.build_schedule_from_partitioned_job(
    daily_briefs,
    name=BRIEF_SCHEDULE,
    hour_of_day=6,
    minute_of_hour=30,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "06:30 Asia/Shanghai, half an hour after the 06:00 refresh, so the brief is ready "
        "before the 08:00 morning meeting 晨会前."
    ),
)
