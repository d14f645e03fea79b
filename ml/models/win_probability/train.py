"""Win probability 赢率 (SPEC §6): gradient-boosted trees, calibrated, refitted at every month's
start on what was known then (rolling origin).

For the scoring days of month m the model is the one fitted at the origin m's first day: its
training rows are the scoring days before the origin of opportunities that had **closed
before the origin** (their outcome was known then), from days old enough that most of their
open deals had closed (:func:`training_rows`). So every prediction, past or present, is
made by a model that saw nothing after the day it scores, and every past month's predictions
are out of sample — the held-out months of the evaluation (:mod:`.evaluate`).

Calibration is scikit-learn's ``CalibratedClassifierCV`` on a frozen classifier: the trees
learn from the older rows and the calibrator from the latest ``calibration_share`` of the
training rows (by scoring day), the rows nearest to the month the model will score, so the
calibration also absorbs drift. Isotonic regression when the calibration rows hold enough
outcomes, Platt's sigmoid below that (an isotonic fit on a few hundred outcomes overfits)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, log_loss

CODE_VERSION = "wp1"
"""Bumped when the features or the training change, so stored models of the old code are not
reused (the version of ``models/win_probability/<version>/``)."""

PARAMETERS = {
    "learning_rate": 0.1,
    "max_iter": 100,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "mature_share": 0.9,
    "calibration_share": 0.25,
    "isotonic_min_rows": 2000,
    "min_mature_days": 12,
    "min_outcomes": 200,
    "min_outcomes_per_class": 30,
    "max_training_rows": 60000,
    "random_state": 42,
}
"""Fixed, not tuned on the simulator: shallow trees with a strong leaf minimum (a few thousand
outcomes a year at the demo scale), early stopping on a tenth of the rows when there are more
than 10,000. An origin needs ``min_outcomes`` closed deals with ``min_outcomes_per_class`` of
each outcome; before that no model is fitted and the months score nothing (shown, not guessed).
Above ``max_training_rows`` the training rows are a seeded random sample (memory at scale
10)."""


@dataclass
class OriginModel:
    origin: pd.Timestamp
    """The model knows outcomes closed before this day; it scores the days of its month."""
    model: CalibratedClassifierCV
    training_rows: int
    training_outcomes: int
    training_won: int
    first_day: pd.Timestamp
    last_day: pd.Timestamp
    method: str
    calibration_metrics: dict
    """Brier score and log loss on the calibration rows (the latest training rows): of the
    trees alone, which never saw them, and after calibration, which was fitted on them."""


def origins(frame: pd.DataFrame) -> list[pd.Timestamp]:
    """The first day of every month that has a scoring day."""
    months = pd.to_datetime(frame["scored_on"]).dt.to_period("M").unique()
    return sorted(p.to_timestamp() for p in months)


def training_rows(
    frame: pd.DataFrame, origin: pd.Timestamp, parameters: dict = PARAMETERS
) -> pd.DataFrame:
    """What was known at ``origin``, as labelled rows (``won`` 1/0): the scoring days before
    the origin of opportunities closed before it — from **mature** days only, days on which
    at least ``mature_share`` of the open opportunities had closed by the origin.

    A recent day's closed deals are the ones that closed fast, and in B2B those are more often
    losses than the deals still open: labelling them alone would teach the model a win rate
    that is too low (on the default world, mean predicted 61% against 72% observed). Keeping
    only mature days removes most of that censoring bias without a fixed horizon, so a world
    with year-long cycles waits longer than one with two-month cycles."""
    scored = pd.to_datetime(frame["scored_on"])
    closed = pd.to_datetime(frame["closed_on"])
    before = scored < origin
    resolved = closed.notna() & (closed < origin)
    maturity = resolved[before].groupby(scored[before]).mean()
    mature_days = maturity.index[maturity >= parameters["mature_share"]]
    rows = frame.loc[before & resolved & scored.isin(mature_days)].copy()
    rows["won"] = (rows["outcome"] == "won").astype(int)
    return rows


def _estimator(parameters: dict) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=parameters["learning_rate"],
        max_iter=parameters["max_iter"],
        max_leaf_nodes=parameters["max_leaf_nodes"],
        min_samples_leaf=parameters["min_samples_leaf"],
        l2_regularization=parameters["l2_regularization"],
        categorical_features="from_dtype",
        early_stopping="auto",
        random_state=parameters["random_state"],
    )


def fit_calibrated(
    features: pd.DataFrame,
    labels: np.ndarray,
    order: np.ndarray,
    parameters: dict = PARAMETERS,
) -> tuple[CalibratedClassifierCV, str, dict]:
    """A classifier of ``labels`` on ``features`` fitted on the rows earliest in ``order``
    and calibrated on the latest ``calibration_share`` of them; its calibration method and
    its metrics on the calibration rows."""
    ranked = np.argsort(order, kind="stable")
    cut = int(len(ranked) * (1 - parameters["calibration_share"]))
    learn, calibrate = ranked[:cut], ranked[cut:]
    classifier = _estimator(parameters).fit(features.iloc[learn], labels[learn])
    method = "isotonic" if len(calibrate) >= parameters["isotonic_min_rows"] else "sigmoid"
    model = CalibratedClassifierCV(FrozenEstimator(classifier), method=method)
    model.fit(features.iloc[calibrate], labels[calibrate])
    held = labels[calibrate]
    trees = classifier.predict_proba(features.iloc[calibrate])[:, 1]
    calibrated = model.predict_proba(features.iloc[calibrate])[:, 1]
    metrics = {
        "calibration_rows": int(len(calibrate)),
        "brier_trees_unseen": round(float(brier_score_loss(held, trees, pos_label=1)), 4),
        "log_loss_trees_unseen": round(float(log_loss(held, trees, labels=[0, 1])), 4),
        "brier_calibrated_in_sample": round(
            float(brier_score_loss(held, calibrated, pos_label=1)), 4
        ),
        "log_loss_calibrated_in_sample": round(
            float(log_loss(held, np.clip(calibrated, 1e-6, 1 - 1e-6), labels=[0, 1])), 4
        ),
    }
    return model, method, metrics


def is_sufficient(rows: pd.DataFrame, parameters: dict = PARAMETERS) -> bool:
    """Enough known at the origin to fit a model: ``min_mature_days`` mature scoring days (a
    quarter of lock days: less history mostly holds the deals that closed fast) and
    ``min_outcomes`` closed deals with ``min_outcomes_per_class`` won and lost."""
    if rows["scored_on"].nunique() < parameters["min_mature_days"]:
        return False
    outcomes = rows["opportunity_id"].nunique()
    won = rows.loc[rows["won"] == 1, "opportunity_id"].nunique()
    return (
        outcomes >= parameters["min_outcomes"]
        and min(won, outcomes - won) >= parameters["min_outcomes_per_class"]
    )


def fit_origin(
    rows: pd.DataFrame, columns: list[str], origin: pd.Timestamp, parameters: dict = PARAMETERS
) -> OriginModel:
    """The model of ``origin`` from its training rows (:func:`training_rows`)."""
    outcomes = rows["opportunity_id"].nunique()
    won = rows.loc[rows["won"] == 1, "opportunity_id"].nunique()
    if len(rows) > parameters["max_training_rows"]:
        rows = rows.sample(parameters["max_training_rows"], random_state=parameters["random_state"])
    model, method, metrics = fit_calibrated(
        rows[columns],
        rows["won"].to_numpy(),
        pd.to_datetime(rows["scored_on"]).to_numpy(),
        parameters,
    )
    scored = pd.to_datetime(rows["scored_on"])
    return OriginModel(
        origin=origin,
        model=model,
        training_rows=len(rows),
        training_outcomes=int(outcomes),
        training_won=int(won),
        first_day=scored.min(),
        last_day=scored.max(),
        method=method,
        calibration_metrics=metrics,
    )
