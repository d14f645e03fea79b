"""The dynamic baseline and the challenge target on hand-made frames: contributions add up to
the baseline exactly, the floors of the challenge target hold, the seasonal index recovers a
planted calendar pattern, and an unchanged input reuses the stored models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.models.baseline.challenge import challenge_targets
from ml.models.baseline.features import DRIVERS, demand_season, lag_weights, seasonality_index
from ml.models.baseline.predict import predict_baselines
from ml.models.baseline.train import fit_origin, predict_origin, training_rows


def rep_months(months: int = 12, reps: int = 10, seed: int = 7) -> pd.DataFrame:
    """Bookings = 100 + 2 × late pipeline (thousands) + noise, every other driver noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in pd.date_range("2025-01-01", periods=months, freq="MS"):
        for rep in range(reps):
            drivers = {name: rng.normal(10, 2) for name in DRIVERS}
            drivers["cycle_days_6m"] = np.nan if rep == 0 else drivers["cycle_days_6m"]
            drivers["open_pipeline_late"] = rng.uniform(0, 100)
            rows.append(
                {
                    "rep_id": f"r{rep}",
                    "month_start": month,
                    "is_period_complete": True,
                    "committed_target": 150.0,
                    "bookings": 100 + 2 * drivers["open_pipeline_late"] + rng.normal(0, 5),
                    **drivers,
                }
            )
    return pd.DataFrame(rows)


def test_contributions_add_up_to_the_baseline_and_the_pipeline_drives_it():
    frame = rep_months()
    origin = pd.Timestamp("2025-12-01")
    rows = training_rows(frame, origin)
    assert rows["month_start"].max() == pd.Timestamp("2025-11-01")  # December not yet known
    model = fit_origin(rows, origin)
    assert model.intercept == pytest.approx(rows["bookings"].mean())
    assert model.coefficients["open_pipeline_late"] > 50
    month = frame[frame["month_start"] == origin]
    baselines, long = predict_origin(model, month)
    summed = long.groupby("rep_id")["contribution"].sum()
    parts = baselines.set_index("rep_id")
    assert np.allclose(parts["intercept"] + summed + parts["floor_adjustment"], parts["baseline"])
    assert (parts["baseline"] >= 0).all()
    assert len(long) == len(month) * len(DRIVERS)
    # the missing driver is filled with the training median: standardised value of the median
    filled = long[(long["rep_id"] == "r0") & (long["driver"] == "cycle_days_6m")]
    expected = (model.medians["cycle_days_6m"] - model.means["cycle_days_6m"]) / model.scales[
        "cycle_days_6m"
    ]
    assert filled["standardised_value"].iloc[0] == pytest.approx(expected)


def test_a_negative_sum_is_floored_and_the_floor_is_written_out():
    frame = rep_months()
    origin = pd.Timestamp("2025-12-01")
    model = fit_origin(training_rows(frame, origin), origin)
    month = frame[frame["month_start"] == origin].head(1).copy()
    month["open_pipeline_late"] = -1000.0  # far below anything seen
    baselines, long = predict_origin(model, month)
    row = baselines.iloc[0]
    assert row["baseline_unfloored"] < 0 and row["baseline"] == 0
    assert row["floor_adjustment"] == pytest.approx(-row["baseline_unfloored"])
    assert row["intercept"] + long["contribution"].sum() + row["floor_adjustment"] == pytest.approx(
        0
    )


def test_challenge_target_is_the_largest_of_committed_baseline_and_stretch():
    potentials = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c", "d"],
            "month_start": pd.to_datetime(["2026-03-01"] * 4),
            "committed_target": [100.0, 100.0, 100.0, 100.0],
            "stage_potential": [90.0, 50.0, 20.0, 20.0],
            "profile_potential": [30.0, 10.0, 0.0, 0.0],
            "lead_potential": [12.0, 0.0, 0.0, 0.0],
        }
    )
    baselines = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c"],
            "month_start": ["2026-03-01"] * 3,
            "baseline": [110.0, 125.0, 40.0],
        }
    )
    out = challenge_targets(potentials, baselines).set_index("rep_id")
    assert out["stretch_potential"].tolist() == [132.0, 60.0, 20.0, 20.0]
    assert out["challenge_target"].tolist() == [132.0, 125.0, 100.0, 100.0]
    assert out["binding_floor"].tolist() == ["stretch", "baseline", "committed", "committed"]
    assert (out["challenge_target"] >= out["committed_target"]).all()


def test_seasonal_index_recovers_a_planted_calendar_pattern():
    planted = {month: 1.0 for month in range(1, 13)} | {2: 0.6, 11: 1.3, 12: 1.3}
    months = pd.date_range("2024-01-01", periods=24, freq="MS")
    created = pd.Series(
        [200 * (1 + 0.01 * i) * planted[m.month] for i, m in enumerate(months)], index=months
    )
    season = demand_season(created, pd.Timestamp("2026-01-01"))
    assert season[2] < 0.7 and season[11] > 1.2 and season[12] > 1.2
    assert abs(season[5] - 1) < 0.1
    # too little history: no season
    assert set(demand_season(created, pd.Timestamp("2024-10-01")).values()) == {1.0}
    # the bookings month two months after a strong quarter is strong
    lags = pd.DataFrame(
        {
            "signed_month": pd.to_datetime(["2025-06-01"] * 2),
            "lag_months": [2, 2],
            "amount": [1.0, 1.0],
        }
    )
    assert lag_weights(lags, pd.Timestamp("2026-01-01"))[2] == 1.0
    assert seasonality_index(created, lags, pd.Timestamp("2026-02-01")) == pytest.approx(season[12])
    assert seasonality_index(created, lags, pd.Timestamp("2026-04-01")) == pytest.approx(season[2])


def test_an_unchanged_input_reuses_the_stored_models(tmp_path):
    frame = rep_months()
    baselines, _, stored, trained = predict_baselines(frame, tmp_path)
    assert trained == len(stored) > 0
    again, _, _, retrained = predict_baselines(frame, tmp_path)
    assert retrained == 0
    pd.testing.assert_frame_equal(baselines, again)
    changed = frame.copy()
    changed.loc[changed["month_start"] == "2025-07-01", "bookings"] += 1
    _, _, _, after_correction = predict_baselines(changed, tmp_path)
    # models of origins after the corrected month are refitted, earlier ones reused
    assert 0 < after_correction < len(stored)
    assert (tmp_path / "baseline").is_dir()
    card = next((tmp_path / "baseline").glob("*/MODEL_CARD.md")).read_text(encoding="utf-8")
    assert "Dynamic baseline" in card and "open_pipeline_late" in card
