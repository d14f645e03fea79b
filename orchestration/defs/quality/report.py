"""The run's data-quality report as an asset: what the contract suites found and what the
ingest quarantined, with the link to the HTML report (data_quality/report.py)."""

import dagster as dg

from data_quality.runs import ingest_account, load_outcomes, run_folder
from orchestration.defs.ingest.assets import bronze_key
from orchestration.resources import SalesopsHome
from salesops import contract

QUALITY_GROUP = "quality"


@dg.asset(
    key=dg.AssetKey(["quality_report"]),
    deps=[bronze_key(name) for name in contract.TABLES],
    group_name=QUALITY_GROUP,
    kinds={"html"},
    description=(
        "数据质量报告 The run's data-quality report: every bronze table passed its blocking "
        "contract suite (a failing suite stops the run before this step; its check links the "
        "report itself). Metadata: suites, expectations, conflicts flagged, rows quarantined per "
        "table, and the HTML report under $SALESOPS_HOME/reports/data_quality/<run>/."
    ),
)
def quality_report(
    context: dg.AssetExecutionContext, salesops_home: SalesopsHome
) -> dg.MaterializeResult:
    paths = salesops_home.paths()
    folder = run_folder(paths.reports, context.run.run_id)
    outcomes = load_outcomes(folder) if folder.exists() else []
    quarantined = {
        name: ingest_account(paths.bronze, name).get("rows_quarantined", 0)
        for name in contract.TABLES
    }
    metadata: dict = {
        "suites": len(outcomes),
        "suites_failed": sum(not outcome.success for outcome in outcomes),
        "expectations": sum(outcome.evaluated for outcome in outcomes),
        "conflicts_flagged": sum(len(outcome.warnings) for outcome in outcomes),
        "rows_quarantined": sum(quarantined.values()),
        "rows_quarantined_by_table": dg.MetadataValue.json(
            {name: rows for name, rows in quarantined.items() if rows}
        ),
        "quarantine": dg.MetadataValue.path(str(paths.quarantine)),
    }
    index = folder / "index.html"
    if index.exists():
        metadata["report"] = dg.MetadataValue.path(str(index))
        metadata["report_url"] = dg.MetadataValue.url(index.resolve().as_uri())
    return dg.MaterializeResult(metadata=metadata)
