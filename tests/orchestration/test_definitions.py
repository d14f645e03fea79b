"""The Dagster definitions load, and the graph is wired as the product needs it."""

from __future__ import annotations

import os

import dagster as dg
import pytest

from orchestration.resources import SalesopsHome
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
    checks = {
        c.asset_key.to_user_string() for c in graph.asset_check_keys if c.name == "contract_suite"
    }
    assert checks == {f"bronze/{name}" for name in contract.TABLES}


def test_every_asset_is_in_one_of_the_seven_groups(definitions):
    graph = definitions.defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups == set(definitions.ASSET_GROUPS)
    assert definitions.ASSET_GROUPS == (
        "ingest", "quality", "signals", "warehouse", "models", "publish", "alerts"
    )  # fmt: skip
    dbt = {graph.get(k).group_name for k in definitions.salesops_dbt_assets.keys}
    assert dbt == {"warehouse"}, "every dbt node, seeds included; its folder is its key prefix"
    assert {k.path[0] for k in definitions.salesops_dbt_assets.keys} == {
        "seeds", "staging", "intermediate", "marts"
    }  # fmt: skip
    for name, group in [
        ("bronze/opportunities", "ingest"),
        ("signals/keyword_hits", "signals"),
        ("deviation_reasons/deviation_reason_clusters", "models"),
        ("ml/win_probabilities", "models"),
        ("published_snapshot", "publish"),
        ("daily_brief", "publish"),
        ("push_alerts", "alerts"),
    ]:
        assert graph.get(dg.AssetKey.from_user_string(name)).group_name == group, name


def test_each_domain_loads_on_its_own():
    """orchestration/defs/<domain>/ each export a ``defs``; the entry point only merges them."""
    import importlib

    for domain in ("ingest", "quality", "signals", "warehouse", "models", "publish", "alerts"):
        module = importlib.import_module(f"orchestration.defs.{domain}")
        assert isinstance(module.defs, dg.Definitions), domain


def test_forecasting_runs_between_the_two_dbt_builds(definitions):
    """The models read marts of the first dbt build; the marts on their predictions (dbt source
    ``ml``) are the second build's, so the job runs dbt → models → dbt → publish."""
    graph = definitions.defs.resolve_asset_graph()
    first = set(definitions.salesops_dbt_assets.keys)
    second = set(definitions.salesops_dbt_forecast_assets.keys)
    predictions = dg.AssetKey(["ml", "win_probabilities"])
    assert (
        dg.AssetKey(["marts", "fct_opportunity_scoring_days"]) in graph.get(predictions).parent_keys
    )
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


LOAD_AND_REPORT = """
import json, os, subprocess

started = []


class Recorded(subprocess.Popen):
    def __init__(self, args, *rest, **kwargs):
        started.append(str(args))
        super().__init__(args, *rest, **kwargs)


subprocess.Popen = Recorded
before = dict(os.environ)
import orchestration.definitions  # noqa: E402

after = dict(os.environ)
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
print(json.dumps({"changed": changed, "started": started}))
"""


