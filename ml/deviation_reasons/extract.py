"""Bronze deviation reports + SOP cards → three Parquet files beside the chat signals.

``$SALESOPS_HOME/signals/deviation_reason_clusters.parquet`` (one row per cluster),
``deviation_reason_assignments.parquet`` (one row per report with text) and
``deviation_reason_card_links.parquet`` (one row per cluster × linked card). Files are
always written, empty with their schema when there is nothing to cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ml import outputs
from ml.chat_signals.extract import signals_dir
from ml.deviation_reasons.cluster import ClusterResult, cluster_reasons

CLUSTERS = outputs.DEVIATION_REASON_CLUSTERS
ASSIGNMENTS = outputs.DEVIATION_REASON_ASSIGNMENTS
CARD_LINKS = outputs.DEVIATION_REASON_CARD_LINKS
TABLES = outputs.DEVIATION_REASON_TABLES

SCHEMAS = {
    CLUSTERS: pa.schema(
        [
            ("cluster_id", pa.int64()),
            ("label", pa.string()),
            ("top_terms", pa.string()),
            ("report_count", pa.int64()),
            ("distinct_texts", pa.int64()),
        ]
    ),
    ASSIGNMENTS: pa.schema(
        [("report_id", pa.string()), ("cluster_id", pa.int64()), ("similarity", pa.float64())]
    ),
    CARD_LINKS: pa.schema(
        [
            ("cluster_id", pa.int64()),
            ("card_id", pa.string()),
            ("link_rank", pa.int64()),
            ("link_score", pa.float64()),
            ("matched_terms", pa.string()),
        ]
    ),
}


@dataclass(frozen=True)
class DeviationReasonsResult:
    reports: int
    clusters: int
    card_links: int
    silhouette: float | None
    seconds: float
    paths: dict[str, Path]


def _known_by(column: str, as_of: date | None) -> str:
    """A ``where`` clause keeping rows dated on or before ``as_of`` (undated rows too)."""
    if as_of is None:
        return ""
    return f" where {column} is null or cast({column} as date) <= date '{as_of.isoformat()}'"


def _read(path: Path, sql: str) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    con = duckdb.connect()
    try:
        return con.execute(sql.format(path=str(path).replace("'", "''"))).df()
    finally:
        con.close()


def _write(frame: pd.DataFrame, schema: pa.Schema, path: Path) -> None:
    table = pa.Table.from_pandas(
        frame[[f.name for f in schema]] if len(frame) else pd.DataFrame(columns=schema.names),
        schema=schema,
        preserve_index=False,
    )
    pq.write_table(table, path)


def write_results(result: ClusterResult, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        CLUSTERS: result.clusters,
        ASSIGNMENTS: result.assignments,
        CARD_LINKS: result.card_links,
    }
    paths = {}
    for name, frame in frames.items():
        paths[name] = out_dir / f"{name}.parquet"
        _write(frame, SCHEMAS[name], paths[name])
    return paths


def extract_home_deviation_reasons(home: Path, as_of: date | None = None) -> DeviationReasonsResult:
    """Cluster the bronze deviation reports of one ``SALESOPS_HOME``, write the three files.

    With ``as_of``, only what was known by the end of that day takes part (reports submitted
    and cards created on or before it), as the warehouse's as-of figures: the clusters of a
    past day are rebuilt from that day's reports, not refitted on later ones."""
    started = time.perf_counter()
    bronze = home / "bronze"
    reports = _read(
        bronze / "deviation_reports.parquet",
        "select cast(report_id as varchar) as report_id, cast(reason_text as varchar) as reason_text "
        "from read_parquet('{path}')" + _known_by("submitted_at", as_of),
    )
    cards = _read(
        bronze / "sop_cards.parquet",
        "select cast(card_id as varchar) as card_id, cast(title as varchar) as title, "
        "cast(scenario as varchar) as scenario from read_parquet('{path}')"
        + _known_by("created_at", as_of),
    )
    if reports.empty:
        reports = pd.DataFrame(columns=["report_id", "reason_text"])
    if cards.empty:
        cards = pd.DataFrame(columns=["card_id", "title", "scenario"])
    result = cluster_reasons(reports, cards)
    paths = write_results(result, signals_dir(home))
    return DeviationReasonsResult(
        reports=len(result.assignments),
        clusters=result.k,
        card_links=len(result.card_links),
        silhouette=result.silhouette,
        seconds=time.perf_counter() - started,
        paths=paths,
    )
