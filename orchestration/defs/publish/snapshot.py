"""Publish: after every upstream asset and blocking check passed, swap in the read-only snapshot."""

import dagster as dg

from orchestration.defs.warehouse.dbt import salesops_dbt_assets, salesops_dbt_forecast_assets
from orchestration.resources import HomeRunLock, SalesopsHome
from salesops.publish import publish_snapshot


@dg.asset(
    key=dg.AssetKey(["published_snapshot"]),
    deps=[*salesops_dbt_assets.keys, *salesops_dbt_forecast_assets.keys],
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "The read-only DuckDB snapshot that dashboards and analysts open. Built by copying the "
        "checkpointed build warehouse and swapped in with an atomic rename; a failed run leaves the "
        "previous snapshot in place."
    ),
)
def published_snapshot(
    context: dg.AssetExecutionContext, salesops_home: SalesopsHome, run_lock: HomeRunLock
) -> dg.MaterializeResult:
    # run_lock: held for the whole run (taken when the run's resources are set up)
    result = publish_snapshot(
        salesops_home.paths(),
        run_id=context.run_id,
        not_personal=salesops_home.mapping_profile().not_personal,
        keep=salesops_home.snapshots_kept(),
    )
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(result.snapshot)),
            "as_of": str(result.as_of),
            "published_at": str(result.published_at),
            "mart_tables": result.tables,
        }
    )
