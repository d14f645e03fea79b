"""The dynamic baseline on the three planted worlds: the drivers move the baseline in the
direction the simulator planted.

- Seasonality: the simulator plants a calendar pattern of new-opportunity intensity
  (``truth["events"]["seasonality"]``, read here, never in product code). Bookings follow
  creation by the deal cycle, so the planted pattern seen in a bookings month is the planted
  factors of the months before it weighted by the creation-to-signing lag (weighted here over
  the whole history, independently of the product's trailing-year weights). The estimated seasonality index must follow that planted index, and
  the seasonal contribution must be higher in the months fed by the planted high season than
  in those fed by the low one.
- Pipeline: more late-stage open pipeline at the month's start raises the baseline in every
  monthly model.

The figures per world are printed (``-s``) for the issue note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.models.baseline.challenge import build_potentials, challenge_targets
from ml.models.baseline.features import SEASON_LAGS, build_drivers, signing_lags
from ml.models.baseline.predict import predict_baselines
from ml.models.warehouse import connect_build
from salesops.config import Paths

WORLDS = ("default", "alt", "field")


def scored(world, models_root):
    paths = Paths(home=world.home)
    with connect_build(paths) as con:
        con.execute(f"set file_search_path = '{world.home}'")
        frame = build_drivers(con)
        lags = signing_lags(con)
        baselines, contributions, stored, _ = predict_baselines(frame, models_root)
        challenges = challenge_targets(build_potentials(con), baselines)
    return frame, lags, baselines, contributions, stored, challenges


def history_lag_weights(lags: pd.DataFrame) -> np.ndarray:
    """Share of all signed amount by months from creation to signing (0 … SEASON_LAGS − 1,
    the rest in the last), over the whole history: the test's own weighting, not the
    product's trailing-year one (:func:`ml.models.baseline.features.lag_weights`)."""
    lag = lags["lag_months"].clip(0, SEASON_LAGS - 1).astype(int).to_numpy()
    weights = np.bincount(
        lag, weights=lags["amount"].astype(float).to_numpy(), minlength=SEASON_LAGS
    )
    return weights / weights.sum()


def planted_index(truth: dict, weights: np.ndarray, month: pd.Timestamp) -> float:
    season = {int(k): float(v) for k, v in truth["events"]["seasonality"].items()}
    months = [(month - pd.DateOffset(months=lag)).month for lag in range(SEASON_LAGS)]
    return float(sum(w * season[m] for w, m in zip(weights, months, strict=True)))


@pytest.mark.parametrize("name", WORLDS)
def test_drivers_move_the_baseline_in_the_planted_direction(planted_world, name, tmp_path):
    world = planted_world(name)
    frame, lags, baselines, contributions, stored, challenges = scored(world, tmp_path)
    assert len(stored) >= 12

    # seasonality: estimated index follows the planted one where a season is estimated
    months = frame.groupby("month_start")["seasonality_index"].first()
    estimated = months[months != 1.0]
    assert len(estimated) >= 8
    weights = history_lag_weights(lags)
    planted = pd.Series({m: planted_index(world.truth, weights, m) for m in estimated.index})
    correlation = float(np.corrcoef(estimated, planted)[0, 1])
    latest = stored[max(stored)].model
    seasonal = contributions[contributions["driver"] == "seasonality_index"].copy()
    seasonal["planted"] = pd.to_datetime(seasonal["month_start"]).map(planted)
    seasonal = seasonal.dropna(subset=["planted"])
    by_month = seasonal.groupby("month_start").agg(
        contribution=("contribution", "mean"), planted=("planted", "first")
    )
    high = by_month[by_month["planted"] >= by_month["planted"].quantile(2 / 3)][
        "contribution"
    ].mean()
    low = by_month[by_month["planted"] <= by_month["planted"].quantile(1 / 3)][
        "contribution"
    ].mean()

    # pipeline: positive in every monthly model
    late = [s.model.coefficients["open_pipeline_late"] for s in stored.values()]
    early = [s.model.coefficients["open_pipeline_early"] for s in stored.values()]

    gaps = (challenges["challenge_target"] - challenges["committed_target"]) / challenges[
        "committed_target"
    ]
    print(
        f"\n{name}: season corr {correlation:.2f}, seasonality coef {latest.coefficients['seasonality_index']:.0f}"
        f" yuan/sd, seasonal contribution high {high:.0f} vs low {low:.0f};"
        f" late pipeline coef min {min(late):.0f} max {max(late):.0f}, early min {min(early):.0f}"
        f" max {max(early):.0f}; gap quartiles {gaps.quantile([0.25, 0.5, 0.75]).round(3).tolist()},"
        f" alert share {(gaps > 0.20).mean():.3f}; binding {challenges['binding_floor'].value_counts().to_dict()}"
    )
    print(by_month.round(3).to_string())
    assert correlation > 0.5
    # the coefficient is not asserted month by month: the open pipeline at the month's start
    # already carries much of the season (alt's latest model gives the index a small negative
    # weight); over the out-of-sample months the seasonal contribution follows the planted one
    assert high > low
    assert min(late) > 0
    assert (challenges["challenge_target"] >= challenges["committed_target"]).all()
    with_baseline = challenges.dropna(subset=["baseline"])
    assert (with_baseline["challenge_target"] >= with_baseline["baseline"]).all()
