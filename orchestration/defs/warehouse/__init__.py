"""Warehouse: the dbt project (staging → intermediate → marts) in two builds, its data tests as
asset checks."""

import dagster as dg

from orchestration.defs.warehouse.dbt import (
    dbt_resource,
    salesops_dbt_assets,
    salesops_dbt_forecast_assets,
)

defs = dg.Definitions(
    assets=[salesops_dbt_assets, salesops_dbt_forecast_assets],
    resources={"dbt": dbt_resource},
)
