"""Baseline and challenge target of every rep-month, written for dbt.

For each month: the training rep-months known at its first day are hashed; a model stored
under that hash is loaded, otherwise one is fitted and stored with its model card
(:mod:`ml.models.store`) — past months' inputs do not change from one day to the next, so the
daily run fits nothing unless history was corrected. Outputs (``$SALESOPS_HOME/ml/``):
``baselines`` (one row per rep-month with a model), ``baseline_contributions`` (one row per
rep-month × driver) and ``challenge_targets`` (one row per rep-month with a committed
target, :mod:`.challenge`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from ml import outputs
from ml.models.baseline.challenge import build_potentials, challenge_targets
from ml.models.baseline.features import DRIVERS, build_drivers
from ml.models.baseline.train import (
    CODE_VERSION,
    PARAMETERS,
    BaselineModel,
    fit_origin,
    is_sufficient,
    predict_origin,
    training_rows,
)
from ml.models.store import ModelCard, StoredModel, frame_hash, load_or_train, model_version
from ml.models.warehouse import write_output

NAME = "baseline"
BASELINES = outputs.BASELINES
CONTRIBUTIONS = outputs.BASELINE_CONTRIBUTIONS
CHALLENGES = outputs.CHALLENGE_TARGETS
TABLES = outputs.BASELINE_TABLES

SCHEMAS = {
    BASELINES: pa.schema(
        [
            ("rep_id", pa.string()),
            ("month_start", pa.date32()),
            ("baseline", pa.float64()),
            ("intercept", pa.float64()),
            ("baseline_unfloored", pa.float64()),
            ("floor_adjustment", pa.float64()),
            ("model_origin", pa.date32()),
            ("model_version", pa.string()),
        ]
    ),
    CONTRIBUTIONS: pa.schema(
        [
            ("rep_id", pa.string()),
            ("month_start", pa.date32()),
            ("driver", pa.string()),
            ("driver_value", pa.float64()),
            ("standardised_value", pa.float64()),
            ("coefficient", pa.float64()),
            ("contribution", pa.float64()),
        ]
    ),
    CHALLENGES: pa.schema(
        [
            ("rep_id", pa.string()),
            ("month_start", pa.date32()),
            ("stage_potential", pa.float64()),
            ("profile_potential", pa.float64()),
            ("profile_open_amount", pa.float64()),
            ("top_profile_count", pa.int64()),
            ("new_lead_count", pa.int64()),
            ("new_lead_quality", pa.float64()),
            ("lead_quality_factor", pa.float64()),
            ("lead_potential", pa.float64()),
            ("stretch_potential", pa.float64()),
            ("challenge_target", pa.float64()),
            ("binding_floor", pa.string()),
        ]
    ),
}


@dataclass(frozen=True)
class BaselineResult:
    rep_months: int
    models: int
    models_trained: int
    months_without_model: int
    seconds: float
    paths: dict[str, Path]
    coefficients: dict[str, float]
    """The latest model's yuan per standard deviation of each driver."""


def _card(model: BaselineModel, version: str, snapshot: str) -> ModelCard:
    return ModelCard(
        name=NAME,
        version=version,
        title="Dynamic baseline 动态基线",
        purpose=(
            "The bookings a rep can be expected to sign in a month, from twelve drivers known "
            "on the month's first day (SPEC §6), each with its contribution: baseline = "
            "intercept + Σ coefficient × standardised driver (+ a floor adjustment that keeps "
            f"it ≥ 0). Ridge regression (scikit-learn) refitted for {model.origin:%Y-%m} on the "
            "rep-months that ended before it; the seasonality driver is a statsmodels OLS "
            "seasonal index of new-opportunity creation carried into bookings by the "
            "creation-to-signing lag."
        ),
        training_window={
            "origin": f"{model.origin:%Y-%m-%d}",
            "first month": f"{model.first_month:%Y-%m}",
            "last month": f"{model.last_month:%Y-%m}",
        },
        features=list(model.drivers),
        data_snapshot_hash=snapshot,
        parameters=PARAMETERS,
        metrics={
            "training_rows": model.training_rows,
            "r2_in_sample": round(model.r2_in_sample, 4),
            "intercept": round(model.intercept, 2),
            "coefficients_yuan_per_sd": {k: round(v, 2) for k, v in model.coefficients.items()},
        },
        notes=[
            "Contributions per rep-month and driver: marts.fct_dynamic_baseline_contributions; "
            "roll-ups: marts.fct_dynamic_baseline_unit_month.",
            "Challenge target (dual track 双轨) = max(committed target, baseline, stage potential "
            "+ top-3 profile potential + lead-quality potential): ml/models/baseline/challenge.py "
            "and marts.fct_dual_track_rep_month.",
        ],
    )