def test_loading_the_definitions_makes_no_folder_writes_no_variable_starts_no_dbt(tmp_path):
    """dagster-open-platform style: the definitions load without side effects; the folders,
    the environment and the dbt parse are the run's (or the CLI's) business."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    home = tmp_path / "home-not-made-yet"
    set_by_the_product = ("DAGSTER_HOME", "GX_ANALYTICS_ENABLED", "DBT_SEND_ANONYMOUS_USAGE_STATS")
    env = {k: v for k, v in os.environ.items() if k not in set_by_the_product}
    env.update(SALESOPS_HOME=str(home), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run(
        [sys.executable, "-c", LOAD_AND_REPORT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not home.exists()
    assert report["changed"] == [], report["changed"]
    # (platform.architecture() runs `file` on the interpreter; that is the only one allowed)
    assert [a for a in report["started"] if "dbt" in a] == [], "no dbt started while loading"


def test_settings_are_bound_to_the_environment_only_where_set():
    from orchestration.resources import salesops_settings

    settings = salesops_settings({"SALESOPS_HOME": "/srv/salesops", "SALESOPS_KEEP_SNAPSHOTS": "3"})
    assert isinstance(settings.home, dg.EnvVar) and settings.home.env_var_name == "SALESOPS_HOME"
    assert settings.keep_snapshots.env_var_name == "SALESOPS_KEEP_SNAPSHOTS"
    assert (settings.landing, settings.timezone, settings.duckdb_memory) == ("", "", "")


def test_the_dbt_build_gets_its_settings_from_the_resource(tmp_path):
    from orchestration.resources import SalesopsHome

    home = SalesopsHome(home=str(tmp_path / "h"), duckdb_memory="1GB", dbt_target="spark")
    assert home.dbt_environment() == {
        "SALESOPS_HOME": str((tmp_path / "h").resolve()),
        "SALESOPS_DUCKDB_MEMORY": "1GB",
        "SALESOPS_DBT_TARGET": "spark",
    }
    defaults = SalesopsHome(home=str(tmp_path)).dbt_environment()
    assert defaults["SALESOPS_DUCKDB_MEMORY"] == "3GB" and defaults["SALESOPS_DBT_TARGET"] == "dev"
    assert SalesopsHome(home=str(tmp_path), keep_snapshots="2").snapshots_kept() == 2


def test_during_a_run_the_base_layer_reads_the_resources_settings(tmp_path, monkeypatch):
    """The ingest's time zone and the DuckDB budget are read by the base layer
    (salesops/config.py); during a run they are the resource's, whatever the environment
    said, and the environment is as before once the run ends."""
    from salesops.config import duckdb_config, reporting_timezone

    monkeypatch.setenv("SALESOPS_TIMEZONE", "Europe/Berlin")
    monkeypatch.delenv("SALESOPS_DUCKDB_MEMORY", raising=False)
    seen = {}

    @dg.asset
    def probe(salesops_home: SalesopsHome) -> None:
        seen["zone"] = reporting_timezone()
        seen["memory"] = duckdb_config()["memory_limit"]

    home = SalesopsHome(home=str(tmp_path), timezone="UTC", duckdb_memory="1GB")
    assert dg.materialize([probe], resources={"salesops_home": home}).success
    assert seen == {"zone": "UTC", "memory": "1GB"}
    assert os.environ["SALESOPS_TIMEZONE"] == "Europe/Berlin"
    assert "SALESOPS_DUCKDB_MEMORY" not in os.environ


def test_dbt_tests_are_blocking_asset_checks_of_their_models(definitions):
    """dbt's data tests are asset checks; an error-severity test (the project's default) is
    blocking, so a failing one stops what is downstream of its model, the publish included."""
    graph = definitions.defs.resolve_asset_graph()
    specs = [
        *definitions.salesops_dbt_assets.check_specs,
        *definitions.salesops_dbt_forecast_assets.check_specs,
    ]
    assert len(specs) > 100
    assert {spec.asset_key.path[0] for spec in specs} >= {"staging", "marts"}
    assert all(spec.key in graph.asset_check_keys for spec in specs)
    blocking = [spec for spec in specs if spec.blocking]
    assert len(blocking) == len(specs), [s.key for s in specs if not s.blocking][:5]


def test_an_unset_home_is_the_repositorys_data_folder_and_looking_makes_nothing(tmp_path):
    from orchestration.resources import SalesopsHome
    from salesops.config import REPO_ROOT

    default = SalesopsHome().unmade_paths()
    assert default.home == (REPO_ROOT / "data").resolve()
    assert default.landing == default.home / "landing"
    chosen = SalesopsHome(home=str(tmp_path / "h"), landing=str(tmp_path / "in")).unmade_paths()
    assert chosen.landing == (tmp_path / "in").resolve()
    assert not (tmp_path / "h").exists()
