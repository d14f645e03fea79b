"""Forecasting models (SPEC §6): thin assets between the two dbt builds — after the marts they
read, before the marts that read their predictions (the dbt source ``ml``)."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from ml.outputs import BACKTEST_TABLES, BASELINE_TABLES
from ml.outputs import WIN_PROBABILITY_TABLES as TABLES
from orchestration.defs.metadata import parquet_row_count
from orchestration.defs.warehouse.dbt import salesops_dbt_assets
from orchestration.resources import SalesopsHome
from salesops.console import STAGE_TAG
from salesops.memory import give_back

FORECASTING_GROUP = "models"
FORECASTING_STAGE = {STAGE_TAG: "forecasting"}
"""The run's console shows these models as their own stage (between the two dbt builds),
apart from the deviation-reason clustering of the same group (before the warehouse)."""
ML_PREFIX = "ml"
"""Asset key prefix; the dbt source ``ml`` points its tables at these keys."""

WIN_PROBABILITY_READS = (
    "fct_opportunity_scoring_days",
    "fct_opportunity_daily_snapshot",
    "fct_opportunity_signals_daily",
    "dim_opportunities",
    "dim_reps",
    "dim_org_units",
    "forecast_settings",
)
"""The marts (and the seed) the win-probability features read."""

BACKTEST_READS = (
    *WIN_PROBABILITY_READS,
    "fct_forecast_pipeline_lock_points",
    "int_bookings_credited",
)
"""What the backtest's model parts read: the win-probability features' marts, the lock-point
inputs and the credited bookings."""

BASELINE_READS = (
    "fct_attainment_rep_month",
    "fct_opportunity_daily_snapshot",
    "fct_lead_to_sign",
    "dim_opportunities",
    "dim_reps",
    "dim_org_units",
    "int_bookings_credited",
    "stg_crm__leads",
    "stg_crm__customers",
    "stg_crm__competitor_events",
    "stg_crm__market_events",
)
"""The models of the first dbt build the baseline drivers and the challenge target read."""

_DESCRIPTIONS = {
    "win_probabilities": (
        "Win probability 赢率: one row per open opportunity per scoring day (lock days 1/8/15/22 "
        "and as_of), from gradient-boosted trees calibrated with scikit-learn, refitted at each "
        "month's start on the outcomes known then. Models and cards: models/win_probability/."
    ),
    "win_probability_evaluation": (
        "Held-out Brier score, log loss and calibration error of the model, the rules engine, "
        "the CRM's probability and the flat default, per stage and tenure cohort."
    ),
    "forecast_backtest_components": (
        "The forecast backtest's model parts 回测模型部分: per rep × month × lock day, the open "
        "pipeline weighted by the calibrated probability of winning within the month, and the "
        "run-rate of business not yet in the pipeline (statsmodels exponential smoothing)."
    ),
    "run_rate_evaluation": (
        "The run-rate against the seasonal naive forecast: one-step-ahead MAE and MASE per lock day."
    ),
    "win_probability_reliability": (
        "Reliability table: predicted vs observed win rate in ten probability bins, per source, "
        "stage and tenure cohort."
    ),
    "baselines": (
        "Dynamic baseline 动态基线: one row per rep-month, a ridge regression of bookings on "
        "twelve drivers known on the month's first day, refitted at each month's start. "
        "Models and cards: models/baseline/."
    ),
    "baseline_contributions": (
        "Each driver's contribution to each rep-month's baseline (yuan): the baseline = "
        "intercept + Σ contributions + floor adjustment."
    ),
    "challenge_targets": (
        "Challenge target 挑战目标 per rep-month: max(committed, baseline, stage + top-3 "
        "profile + lead-quality potential)."
    ),
}


def ml_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([ML_PREFIX, table])


def model_specs(tables: tuple[str, ...], reads: tuple[str, ...], kinds: set[str]) -> list:
    """One asset per output table of a model, after the dbt models it reads."""
    deps = [get_asset_key_for_model([salesops_dbt_assets], name) for name in reads]
    return [
        dg.AssetSpec(
            ml_key(table),
            deps=deps,
            group_name=FORECASTING_GROUP,
            tags=FORECASTING_STAGE,
            kinds=kinds,
            description=_DESCRIPTIONS[table],
        )
        for table in tables
    ]


def run_model(salesops_home: SalesopsHome, score):
    """``score(con, home, models_root)`` on the build warehouse, with the memory the dbt build
    left behind given back first and what the model held given back after."""
    from ml.models.warehouse import connect_build

    give_back(everything=True)
    paths = salesops_home.paths()
    with connect_build(paths) as con:
        result = score(con, paths.home, paths.models)
    give_back()
    return result


def materializations(tables: tuple[str, ...], paths: dict, metadata: dict):
    for table in tables:
        yield dg.MaterializeResult(
            asset_key=ml_key(table),
            metadata={
                **metadata,
                **parquet_row_count(paths[table]),
                "path": dg.MetadataValue.path(str(paths[table])),
            },
        )


@dg.multi_asset(
    specs=model_specs(TABLES, WIN_PROBABILITY_READS, {"python", "scikitlearn", "parquet"})
)
def win_probabilities(context: dg.AssetExecutionContext, salesops_home: SalesopsHome):
    """Score every open opportunity on every scoring day with the calibrated win-probability
    model of its month (loaded from models/win_probability/ when its training input is
    unchanged, else trained and stored with its model card); write the predictions and their
    held-out evaluation to $SALESOPS_HOME/ml/."""
    from ml.models.win_probability.predict import (
        score_win_probabilities,  # the model code when the asset runs, not when it loads
    )

    result = run_model(salesops_home, score_win_probabilities)
    briefs = {source: result.brier(source) for source in ("ml", "rules", "crm", "flat")}
    context.log.info(
        f"{result.scored_rows} rows scored by {result.models} monthly models "
        f"({result.models_trained} trained, the rest reused) in {result.seconds:.1f} s; "
        "held-out Brier " + ", ".join(f"{k} {v:.3f}" for k, v in briefs.items() if v is not None)
    )
    yield from materializations(
        TABLES,
        result.paths,
        {
            "scored_rows": result.scored_rows,
            "models": result.models,
            "models_trained": result.models_trained,
            "months_without_model": result.months_without_model,
            "seconds": round(result.seconds, 2),
            **{f"brier_{k}": round(v, 4) for k, v in briefs.items() if v is not None},
        },
    )


@dg.multi_asset(
    specs=model_specs(
        BACKTEST_TABLES, BACKTEST_READS, {"python", "scikitlearn", "statsmodels", "parquet"}
    )
)
def forecast_backtest(context: dg.AssetExecutionContext, salesops_home: SalesopsHome):
    """The model-based methods of the forecast backtest: per rep, month and lock day, the open
    pipeline weighted by the in-month win probability (a calibrated model per month, fitted on
    the months ended before it, stored in models/backtest/) and the run-rate of business not
    yet in the pipeline; written to $SALESOPS_HOME/ml/ for fct_forecast_backtest."""
    from ml.models.backtest.predict import (
        backtest_components,  # the model code when the asset runs, not when it loads
    )

    result = run_model(salesops_home, backtest_components)
    context.log.info(
        f"{result.rep_locks} rep lock points, {result.models} monthly in-month models "
        f"({result.models_trained} trained, the rest reused) in {result.seconds:.1f} s"
    )
    yield from materializations(
        BACKTEST_TABLES,
        result.paths,
        {
            "rep_lock_points": result.rep_locks,
            "models": result.models,
            "models_trained": result.models_trained,
            "seconds": round(result.seconds, 2),
        },
    )


@dg.multi_asset(
    specs=model_specs(
        BASELINE_TABLES, BASELINE_READS, {"python", "scikitlearn", "statsmodels", "parquet"}
    )
)
def dynamic_baselines(context: dg.AssetExecutionContext, salesops_home: SalesopsHome):
    """Dynamic baseline of every rep-month with its drivers' contributions, and the challenge
    target of the dual track (models loaded from models/baseline/ when their training input is
    unchanged, else trained and stored with their model cards); written to $SALESOPS_HOME/ml/."""
    from ml.models.baseline.predict import (
        score_baselines,  # the model code when the asset runs, not when it loads
    )

    result = run_model(salesops_home, score_baselines)
    context.log.info(
        f"{result.rep_months} rep-months, {result.models} monthly models "
        f"({result.models_trained} trained, the rest reused) in {result.seconds:.1f} s"
    )
    yield from materializations(
        BASELINE_TABLES,
        result.paths,
        {
            "rep_months": result.rep_months,
            "models": result.models,
            "models_trained": result.models_trained,
            "months_without_model": result.months_without_model,
            "seconds": round(result.seconds, 2),
        },
    )
