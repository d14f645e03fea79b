"""Generate the dbt sources file for the bronze layer from the landing contract.

``dbt_project/models/staging/_landing__sources.yml`` is derived, never hand-edited: the
contract (:mod:`salesops.contract`) is the only list of tables and columns. Run
``python -m salesops.dbt_sources`` after changing the contract; a test fails while the
committed file and the contract disagree.

Each table resolves to its bronze Parquet file through dbt-duckdb's ``external_location``
(source-level ``meta``; ``{name}`` is filled in per table by the adapter), relative to
``SALESOPS_HOME``: the profile puts the home on DuckDB's ``file_search_path`` at run time, so
the parsed project does not depend on the home (:mod:`salesops.dbt_exec` parses it once).

A second, smaller file declares the ``landing_history`` source: the extract history the
ingest keeps for a few tables (:data:`salesops.ingest.core.HISTORY_TABLES`, at
``bronze/_history/<table>.parquet``): the contract columns plus ``_extract_date``, one row per
primary key and extract date. The daily opportunity snapshot reads it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from salesops.config import DBT_PROJECT_DIR
from salesops.contract import TABLES, Column, Table
from salesops.ingest.core import HISTORY_TABLES

SOURCE_NAME = "landing"
SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_landing__sources.yml"
EXTERNAL_LOCATION = "bronze/{name}.parquet"
HISTORY_SOURCE_NAME = "landing_history"
HISTORY_SOURCES_FILE = (
    DBT_PROJECT_DIR / "models" / "staging" / "snapshot" / "_landing_history__sources.yml"
)
HISTORY_EXTERNAL_LOCATION = "bronze/_history/{name}.parquet"
BRONZE_ASSET_PREFIX = "bronze"
"""Dagster asset key prefix of the ingest assets; each source table points at its asset."""

_HEADER = (
    "# GENERATED from salesops/contract.py by `python -m salesops.dbt_sources`. Do not edit:\n"
    "# change the contract and regenerate (tests/dbt/test_sources_generated.py checks this).\n"
)
_HISTORY_HEADER = (
    "# GENERATED from salesops/contract.py and salesops.ingest.core.HISTORY_TABLES by\n"
    "# `python -m salesops.dbt_sources`. Do not edit (tests/dbt/test_daily_snapshot.py checks this).\n"
)


def _column_yaml(table: Table, column: Column) -> dict:
    return {"name": column.name, "description": column.description, "data_type": column.duckdb_type}


def _table_yaml(table: Table) -> dict:
    entry: dict = {
        "name": table.name,
        "description": (
            f"{table.description} Bronze copy of the `{table.source}` extract "
            f"(primary key: {', '.join(table.primary_key)}), checked at ingest by the blocking "
            f"Great Expectations suite `bronze_{table.name}` (data_quality/suites); lineage columns "
            "`_source_file`, `_source_line` name the landing file and line."
        ),
        "meta": {"dagster": {"asset_key": [BRONZE_ASSET_PREFIX, table.name]}},
    }
    entry["columns"] = [_column_yaml(table, c) for c in table.columns]
    return entry


def render_sources_yaml() -> str:
    """The sources file as text: one ``landing`` source, one table per contract table."""
    document = {
        "version": 2,
        "sources": [
            {
                "name": SOURCE_NAME,
                "description": (
                    "Bronze Parquet files written by the Dagster ingest assets: the landing "
                    "contract (SPEC §3) typed and validated, bad rows quarantined, one file per table "
                    "at $SALESOPS_HOME/bronze/<table>.parquet (always present, possibly empty)."
                ),
                "meta": {"external_location": EXTERNAL_LOCATION},
                "tables": [_table_yaml(t) for t in TABLES.values()],
            }
        ],
    }
    body = yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return _HEADER + body


def _history_table_yaml(table: Table) -> dict:
    columns = [
        {"name": c.name, "description": c.description, "data_type": c.duckdb_type}
        for c in table.columns
    ]
    columns.append(
        {
            "name": "_extract_date",
            "description": (
                "The day the extract describes 抽取日期: the date in the file name, else the "
                "latest timestamp in the file's rows."
            ),
            "data_type": "DATE",
        }
    )
    return {
        "name": table.name,
        "description": (
            f"Every extract of `{table.name}` ever ingested (not only the latest): "
            f"one row per {', '.join(table.primary_key)} and extract date. "
            "Lineage columns `_source_file`, `_source_line` name the landing file and line."
        ),
        "meta": {"dagster": {"asset_key": [BRONZE_ASSET_PREFIX, "_history", table.name]}},
        "columns": columns,
    }


def render_history_sources_yaml() -> str:
    """The ``landing_history`` source: one table per table whose extracts the ingest keeps."""
    document = {
        "version": 2,
        "sources": [
            {
                "name": HISTORY_SOURCE_NAME,
                "description": (
                    "Extract history written by the Dagster ingest assets beside the bronze "
                    "tables, at $SALESOPS_HOME/bronze/_history/<table>.parquet. Absent in a "
                    "bronze layer written before the history existed: the staging models then "
                    "fall back to the latest extract (one extract)."
                ),
                "meta": {"external_location": HISTORY_EXTERNAL_LOCATION},
                "tables": [_history_table_yaml(TABLES[name]) for name in HISTORY_TABLES],
            }
        ],
    }
    body = yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return _HISTORY_HEADER + body


def write_sources_yaml(path: Path = SOURCES_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_sources_yaml(), encoding="utf-8")
    return path


def write_history_sources_yaml(path: Path = HISTORY_SOURCES_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_history_sources_yaml(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_sources_yaml())
    print(write_history_sources_yaml())
