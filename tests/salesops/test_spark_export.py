"""The export of a Spark build into the DuckDB warehouse the readers use, on a hand-made Spark
warehouse folder (Parquet files where Spark keeps managed tables) and manifest."""

from __future__ import annotations

import json

import duckdb

from salesops.config import Paths
from salesops.spark_export import export_spark_build, spark_table_folder


def _node(name, schema, materialized, resource_type="model", columns=None, description="", persist=None):
    return {
        "unique_id": f"{resource_type}.salesops.{name}",
        "resource_type": resource_type,
        "name": name,
        "alias": name,
        "schema": schema,
        "description": description,
        "config": {"materialized": materialized, "persist_docs": persist or {}},
        "columns": {c["name"]: c for c in (columns or [])},
    }


def _table(paths, schema, name, sql):
    folder = spark_table_folder(paths, schema, name)
    folder.mkdir(parents=True)
    # as Spark writes them: part files, a _SUCCESS marker, checksums
    duckdb.sql(f"copy ({sql}) to '{folder / 'part-00000-abc.snappy.parquet'}' (format parquet)")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-00000-abc.snappy.parquet.crc").write_bytes(b"\0")


def test_the_marts_get_their_contract_types_order_and_comments(tmp_path):
    paths = Paths(tmp_path / "home").ensure()
    # Spark wrote a BIGINT count, a DECIMAL rate and the columns in the select's order
    _table(paths, "marts", "fct_x", "select 0.25::decimal(10, 2) as rate, 3::bigint as n, 'a' as unit_id")
    _table(paths, "seeds", "rules", "select 1::bigint as weight, 'w' as word")
    _table(paths, "intermediate", "int_y", "select 1 as k union all select 2")
    manifest = tmp_path / "manifest.json"
    columns = [
        {"name": "unit_id", "data_type": "varchar", "description": "The unit 单位."},
        {"name": "n", "data_type": "integer", "description": "It's a count."},
        {"name": "rate", "data_type": "double", "description": ""},
    ]
    nodes = [
        _node("fct_x", "marts", "table", columns=columns, description="X per unit.",
              persist={"relation": True, "columns": True}),
        _node("rules", "seeds", "seed", resource_type="seed"),
        _node("int_y", "intermediate", "incremental"),
        _node("int_view", "intermediate", "view"),  # a view: no files, nothing to copy
        _node("fct_not_built", "marts", "table", columns=columns),  # not in this build
        {"unique_id": "test.salesops.t", "resource_type": "test", "name": "t", "schema": "x", "config": {}},
    ]
    manifest.write_text(json.dumps({"nodes": {n["unique_id"]: n for n in nodes}}), encoding="utf-8")
    # an earlier build's warehouse is replaced whole, not added to
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema marts; create table marts.stale as select 1 as x")

    rows = export_spark_build(paths, manifest)

    assert rows == {("marts", "fct_x"): 1, ("seeds", "rules"): 1, ("intermediate", "int_y"): 2}
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        described = con.execute("describe marts.fct_x").fetchall()
        values = con.execute("select * from marts.fct_x").fetchall()
        comments = con.execute(
            "select column_name, comment from duckdb_columns() where table_name = 'fct_x' order by column_index"
        ).fetchall()
        table_comment = con.execute("select comment from duckdb_tables() where table_name = 'fct_x'").fetchall()
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert [(name, kind) for name, kind, *_ in described] == [
        ("unit_id", "VARCHAR"), ("n", "INTEGER"), ("rate", "DOUBLE"),
    ]
    assert values == [("a", 3, 0.25)]
    assert comments == [("unit_id", "The unit 单位."), ("n", "It's a count."), ("rate", None)]
    assert table_comment == [("X per unit.",)]
    assert tables == {"fct_x", "rules", "int_y"}
    assert not paths.build_db.with_name(paths.build_db.name + ".spark-export").exists()
