"""The bronze contract check writes its run's report and links it from the check's metadata."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.ingest.assets import bronze_key
from orchestration.defs.quality.checks import _contract_check
from orchestration.defs.quality.report import quality_report
from orchestration.resources import SalesopsHome
from salesops import contract
from salesops.ingest.core import empty_bronze_sql

INSERTS = {
    "org_units": "insert into t (unit_id, level, parent_id, name) values ('HQ', 'hq', null, '总部')",
    "sop_feedback": "insert into t (usage_id, submitted_at, verdict) values ('U1', timestamp '2026-01-01', '<script>x</script>')",
}


def bronze(table: contract.Table, paths) -> dg.AssetsDefinition:
    @dg.asset(key=bronze_key(table.name))
    def _asset() -> None:
        paths.bronze.mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as con:
            con.execute(f"create table t as {empty_bronze_sql(table)}")
            con.execute(INSERTS[table.name])
            con.execute(f"copy t to '{paths.bronze / f'{table.name}.parquet'}' (format parquet)")

    return _asset


def test_each_check_writes_into_its_runs_report_and_links_it(tmp_path):
    home = SalesopsHome(home=str(tmp_path))
    paths = home.paths()
    tables = [contract.table("org_units"), contract.table("sop_feedback")]
    result = dg.materialize(
        [
            *(bronze(t, paths) for t in tables),
            *(_contract_check(t) for t in tables),
            quality_report,
        ],
        resources={"salesops_home": home},
        raise_on_error=False,
    )
    # a failing suite is a closed gate: the run's quality report asset (like the warehouse)
    # is not materialized; the failing check links the report itself
    assert result.asset_materializations_for_node("quality_report") == []
    evaluations = {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}
    assert evaluations["org_units"].passed and not evaluations["sop_feedback"].passed

    folder = paths.reports / "data_quality" / result.run_id
    index = folder / "index.html"
    assert sorted(p.name for p in folder.iterdir()) == [
        "index.html",
        "org_units.json",
        "sop_feedback.json",
    ]
    for evaluation in evaluations.values():
        metadata = evaluation.metadata
        assert Path(metadata["data_docs"].path) == index
        assert metadata["data_docs_url"].url == index.resolve().as_uri()
    html = index.read_text(encoding="utf-8")
    assert "bronze_org_units" in html and "bronze_sop_feedback" in html
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert html.index('bronze_sop_feedback"') < html.index(
        'bronze_org_units"'
    )  # failing suite first


def test_the_quality_report_asset_counts_and_links_the_runs_report(tmp_path):
    home = SalesopsHome(home=str(tmp_path))
    paths = home.paths()
    table = contract.table("org_units")
    result = dg.materialize(
        [bronze(table, paths), _contract_check(table), quality_report],
        resources={"salesops_home": home},
    )
    [materialization] = result.asset_materializations_for_node("quality_report")
    metadata = materialization.metadata
    index = paths.reports / "data_quality" / result.run_id / "index.html"
    assert Path(metadata["report"].path) == index and index.exists()
    assert (metadata["suites"].value, metadata["suites_failed"].value) == (1, 0)
    assert metadata["expectations"].value > 0
    assert metadata["rows_quarantined"].value == 0  # no ingest account: nothing quarantined
