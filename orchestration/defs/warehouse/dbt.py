"""The dbt project as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from functools import cached_property
from importlib.metadata import version
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import SalesopsHome, environment
from salesops.config import DBT_PROJECT_DIR
from salesops.dbt_cli import INTERMEDIATE_LOGIC_TAG, build_args, dbt_executable, parsed_manifest
from salesops.dbt_exec import SEED_TESTS
from salesops.memory import give_back

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
    dagster_dbt_translator=SalesopsTranslator(),
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
    dagster_dbt_translator=SalesopsTranslator(),
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
    # with: given from the run's settings, for the launch only
    with environment(salesops_home.dbt_environment()):
        invocation = dbt.cli(build_args(as_of=config.as_of), context=context)
    yield from invocation.stream()


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
