"""The Dagster definitions load, and the graph is wired as the product needs it."""

from __future__ import annotations

import dagster as dg
import pytest

from salesops import contract
from salesops.ingest.core import HISTORY_TABLES


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    import os

    os.environ["SALESOPS_HOME"] = str(tmp_path_factory.mktemp("home"))
    import orchestration.definitions as module

    return module


def test_job_and_schedule_resolve(definitions):
    defs = definitions.defs
    job = defs.resolve_job_def(definitions.DAILY_JOB)
    assert job.executor_def is dg.in_process_executor
    schedule = defs.resolve_schedule_def("daily_refresh_0600_shanghai")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 * * *", "Asia/Shanghai")


def test_every_dbt_source_is_an_ingest_asset(definitions):
    """dbt sources point at the bronze assets (meta.dagster.asset_key), no dangling source keys."""
    graph = definitions.defs.resolve_asset_graph()
    materializable = {k.to_user_string() for k in graph.materializable_asset_keys}
    assert {f"bronze/{name}" for name in contract.TABLES} <= materializable
    external = {k.to_user_string() for k in graph.get_all_asset_keys()} - materializable
    # the only non-materializable keys: the extract-history files each ingest asset writes
    assert external == {f"bronze/_history/{name}" for name in HISTORY_TABLES}, sorted(external)
    for name in HISTORY_TABLES:
        history = graph.get(dg.AssetKey(["bronze", "_history", name]))
        assert history.parent_keys == {dg.AssetKey(["bronze", name])}
    staging = graph.get(dg.AssetKey(["staging", "stg_crm__opportunities"]))
    assert staging.parent_keys == {dg.AssetKey(["bronze", "opportunities"])}


def test_publish_depends_on_every_dbt_model_and_every_bronze_table_is_checked(definitions):
    graph = definitions.defs.resolve_asset_graph()
    publish = graph.get(dg.AssetKey(["published_snapshot"]))
    dbt_keys = set(definitions.salesops_dbt_assets.keys)
    assert publish.parent_keys == dbt_keys
    checks = {c.asset_key.to_user_string() for c in graph.asset_check_keys if c.name == "contract_suite"}
    assert checks == {f"bronze/{name}" for name in contract.TABLES}


def test_dbt_assets_grouped_by_folder(definitions):
    graph = definitions.defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in definitions.salesops_dbt_assets.keys}
    assert groups == {"warehouse_seeds", "warehouse_staging", "warehouse_intermediate", "warehouse_marts"}
