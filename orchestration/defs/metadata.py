"""Metadata every domain puts on its assets the same way."""

from pathlib import Path

ROW_COUNT = "dagster/row_count"
"""Dagster's own row-count key: the UI shows it in the asset's overview and its history."""


def parquet_row_count(path: str | Path) -> dict[str, int]:
    """``{ROW_COUNT: rows}`` of a Parquet file, from its footer (no data read); empty when the
    file is missing."""
    import pyarrow.parquet as pq

    path = Path(path)
    return {ROW_COUNT: pq.read_metadata(path).num_rows} if path.is_file() else {}
