"""Models: the deviation-reason clusters (before the warehouse, a dbt source) and the
forecasting models (between the two dbt builds)."""

import dagster as dg

from orchestration.defs.models.deviation_reasons import deviation_reason_clusters
from orchestration.defs.models.forecasting import (
    dynamic_baselines,
    forecast_backtest,
    win_probabilities,
)

defs = dg.Definitions(
    assets=[deviation_reason_clusters, win_probabilities, forecast_backtest, dynamic_baselines]
)
