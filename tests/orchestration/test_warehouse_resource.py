"""The warehouse's dbt resource skips two dagster-dbt start-up costs (orchestration/defs/
warehouse/dbt.py:SalesopsDbtCli); these tests fail when dagster-dbt changes the hooks it uses.
And the dbt build's materializations carry their tables' row counts."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import dagster_dbt.core.resource as dagster_dbt_resource
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.defs.warehouse.dbt import (
    SalesopsDbtCli,
    _relations,
    dbt_resource,
    table_rows,
    with_row_counts,
)


def test_dagster_dbt_still_calls_the_two_hooks_the_resource_replaces():
    cli = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in cli and "self._initialize_dbt_core_adapter(" in cli
    assert "check_output" in inspect.getsource(DbtCliResource._cli_version.func)  # what is saved


def test_the_dbt_version_is_the_installed_dbt_core_without_running_dbt(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was run: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = SalesopsDbtCli(
        project_dir=dbt_resource.project_dir, dbt_executable=dbt_resource.dbt_executable
    )
    assert resource._cli_version == Version(version("dbt-core"))
    assert resource._cli_version.major < 2  # dbt Core, not the Fusion engine
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    assert isinstance(dbt_resource, SalesopsDbtCli)


def test_each_table_materialization_carries_its_row_count(tmp_path):
    import dagster as dg
    import duckdb

    mart = next(uid for uid, (schema, _) in _relations().items() if schema == "marts")
    view = next(uid for uid, (schema, _) in _relations().items() if schema == "staging")
    schema, name = _relations()[mart]
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute(f"create schema {schema}")
        con.execute(f"create table {schema}.{name} as select range as i from range(7)")
    rows = table_rows(build)
    assert rows == {(schema, name): 7}
    check = dg.AssetCheckResult(asset_key=dg.AssetKey("x"), check_name="c", passed=True)
    events = list(
        with_row_counts(
            [
                dg.Output(None, output_name="a", metadata={"unique_id": mart}),
                dg.Output(None, output_name="b", metadata={"unique_id": view}),
                check,
            ],
            rows,
        )
    )
    assert events[0].metadata["dagster/row_count"].value == 7
    assert "dagster/row_count" not in events[1].metadata  # not a table of the build
    assert events[2] is check
    assert table_rows(tmp_path / "none.duckdb") == {}
