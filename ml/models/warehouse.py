"""The models' way in and out of the warehouse.

In: the marts of the build warehouse, read-only, after the dbt build that makes them (the
Dagster asset runs between the two dbt builds, in the same process, so no writer holds the
file). Out: one Parquet file per output table under ``$SALESOPS_HOME/ml/``, replaced
atomically, which the dbt source ``ml`` reads (``staging/ml/_ml__sources.yml``)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from salesops.config import Paths, duckdb_config

OUTPUT_FOLDER = "ml"


def outputs_dir(home: Path) -> Path:
    """``$SALESOPS_HOME/ml``: the dbt source ``ml`` reads ``ml/<table>.parquet`` from it."""
    return home / OUTPUT_FOLDER


def connect_build(paths: Paths) -> duckdb.DuckDBPyConnection:
    """The build warehouse, read-only (the marts the models read)."""
    return duckdb.connect(str(paths.build_db), read_only=True, config=duckdb_config())


def write_output(home: Path, table: str, data: pa.Table) -> Path:
    """Write ``data`` to ``$SALESOPS_HOME/ml/<table>.parquet``: a temporary file renamed over
    the old one, so dbt never reads a half-written file."""
    folder = outputs_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.parquet"
    partial = path.with_suffix(".parquet.partial")
    pq.write_table(data, partial)
    os.replace(partial, path)
    return path
