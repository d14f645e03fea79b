"""The run-rate component against the seasonal naive forecast on a real monthly series shipped
with statsmodels: the Mauna Loa CO₂ record (weekly, 1958–2001, averaged by month), forecast one
month ahead for each of its last three years from the months before only. MASE is scaled by the
seasonal naive forecast's in-sample error (Hyndman & Koehler 2006)."""

from __future__ import annotations

import pandas as pd
import pytest
import statsmodels.api as sm

from ml.models.backtest.run_rate import run_rate_forecast, score_run_rate, seasonal_naive_forecast


@pytest.fixture(scope="module")
def co2() -> pd.Series:
    weekly = sm.datasets.co2.load_pandas().data["co2"]
    return weekly.resample("MS").mean().interpolate().loc["1980":"2001"]


def test_run_rate_beats_seasonal_naive_on_co2(co2):
    score = score_run_rate(co2, first=len(co2) - 36)
    assert score is not None and score.months == 36
    print(
        f"CO2, 36 one-step forecasts: MASE run-rate {score.mase_run_rate:.3f}, "
        f"seasonal naive {score.mase_seasonal_naive:.3f}"
    )
    assert score.mase_run_rate < 1
    assert score.mase_run_rate < score.mase_seasonal_naive / 2
    assert score.mae_run_rate < score.mae_seasonal_naive


def test_short_histories_fall_back_without_inventing_a_season():
    assert run_rate_forecast(pd.Series([], dtype=float)) == 0.0
    assert run_rate_forecast(pd.Series([3.0, 5.0, 4.0])) == pytest.approx(4.0)  # the mean
    assert seasonal_naive_forecast(pd.Series(range(11), dtype=float)) is None
    assert seasonal_naive_forecast(pd.Series(range(24), dtype=float)) == 12.0
    # a falling non-negative series is never forecast below zero
    assert run_rate_forecast(pd.Series([50.0, 40.0, 30.0, 20.0, 10.0, 1.0, 0.0])) >= 0
    assert score_run_rate(pd.Series(range(12), dtype=float)) is None
