"""Score every open opportunity on every scoring day, and write the predictions and their
evaluation for dbt.

For each month with scoring days: the training rows known at its origin (the month's first
day) are hashed; a model stored under that hash is loaded, otherwise one is fitted and stored
with its model card (:mod:`ml.models.store`). Past months' training rows do not change from
one day to the next, so the daily run loads their models and fits none, unless the history
itself was corrected. Outputs (``$SALESOPS_HOME/ml/``): ``win_probabilities`` (one row per
open opportunity per scoring day), ``win_probability_evaluation`` and
``win_probability_reliability`` (:mod:`.evaluate`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from ml import outputs
from ml.models.store import ModelCard, StoredModel, frame_hash, load_or_train, model_version
from ml.models.warehouse import write_output
from ml.models.win_probability.evaluate import evaluate, held_out
from ml.models.win_probability.features import build_features, feature_columns
from ml.models.win_probability.train import (
    CODE_VERSION,
    PARAMETERS,
    OriginModel,
    fit_origin,
    is_sufficient,
    origins,
    training_rows,
)

NAME = "win_probability"
PREDICTIONS = outputs.WIN_PROBABILITIES
EVALUATION = outputs.WIN_PROBABILITY_EVALUATION
RELIABILITY = outputs.WIN_PROBABILITY_RELIABILITY
TABLES = outputs.WIN_PROBABILITY_TABLES

SCHEMAS = {
    PREDICTIONS: pa.schema(
        [
            ("scored_on", pa.date32()),
            ("opportunity_id", pa.string()),
            ("win_probability", pa.float64()),
            ("model_origin", pa.date32()),
            ("model_version", pa.string()),
        ]
    ),
    EVALUATION: pa.schema(
        [
            ("source", pa.string()),
            ("stage", pa.string()),
            ("tenure_cohort", pa.string()),
            ("rows", pa.int64()),
            ("opportunities", pa.int64()),
            ("observed_win_rate", pa.float64()),
            ("mean_probability", pa.float64()),
            ("brier_score", pa.float64()),
            ("log_loss", pa.float64()),
            ("calibration_error", pa.float64()),
            ("first_scored_on", pa.date32()),
            ("last_scored_on", pa.date32()),
        ]
    ),
    RELIABILITY: pa.schema(
        [
            ("source", pa.string()),
            ("stage", pa.string()),
            ("tenure_cohort", pa.string()),
            ("bin", pa.int64()),
            ("bin_lower", pa.float64()),
            ("bin_upper", pa.float64()),
            ("rows", pa.int64()),
            ("mean_probability", pa.float64()),
            ("observed_win_rate", pa.float64()),
        ]
    ),
}


@dataclass(frozen=True)
class WinProbabilityResult:
    scored_rows: int
    models: int
    models_trained: int
    months_without_model: int
    evaluation: pd.DataFrame
    seconds: float
    paths: dict[str, Path]

    def brier(self, source: str) -> float | None:
        """Held-out Brier score of a source over all stages and cohorts."""
        rows = self.evaluation
        if rows.empty:
            return None
        hit = rows[
            (rows["source"] == source) & (rows["stage"] == "all") & (rows["tenure_cohort"] == "all")
        ]
        return float(hit["brier_score"].iloc[0]) if len(hit) else None


def _card(model: OriginModel, version: str, columns: list[str], snapshot: str) -> ModelCard:
    return ModelCard(
        name=NAME,
        version=version,
        title="Win probability 赢率模型",
        purpose=(
            "The probability that an open opportunity is won, from what was known on the "
            "scoring day (SPEC §6): gradient-boosted trees, calibrated. This model scores the "
            f"scoring days of {model.origin:%Y-%m} (its origin {model.origin:%Y-%m-%d}) and "
            "knows only outcomes closed before its origin."
        ),
        training_window={
            "origin": f"{model.origin:%Y-%m-%d}",
            "first scoring day": f"{model.first_day:%Y-%m-%d}",
            "last scoring day": f"{model.last_day:%Y-%m-%d}",
        },
        features=columns,
        data_snapshot_hash=snapshot,
        parameters={**PARAMETERS, "calibration": model.method},
        metrics={
            "training_rows": model.training_rows,
            "training_outcomes": model.training_outcomes,
            "training_won": model.training_won,
            **model.calibration_metrics,
        },
        notes=[
            "Out-of-sample figures per month, stage and tenure cohort, beside the rules "
            "engine, the CRM's probability and a flat default: marts.fct_win_probability_evaluation "
            "and marts.fct_win_probability_reliability.",
            "Training rows are the scoring days (lock days 1/8/15/22) before the origin of "
            "opportunities closed before it, from days on which at least "
            f"{PARAMETERS['mature_share']:.0%} of the open deals had closed by the origin: "
            "the latest weeks before an origin teach the model nothing yet.",
        ],
    )


def _stored_models(
    frame: pd.DataFrame, columns: list[str], models_root: Path
) -> tuple[dict[pd.Timestamp, StoredModel], int]:
    """The model of every origin with enough known outcomes, loaded or trained; and how many
    had to be trained."""
    stored, trained = {}, 0
    for origin in origins(frame):
        rows = training_rows(frame, origin)
        if not is_sufficient(rows):
            continue
        snapshot = frame_hash(rows[["scored_on", "opportunity_id", *columns, "won"]])
        version = model_version(f"{CODE_VERSION}-{origin:%Y%m}", snapshot, PARAMETERS)

        def train(rows=rows, origin=origin, version=version, snapshot=snapshot):
            model = fit_origin(rows, columns, origin)
            return model, _card(model, version, columns, snapshot)

        stored[origin] = load_or_train(models_root, NAME, version, train)
        trained += not stored[origin].reused
    return stored, trained


def _predict(
    frame: pd.DataFrame, columns: list[str], stored: dict[pd.Timestamp, StoredModel]
) -> pd.DataFrame:
    month_start = pd.to_datetime(frame["scored_on"]).dt.to_period("M").dt.to_timestamp()
    probability = np.full(len(frame), np.nan)
    origin = np.full(len(frame), None, dtype=object)
    version = np.full(len(frame), None, dtype=object)
    for start, model in stored.items():
        rows = (month_start == start).to_numpy()
        if rows.any():
            probability[rows] = model.model.model.predict_proba(frame.loc[rows, columns])[:, 1]
            origin[rows] = start.date()
            version[rows] = model.card.version
    return pd.DataFrame(
        {
            "scored_on": frame["scored_on"].to_numpy(),
            "opportunity_id": frame["opportunity_id"].to_numpy(),
            "win_probability": probability,
            "model_origin": origin,
            "model_version": version,
        }
    )


def _flat_probability(con: duckdb.DuckDBPyConnection) -> float:
    rows = con.execute(
        "select value from seeds.forecast_settings where parameter = 'default_probability'"
    ).fetchall()
    return float(rows[0][0])


def _table(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = SCHEMAS[table]
    if frame.empty:
        return schema.empty_table()
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def score_win_probabilities(
    con: duckdb.DuckDBPyConnection, home: Path, models_root: Path
) -> WinProbabilityResult:
    """Features from the build warehouse (``con``), models loaded or trained, predictions and
    their evaluation written to ``$SALESOPS_HOME/ml/``."""
    started = time.perf_counter()
    frame = build_features(con)
    columns = feature_columns(frame)
    # one thread: the trees' OpenMP threads spin when the run shares the two cores (a fit
    # took 7× longer with two threads on a loaded machine than with one)
    with threadpool_limits(1):
        stored, trained = _stored_models(frame, columns, models_root)
        predictions = _predict(frame, columns, stored)
    scored = frame.merge(predictions, on=["scored_on", "opportunity_id"])
    metrics, reliability = evaluate(held_out(scored, _flat_probability(con)))
    months = pd.to_datetime(frame["scored_on"]).dt.to_period("M").nunique()
    paths = {
        PREDICTIONS: write_output(home, PREDICTIONS, _table(predictions, PREDICTIONS)),
        EVALUATION: write_output(home, EVALUATION, _table(metrics, EVALUATION)),
        RELIABILITY: write_output(home, RELIABILITY, _table(reliability, RELIABILITY)),
    }
    return WinProbabilityResult(
        scored_rows=len(predictions),
        models=len(stored),
        models_trained=trained,
        months_without_model=months - len(stored),
        evaluation=metrics,
        seconds=time.perf_counter() - started,
        paths=paths,
    )
