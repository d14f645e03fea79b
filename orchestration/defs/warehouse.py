"""The dbt project as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from salesops.config import DBT_PROJECT_DIR
from salesops.dbt_cli import INTERMEDIATE_LOGIC_TAG, build_args, dbt_executable, ensure_manifest

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
MANIFEST = ensure_manifest()


class SalesopsTranslator(DagsterDbtTranslator):
    """Groups dbt assets by their folder (staging / intermediate / marts), read from the manifest."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        dagster_meta = dbt_resource_props.get("meta", {}).get("dagster", {})
        if dagster_meta.get("group"):
            return dagster_meta["group"]
        fqn = dbt_resource_props.get("fqn", [])
        return f"warehouse_{fqn[1]}" if len(fqn) > 2 else "warehouse"


class WarehouseConfig(dg.Config):
    as_of: str | None = None
    """Build every mart as of this date (YYYY-MM-DD); empty = the latest extract date."""


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    # the intermediate models' data tests are the test suite's, not daily checks (dbt_cli.build_args)
    exclude=f"tag:{INTERMEDIATE_LOGIC_TAG}",
    dagster_dbt_translator=SalesopsTranslator(),
)
def salesops_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: WarehouseConfig
):
    """dbt build of staging → intermediate → marts, tests included."""
    yield from dbt.cli(build_args(as_of=config.as_of), context=context).stream()


dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
