"""Deviation reasons: free-text reasons of the deviation reports clustered and linked to SOP cards."""

from datetime import date

import dagster as dg

from ml.outputs import DEVIATION_REASON_ASSIGNMENTS as ASSIGNMENTS
from ml.outputs import DEVIATION_REASON_CARD_LINKS as CARD_LINKS
from ml.outputs import DEVIATION_REASON_CLUSTERS as CLUSTERS
from ml.outputs import DEVIATION_REASON_TABLES as TABLES
from orchestration.defs.ingest.assets import bronze_key
from orchestration.defs.metadata import parquet_row_count
from orchestration.resources import SalesopsHome

DEVIATION_REASONS_GROUP = "models"
DEVIATION_REASONS_PREFIX = "deviation_reasons"
"""Asset key prefix; the dbt source ``deviation_reasons`` points its tables at these keys."""

_DESCRIPTIONS = {
    CLUSTERS: (
        "Deviation-reason clusters 偏差原因聚类: one row per cluster of the deviation reports' free "
        "text (jieba tokens, TF-IDF + LSA, KMeans with k by silhouette), labelled by its top terms."
    ),
    ASSIGNMENTS: "One row per deviation report with text: its cluster and cosine similarity to it.",
    CARD_LINKS: (
        "One row per cluster × linked SOP card (title + scenario terms matching the cluster's top "
        "terms), ranked by link score."
    ),
}


class DeviationReasonsConfig(dg.Config):
    as_of: str | None = None
    """Cluster only the reports known by the end of this day (YYYY-MM-DD), as the warehouse's
    as_of: `salesops run --as-of` passes the same day to both."""


def deviation_reasons_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([DEVIATION_REASONS_PREFIX, table])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            deviation_reasons_key(table),
            deps=[bronze_key("deviation_reports"), bronze_key("sop_cards")],
            group_name=DEVIATION_REASONS_GROUP,
            kinds={"python", "scikitlearn", "parquet"},
            description=_DESCRIPTIONS[table],
        )
        for table in TABLES
    ],
)
def deviation_reason_clusters(
    context: dg.AssetExecutionContext, salesops_home: SalesopsHome, config: DeviationReasonsConfig
):
    """Cluster bronze deviation-report reasons and link SOP cards; write
    $SALESOPS_HOME/signals/deviation_reason_{clusters,assignments,card_links}.parquet."""
    as_of = date.fromisoformat(config.as_of) if config.as_of else None
    # the model code (scikit-learn) when the asset runs, not when the definitions load
    from ml.deviation_reasons.extract import extract_home_deviation_reasons

    result = extract_home_deviation_reasons(salesops_home.paths().home, as_of=as_of)
    context.log.info(
        f"{result.reports} reports → {result.clusters} clusters, {result.card_links} card links "
        f"in {result.seconds:.1f} s"
    )
    common = {
        "reports": result.reports,
        "clusters": result.clusters,
        "seconds": round(result.seconds, 2),
    }
    if result.silhouette is not None:
        common["silhouette"] = round(result.silhouette, 4)
    for table in TABLES:
        yield dg.MaterializeResult(
            asset_key=deviation_reasons_key(table),
            metadata={
                **common,
                **parquet_row_count(result.paths[table]),
                "path": dg.MetadataValue.path(str(result.paths[table])),
            },
        )
