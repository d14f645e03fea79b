"""What runs by itself: the daily refresh and its 06:00 schedule, the monthly SOP iteration,
the sensor on the landing folder."""

import dagster as dg

from orchestration.defs.automation.jobs import (
    daily_refresh,
    daily_schedule,
    landing_sensor,
    sop_iteration_job,
    sop_iteration_schedule,
)

defs = dg.Definitions(
    jobs=[daily_refresh, sop_iteration_job],
    schedules=[daily_schedule, sop_iteration_schedule],
    sensors=[landing_sensor],
)
