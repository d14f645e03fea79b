"""The warehouse's dbt resource skips two dagster-dbt start-up costs (orchestration/defs/
warehouse.py:SalesopsDbtCli); these tests fail when dagster-dbt changes the hooks it uses."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import dagster_dbt.core.resource as dagster_dbt_resource
from dagster_dbt import DbtCliResource
from packaging.version import Version

from orchestration.defs.warehouse.dbt import SalesopsDbtCli, dbt_resource


def test_dagster_dbt_still_calls_the_two_hooks_the_resource_replaces():
    cli = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in cli and "self._initialize_dbt_core_adapter(" in cli
    assert "check_output" in inspect.getsource(DbtCliResource._cli_version.func)  # what is saved


def test_the_dbt_version_is_the_installed_dbt_core_without_running_dbt(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was run: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = SalesopsDbtCli(project_dir=dbt_resource.project_dir, dbt_executable=dbt_resource.dbt_executable)
    assert resource._cli_version == Version(version("dbt-core"))
    assert resource._cli_version.major < 2  # dbt Core, not the Fusion engine
    assert resource._initialize_dbt_core_adapter(["build"]) is None
    assert isinstance(dbt_resource, SalesopsDbtCli)
