"""The committed dbt sources file is generated from the landing contract, never edited."""

from __future__ import annotations

import yaml

from salesops.contract import TABLES
from salesops.dbt_sources import SOURCES_FILE, render_sources_yaml


def test_committed_sources_file_matches_the_contract():
    committed = SOURCES_FILE.read_text(encoding="utf-8")
    assert committed == render_sources_yaml(), (
        "dbt_project/models/staging/_landing__sources.yml is stale: "
        "run `python -m salesops.dbt_sources`"
    )


def test_sources_declare_every_contract_table_and_column_with_its_tests():
    (source,) = yaml.safe_load(render_sources_yaml())["sources"]
    assert source["name"] == "landing"
    # relative to the home, found through the profile's file_search_path at run time
    assert source["meta"]["external_location"] == "bronze/{name}.parquet"
    tables = {t["name"]: t for t in source["tables"]}
    assert list(tables) == list(TABLES)
    for name, contract_table in TABLES.items():
        columns = {c["name"]: c for c in tables[name]["columns"]}
        assert list(columns) == list(contract_table.column_names)
        for column in contract_table.columns:
            # the contract's checks are the blocking GX suite's at ingest (data_quality/suites),
            # defined once: no dbt test repeats them on the bronze files
            assert "data_tests" not in columns[column.name], (name, column.name)
            assert columns[column.name]["data_type"] == column.duckdb_type
