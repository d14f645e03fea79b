"""Calibration on data whose probabilities are known: outcomes drawn from a known p, the
model fitted by the product's own training function, scored on fresh draws.

The world drifts, as a sales business does: the older rows the trees learn from have a lower
win rate than the latest rows and the rows scored (the intercept moves by +1.5 in log-odds).
The trees alone carry the old rate; calibrating on the latest rows
(:func:`ml.models.win_probability.train.fit_calibrated`) brings the probabilities back to the
true ones, bin by bin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss

from ml.models.win_probability.evaluate import evaluate
from ml.models.win_probability.train import PARAMETERS, fit_calibrated

ROWS = 40_000


def draw(rng: np.random.Generator, rows: int, intercept: float) -> tuple[pd.DataFrame, np.ndarray]:
    features = pd.DataFrame(
        {
            "x": rng.normal(0, 1, rows),
            "z": rng.uniform(0, 1, rows),
            "segment": pd.Categorical(rng.choice(["a", "b", "c"], rows)),
        }
    )
    segment = features["segment"].map({"a": -0.6, "b": 0.0, "c": 0.8}).astype(float).to_numpy()
    logit = intercept + 1.3 * features["x"] + 3.0 * (features["z"] - 0.5) ** 2 + segment
    return features, 1 / (1 + np.exp(-logit.to_numpy()))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(7)
    learn = int(ROWS * (1 - PARAMETERS["calibration_share"]))
    old, p_old = draw(rng, learn, intercept=-1.0)
    new, p_new = draw(rng, ROWS - learn, intercept=0.5)
    features = pd.concat([old, new], ignore_index=True)
    features["segment"] = pd.Categorical(features["segment"], categories=["a", "b", "c"])
    probability = np.concatenate([p_old, p_new])
    won = (rng.random(ROWS) < probability).astype(int)
    order = np.arange(ROWS)  # the rows in time order: the drifted ones are the latest
    model, method, metrics = fit_calibrated(features, won, order)
    test, p_true = draw(rng, 30_000, intercept=0.5)
    test["segment"] = pd.Categorical(test["segment"], categories=["a", "b", "c"])
    outcome = (rng.random(len(test)) < p_true).astype(int)
    return model, method, metrics, test, p_true, outcome


def _reliability(probability: np.ndarray, won: np.ndarray) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "scored_on": pd.Timestamp("2026-01-01"),
            "opportunity_id": np.arange(len(won)).astype(str),
            "stage": "quote",
            "tenure_cohort": "tenured",
            "won": won,
            "win_probability": probability,
            "rule_probability": np.nan,
            "crm_probability": np.nan,
            "flat_probability": 0.5,
        }
    )
    metrics, reliability = evaluate(rows)
    return metrics, reliability[(reliability["source"] == "ml") & (reliability["stage"] == "all")]


def test_calibrated_probabilities_match_the_known_ones(fitted):
    model, method, _, test, p_true, outcome = fitted
    assert method == "isotonic"  # 10,000 calibration rows
    predicted = model.predict_proba(test)[:, 1]
    assert np.mean(np.abs(predicted - p_true)) < 0.05
    assert abs(predicted.mean() - p_true.mean()) < 0.01
    # nearly as good as knowing the truth, far better than a coin flip
    oracle = brier_score_loss(outcome, p_true)
    assert brier_score_loss(outcome, predicted) - oracle < 0.01
    assert brier_score_loss(outcome, predicted) < 0.25 - 0.05
    # bin by bin (ten bins of the predicted probability, those with 1,000 rows or more): the
    # mean prediction against the mean true probability, and against the observed win rate
    _, bins = _reliability(predicted, outcome)
    bin_of = np.minimum((predicted * 10).astype(int), 9)
    true_mean = pd.Series(p_true).groupby(bin_of).mean()
    full = bins[bins["rows"] >= 1000].set_index("bin")
    assert len(full) >= 6
    assert (full["mean_probability"] - true_mean[full.index]).abs().max() < 0.06
    assert (full["mean_probability"] - full["observed_win_rate"]).abs().max() < 0.07


def test_the_trees_alone_carry_the_old_win_rate_and_calibration_removes_it(fitted):
    model, _, metrics, test, p_true, outcome = fitted
    trees = model.calibrated_classifiers_[0].estimator.predict_proba(test)[:, 1]
    calibrated = model.predict_proba(test)[:, 1]
    assert p_true.mean() - trees.mean() > 0.15  # learnt on the older, lower-rate rows
    trees_metrics, _ = _reliability(trees, outcome)
    calibrated_metrics, _ = _reliability(calibrated, outcome)

    def error(frame: pd.DataFrame) -> float:
        row = frame[
            (frame["source"] == "ml")
            & (frame["stage"] == "all")
            & (frame["tenure_cohort"] == "all")
        ]
        return float(row["calibration_error"].iloc[0])

    assert error(trees_metrics) > 0.1
    assert error(calibrated_metrics) < 0.03
    # the model card's figures on the calibration rows say the same
    assert metrics["brier_trees_unseen"] > metrics["brier_calibrated_in_sample"]
