"""Publish: the read-only snapshot readers open, and the daily briefs written from it."""

import dagster as dg

from orchestration.defs.publish.briefs import daily_brief, daily_briefs, daily_briefs_schedule
from orchestration.defs.publish.snapshot import published_snapshot

defs = dg.Definitions(
    assets=[published_snapshot, daily_brief],
    jobs=[daily_briefs],
    schedules=[daily_briefs_schedule],
)
