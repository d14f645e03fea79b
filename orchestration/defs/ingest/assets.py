"""Ingest assets: one per landing-contract table (their blocking GX contract checks are the
quality domain's: orchestration/defs/quality/checks.py)."""

from collections import Counter

import dagster as dg

from data_quality.runs import run_folder
from orchestration.defs.metadata import parquet_row_count
from orchestration.resources import SalesopsHome
from salesops import contract
from salesops.dbt_sources import BRONZE_ASSET_PREFIX
from salesops.ingest import ingest_table
from salesops.ingest.core import HISTORY_TABLES, upstream_tables
from salesops.landing import EmptyLandingError, require_extracts
from salesops.memory import give_back

INGEST_GROUP = "ingest"


def bronze_key(table_name: str) -> dg.AssetKey:
    return dg.AssetKey([BRONZE_ASSET_PREFIX, table_name])


def _ingest_asset(table: contract.Table) -> dg.AssetsDefinition:
    @dg.asset(
        key=bronze_key(table.name),
        deps=[bronze_key(name) for name in upstream_tables(table.name)],
        group_name=INGEST_GROUP,
        kinds={"duckdb", "parquet"},
        description=(
            f"Bronze `{table.name}`: {table.description} Typed from the landing files (canonical names or "
            "a mapping profile's rules) against the landing contract; bad rows quarantined with file, "
            "line, column and reason; new files added, changed files replaced, unchanged files skipped."
        ),
    )
    def _asset(
        context: dg.AssetExecutionContext, salesops_home: SalesopsHome
    ) -> dg.MaterializeResult:
        paths = salesops_home.paths()
        try:  # a scheduled run on an emptied landing must not publish an empty warehouse
            require_extracts(paths.landing)
        except EmptyLandingError as exc:
            raise dg.Failure(description=str(exc)) from None
        result = ingest_table(table, paths, salesops_home.mapping_profile())
        give_back()
        for event in result.events:
            if event["action"] != "unchanged":
                context.log.info(
                    f"{event['file']}: {event['action']} {event.get('reason', '')}".strip()
                )
        if result.rows_quarantined:
            context.log.warning(
                f"{table.name}: {result.rows_quarantined} row(s) quarantined → {result.quarantine_path}"
            )
        actions = Counter(e["action"] for e in result.events)
        return dg.MaterializeResult(
            metadata={
                "files": len(result.files),
                "files_added": actions["added"],
                "files_replaced": actions["replaced"],
                "files_unchanged": actions["unchanged"] + actions["skipped"],
                # removed from landing or forgotten (salesops forget): their rows taken out
                "files_withdrawn": len(result.withdrawn),
                "rows_withdrawn": result.rows_withdrawn,
                "withdrawn": dg.MetadataValue.json(result.withdrawn),
                "rows_read": result.rows_read,
                "rows_accepted": result.rows_accepted,
                **parquet_row_count(result.bronze_path),
                "rows_quarantined": result.rows_quarantined,
                "rows_superseded": result.rows_superseded,
                "rows_set_aside": result.rows_set_aside,
                "rows_derived": result.derived_rows,
                "rows_flagged_conflicting": result.conflicts,
                "ignored_columns": dg.MetadataValue.json(result.ignored_columns),
                "bronze_path": dg.MetadataValue.path(result.bronze_path),
                "quarantine_path": dg.MetadataValue.path(result.quarantine_path),
                # written by the table's contract check, right after this step
                "quality_report": dg.MetadataValue.path(
                    str(run_folder(paths.reports, context.run.run_id) / "index.html")
                ),
            }
        )

    return _asset


ingest_assets = [_ingest_asset(t) for t in contract.TABLES.values()]


# The extract history (bronze/_history/<table>.parquet) is written by the table's own ingest
# asset above; dbt reads it as the `landing_history` source. It is declared here so the
# lineage shows where it comes from (an observable file, not a separate step).
history_specs = [
    dg.AssetSpec(
        key=dg.AssetKey([BRONZE_ASSET_PREFIX, "_history", name]),
        deps=[bronze_key(name)],
        group_name=INGEST_GROUP,
        kinds={"parquet"},
        description=(
            f"Every extract of `{name}` ever ingested, one row per key and extract date; "
            f"written by {bronze_key(name).to_user_string()} 历次抽取"
        ),
    )
    for name in HISTORY_TABLES
]
