"""A warehouse built on Spark, exported into the DuckDB build warehouse the rest of the run reads.

With ``SALESOPS_DBT_TARGET=spark`` dbt builds the project on Apache Spark (dbt_project/
profiles.yml). The forecasting models, the publish and so the dashboards and analysts read
DuckDB: after each dbt build, every table dbt built (seeds, staging, intermediate and marts;
views on DuckDB are inlined into their readers) is copied from Spark's warehouse folder into a
fresh ``warehouse/build.duckdb``, which then replaces the old one. The Parquet files are read
where Spark wrote them (``<SALESOPS_SPARK_WAREHOUSE>/<schema>.db/<table>``; on a cluster that
folder must be mounted here, README "When one machine is not enough"), so the export costs no
Spark job.

The marts are cast to their contract's types and column order (the DuckDB build enforces
them; Spark, whose Parquet tables cannot, does not) and carry the same comments, so a snapshot
published from Spark has the same schema as one built on DuckDB; tests/spark checks that the
data is the same too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from salesops.config import Paths, duckdb_config

SPARK_WAREHOUSE_VARIABLE = "SALESOPS_SPARK_WAREHOUSE"
"""Spark's warehouse folder (``spark.sql.warehouse.dir``); empty = ``<home>/warehouse/spark/
tables``, the profile's default (dbt_project/profiles.yml reads the same variable)."""
TABLE_MATERIALIZATIONS = {"table", "incremental", "seed"}


def spark_warehouse(paths: Paths) -> Path:
    configured = os.environ.get(SPARK_WAREHOUSE_VARIABLE)
    return Path(configured) if configured else paths.warehouse_dir / "spark" / "tables"


def spark_table_folder(paths: Paths, schema: str, name: str) -> Path:
    """Where Spark keeps a managed table's files (its default location)."""
    return spark_warehouse(paths) / f"{schema}.db" / name


def export_spark_build(paths: Paths, manifest_path: Path) -> dict[tuple[str, str], int]:
    """Copies every table of the Spark build into a fresh DuckDB build warehouse, swapped in
    for ``warehouse/build.duckdb`` when complete; returns (schema, table) → rows."""
    nodes = json.loads(manifest_path.read_text(encoding="utf-8"))["nodes"]
    build = paths.build_db
    fresh = build.with_name(build.name + ".spark-export")
    fresh.unlink(missing_ok=True)
    rows: dict[tuple[str, str], int] = {}
    with duckdb.connect(str(fresh), config=duckdb_config()) as con:
        # Spark wrote the session's instants in UTC (the profile's session time zone): read
        # back as the same wall-clock times the DuckDB build has
        con.execute("set TimeZone = 'UTC'")
        for node in sorted(nodes.values(), key=lambda n: n["unique_id"]):
            if node["resource_type"] not in ("model", "seed"):
                continue
            if node["config"].get("materialized") not in TABLE_MATERIALIZATIONS:
                continue
            schema, name = node["schema"], node.get("alias") or node["name"]
            folder = spark_table_folder(paths, schema, name)
            if not folder.is_dir():
                continue  # not built in this invocation's selection, nor before
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(
                f'create table "{schema}"."{name}" as select {_select_list(node)} '
                f"from read_parquet(?, union_by_name = true)",
                [_parquet_files(folder)],
            )
            _comment(con, schema, name, node)
            rows[(schema, name)] = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        con.execute("checkpoint")
    os.replace(fresh, build)
    return rows


def _parquet_files(folder: Path) -> list[str]:
    files = sorted(str(p) for p in folder.rglob("*.parquet"))
    if not files:  # an empty table: Spark still writes one file with the schema
        files = sorted(str(p) for p in folder.rglob("part-*") if not p.name.endswith(".crc"))
    return files


def _select_list(node: dict) -> str:
    """A mart's contract columns, in its order and cast to its types; else every column."""
    contracted = [c for c in node.get("columns", {}).values() if c.get("data_type")]
    if node["resource_type"] == "model" and node["schema"] == "marts" and contracted:
        return ", ".join(
            f'cast("{c["name"]}" as {c["data_type"]}) as "{c["name"]}"' for c in contracted
        )
    return "*"


def _comment(con: duckdb.DuckDBPyConnection, schema: str, name: str, node: dict) -> None:
    """The model's description and its columns', as ``persist_docs`` writes them on DuckDB."""
    persist = node["config"].get("persist_docs") or {}
    if persist.get("relation") and node.get("description"):
        con.execute(f'comment on table "{schema}"."{name}" is {_literal(node["description"])}')
    if persist.get("columns"):
        present = {r[0] for r in con.execute(f'describe "{schema}"."{name}"').fetchall()}
        for column in node.get("columns", {}).values():
            if column["name"] in present and column.get("description"):
                con.execute(
                    f'comment on column "{schema}"."{name}"."{column["name"]}" '
                    f"is {_literal(column['description'])}"
                )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
