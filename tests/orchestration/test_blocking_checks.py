"""A failing contract check on a bronze table stops everything downstream of it in the run."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from orchestration.defs.ingest.assets import bronze_key
from orchestration.defs.quality.checks import _contract_check
from orchestration.resources import SalesopsHome
from salesops import contract
from salesops.ingest.core import empty_bronze_sql


@pytest.mark.parametrize("broken", [False, True])
def test_downstream_runs_only_when_the_contract_check_passes(tmp_path, broken):
    table = contract.table("org_units")
    home = SalesopsHome(home=str(tmp_path))
    paths = home.paths()

    @dg.asset(key=bronze_key(table.name))
    def bronze_org_units() -> None:
        level = "galaxy" if broken else "hq"  # not a canonical level: the suite must fail
        with duckdb.connect() as con:
            con.execute(f"create table t as {empty_bronze_sql(table)}")
            con.execute(
                f"insert into t (unit_id, level, parent_id, name) values ('HQ', '{level}', null, '总部')"
            )
            con.execute(f"copy t to '{paths.bronze / 'org_units.parquet'}' (format parquet)")

    @dg.asset(deps=[bronze_key(table.name)])
    def downstream() -> None:
        (tmp_path / "downstream_ran").touch()

    result = dg.materialize(
        [bronze_org_units, downstream, _contract_check(table)],
        resources={"salesops_home": home},
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    assert [e.passed for e in evaluations] == [not broken]
    assert (tmp_path / "downstream_ran").exists() is (not broken)
    assert result.success is (not broken)
