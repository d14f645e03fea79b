"""The dbt project as Dagster assets; its data tests are their asset checks (dagster-dbt's
translator setting, on by default and set here so it stays on): an error-severity test is a
blocking check, and a failing one fails the dbt build's step, so nothing downstream (the
forecasting models, the publish) runs."""

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cache, cached_property
from importlib.metadata import version
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from orchestration.defs.metadata import ROW_COUNT
from orchestration.resources import SalesopsHome
from salesops import failpoints
from salesops.config import DBT_PROJECT_DIR, SPARK_TARGET, dbt_target
from salesops.dbt_cli import (
    INTERMEDIATE_LOGIC_TAG,
    build_args,
    dbt_executable,
    next_build_folder,
    parsed_manifest,
)
from salesops.dbt_exec import SEED_TESTS
from salesops.memory import give_back
from salesops.spark_export import export_spark_build

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
MANIFEST = parsed_manifest()
"""Read from the current parse, never parsed here: loading the definitions starts no dbt
(``salesops run``/``serve`` parse first when the project changed; dbt_cli.parsed_manifest)."""


WAREHOUSE_GROUP = "warehouse"


class SalesopsTranslator(DagsterDbtTranslator):
    """Every dbt node in the ``warehouse`` group (a model's ``meta.dagster.group`` may say
    otherwise); its folder (seeds / staging / intermediate / marts) is its key's prefix."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        dagster_meta = dbt_resource_props.get("meta", {}).get("dagster", {})
        return dagster_meta.get("group") or WAREHOUSE_GROUP


TRANSLATOR = SalesopsTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class WarehouseConfig(dg.Config):
    as_of: str | None = None
    """Build every mart as of this date (YYYY-MM-DD); empty = the latest extract date."""


DAILY_EXCLUDE = f"tag:{INTERMEDIATE_LOGIC_TAG} {SEED_TESTS}"
"""The intermediate models' data tests are the test suite's and the seeds' run at parse, not
daily checks (dbt_cli.build_args)."""
AFTER_MODELS = "source:ml+"
"""The models that read the forecasting models' outputs (the dbt source ``ml``): built by a
second dbt build, after the forecasting assets, which read the marts of the first."""


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    exclude=f"{DAILY_EXCLUDE} {AFTER_MODELS}",
    dagster_dbt_translator=TRANSLATOR,
)
def salesops_dbt_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    salesops_home: SalesopsHome,
    config: WarehouseConfig,
):
    """dbt build of staging → intermediate → marts, tests included (all but the marts that read
    the forecasting models' outputs)."""
    give_back(everything=True)  # what the ingest, checks and signals freed, before dbt starts
    yield from _build(context, dbt, salesops_home, config)


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    select=AFTER_MODELS,
    exclude=DAILY_EXCLUDE,
    dagster_dbt_translator=TRANSLATOR,
)
def salesops_dbt_forecast_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    salesops_home: SalesopsHome,
    config: WarehouseConfig,
):
    """dbt build of the models that read the forecasting models' predictions (staging/ml and
    the marts on them), tests included."""
    yield from _build(context, dbt, salesops_home, config)


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    salesops_home: SalesopsHome,
    config: WarehouseConfig,
):
    # the dbt profile reads the home and the memory budget from the environment dbt starts
    # with: the run's settings (SalesopsHome holds them there while the run lasts)
    paths = salesops_home.paths()
    # dbt's log and artifacts in the home, the last few builds' (dagster-dbt's default, a new
    # folder per build under the dbt project, grew by ~25 MB a run and was never cleared)
    target = next_build_folder(paths.dbt_builds, context.op_execution_context.op.name, context.run.run_id)
    context.log.info(f"dbt's log and artifacts dbt 日志与产物: {target}")
    invocation = dbt.cli(build_args(as_of=config.as_of), context=context, target_path=target)
    # dbt's lines reach the log (and the run's stage line) as dbt prints them; its events wait
    # for dbt to end, so that each materialization carries its table's row count, read from
    # the warehouse file dbt no longer holds
    events, failure = [], None
    try:
        for n, event in enumerate(invocation.stream(), 1):
            events.append(event)
            failpoints.reach("dbt", n)  # the fault tests' kill during the dbt build
    except DagsterDbtCliRuntimeError as exc:  # a failed node or test: its events still count
        failure = exc
    if failure is None and dbt_target() == SPARK_TARGET:
        # the readers' warehouse: the Spark build's tables, copied into build.duckdb
        rows = export_spark_build(paths, MANIFEST)
        context.log.info(f"Exported {len(rows)} tables of the Spark build into {paths.build_db}")
    else:
        rows = table_rows(paths.build_db)
    yield from with_row_counts(events, rows)
    if failure is not None:
        raise failure


@cache
def _relations() -> dict[str, tuple[str, str]]:
    """dbt unique id → (schema, relation name), from the current parse."""
    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"]
    return {
        unique_id: (node["schema"], node.get("alias") or node["name"])
        for unique_id, node in nodes.items()
        if node.get("resource_type") in ("model", "seed", "snapshot")
    }


def table_rows(build_db) -> dict[tuple[str, str], int]:
    """(schema, table) → rows of every table in the build warehouse: DuckDB's stored count,
    one catalog query (views are not counted: counting one would run it)."""
    if not build_db.exists():
        return {}
    # no extension downloads, as every connection of a run (salesops.config.duckdb_config)
    config = {"autoinstall_known_extensions": "false"}
    with duckdb.connect(str(build_db), read_only=True, config=config) as con:
        rows = con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables()"
        ).fetchall()
    return {(schema, name): int(size) for schema, name, size in rows}


def with_row_counts(events: Iterable, rows: Mapping[tuple[str, str], int]) -> Iterator:
    """Each materialization of a table with ``dagster/row_count``; other events unchanged."""
    for event in events:
        unique_id = event.metadata.get("unique_id") if isinstance(event, dg.Output) else None
        relation = _relations().get(getattr(unique_id, "value", unique_id)) if unique_id else None
        if relation in rows:
            event = event.with_metadata({**event.metadata, ROW_COUNT: rows[relation]})
        yield event


class SalesopsDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two start-up costs this project has no use for
    (about 5 s of every run, measured with py-spy on a small run):

    - the dbt version, which dagster-dbt learns by running ``dbt --version`` in a subprocess
      (a second dbt start-up), is the installed dbt-core's: the executable is ``salesops-dbt``,
      dbt-core's own command line in this environment;
    - an in-process dbt adapter, which dagster-dbt opens only to fetch row counts and column
      metadata when asked (``.fetch_row_counts()`` / ``.fetch_column_metadata()``); the
      warehouse asset never asks, and dagster-dbt runs on without one when it cannot be made.

    ``tests/orchestration/test_warehouse_resource.py`` fails if dagster-dbt renames either."""

    @cached_property
    def _cli_version(self):
        from packaging.version import parse

        return parse(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


dbt_resource = SalesopsDbtCli(project_dir=dbt_project, dbt_executable=dbt_executable())