def _stored_models(frame: pd.DataFrame, models_root: Path) -> tuple[dict, int]:
    stored: dict[pd.Timestamp, StoredModel] = {}
    trained = 0
    for origin in sorted(frame["month_start"].unique()):
        origin = pd.Timestamp(origin)
        rows = training_rows(frame, origin)
        if not is_sufficient(rows):
            continue
        snapshot = frame_hash(
            rows[["rep_id", "month_start", *DRIVERS, "bookings"]].reset_index(drop=True)
        )
        version = model_version(f"{CODE_VERSION}-{origin:%Y%m}", snapshot, PARAMETERS)

        def train(rows=rows, origin=origin, version=version, snapshot=snapshot):
            model = fit_origin(rows, origin)
            return model, _card(model, version, snapshot)

        stored[origin] = load_or_train(models_root, NAME, version, train)
        trained += not stored[origin].reused
    return stored, trained


def _table(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = SCHEMAS[table]
    if frame.empty:
        return schema.empty_table()
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def predict_baselines(
    frame: pd.DataFrame, models_root: Path
) -> tuple[pd.DataFrame, pd.DataFrame, dict, int]:
    """Baselines and contributions of every rep-month whose month has a model."""
    stored, trained = _stored_models(frame, models_root)
    baselines, contributions = [], []
    for origin, model in stored.items():
        rows = frame[frame["month_start"] == origin]
        if rows.empty:
            continue
        one, long = predict_origin(model.model, rows)
        one["model_origin"] = origin.date()
        one["model_version"] = model.card.version
        baselines.append(one)
        contributions.append(long)
    empty = pd.DataFrame(columns=SCHEMAS[BASELINES].names)
    return (
        pd.concat(baselines, ignore_index=True) if baselines else empty,
        pd.concat(contributions, ignore_index=True)
        if contributions
        else pd.DataFrame(columns=SCHEMAS[CONTRIBUTIONS].names),
        stored,
        trained,
    )


def score_baselines(
    con: duckdb.DuckDBPyConnection, home: Path, models_root: Path
) -> BaselineResult:
    """Drivers from the build warehouse (``con``), models loaded or trained, baselines,
    contributions and challenge targets written to ``$SALESOPS_HOME/ml/``."""
    started = time.perf_counter()
    # the event extracts' staging views read bronze files relative to the home
    con.execute(f"set file_search_path = '{home}'")
    frame = build_drivers(con)
    with threadpool_limits(1):
        baselines, contributions, stored, trained = predict_baselines(frame, models_root)
    challenges = challenge_targets(build_potentials(con), baselines)
    paths = {
        BASELINES: write_output(home, BASELINES, _table(baselines, BASELINES)),
        CONTRIBUTIONS: write_output(home, CONTRIBUTIONS, _table(contributions, CONTRIBUTIONS)),
        CHALLENGES: write_output(home, CHALLENGES, _table(challenges, CHALLENGES)),
    }
    latest = stored[max(stored)].model.coefficients if stored else {}
    return BaselineResult(
        rep_months=len(frame),
        models=len(stored),
        models_trained=trained,
        months_without_model=frame["month_start"].nunique() - len(stored),
        seconds=time.perf_counter() - started,
        paths=paths,
        coefficients=latest,
    )
