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
    after_models = set(definitions.salesops_dbt_forecast_assets.keys)
    assert publish.parent_keys == dbt_keys | after_models
    assert not dbt_keys & after_models
    checks = {c.asset_key.to_user_string() for c in graph.asset_check_keys if c.name == "contract_suite"}
    assert checks == {f"bronze/{name}" for name in contract.TABLES}


def test_dbt_assets_grouped_by_folder(definitions):
    graph = definitions.defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in definitions.salesops_dbt_assets.keys}
    assert groups == {"warehouse_seeds", "warehouse_staging", "warehouse_intermediate", "warehouse_marts"}


def test_forecasting_runs_between_the_two_dbt_builds(definitions):
    """The models read marts of the first dbt build; the marts on their predictions (dbt source
    ``ml``) are the second build's, so the job runs dbt → models → dbt → publish."""
    graph = definitions.defs.resolve_asset_graph()
    first = set(definitions.salesops_dbt_assets.keys)
    second = set(definitions.salesops_dbt_forecast_assets.keys)
    predictions = dg.AssetKey(["ml", "win_probabilities"])
    assert dg.AssetKey(["marts", "fct_opportunity_scoring_days"]) in graph.get(predictions).parent_keys
    assert graph.get(predictions).parent_keys <= first
    staged = dg.AssetKey(["staging", "stg_ml__win_probabilities"])
    assert staged in second and predictions in graph.get(staged).parent_keys
    assert dg.AssetKey(["marts", "fct_win_probabilities"]) in second
    job = definitions.defs.resolve_job_def(definitions.DAILY_JOB)
    structure = job.graph.dependency_structure

    def steps_before(step: str) -> set[str]:
        return {
            output.node_name
            for outputs in structure.input_to_upstream_outputs_for_node(step).values()
            for output in outputs
        }

    assert "salesops_dbt_assets" in steps_before("win_probabilities")
    assert "win_probabilities" in steps_before("salesops_dbt_forecast_assets")
    baselines = dg.AssetKey(["ml", "baselines"])
    assert dg.AssetKey(["marts", "fct_attainment_rep_month"]) in graph.get(baselines).parent_keys
    assert graph.get(baselines).parent_keys <= first
    assert dg.AssetKey(["marts", "fct_dual_track_rep_month"]) in second
    assert "salesops_dbt_assets" in steps_before("dynamic_baselines")
    assert "dynamic_baselines" in steps_before("salesops_dbt_forecast_assets")
    assert "salesops_dbt_forecast_assets" in steps_before("published_snapshot")
