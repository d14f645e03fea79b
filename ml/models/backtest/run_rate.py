"""Run-rate 新增业务趋势 for business not yet in the pipeline: next month's value of a monthly
series from its past, with statsmodels' exponential smoothing, and its accuracy against the
seasonal naive forecast (the same month a year earlier) as MASE.

The series the backtest forecasts is, per lock day, the company's bookings in a month from
deals that were not open on that month's lock day (created after it): what no pipeline-based
forecast can see. With two full years of history the model is Holt-Winters (additive damped
trend, additive seasonality of 12 months); with less, a damped-trend model without season;
with under 6 months, the mean of what there is."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing

SEASON = 12
MIN_SEASONAL = 2 * SEASON
MIN_TREND = 6


def run_rate_forecast(history: pd.Series) -> float:
    """One step ahead: the next month's value of ``history`` (monthly, oldest first, no
    gaps), never below 0 when the series never was."""
    values = history.astype(float).to_numpy()
    if len(values) == 0:
        return 0.0
    if len(values) < MIN_TREND:
        forecast = float(values.mean())
    else:
        seasonal = len(values) >= MIN_SEASONAL
        model = ExponentialSmoothing(
            values,
            trend="add",
            damped_trend=True,
            seasonal="add" if seasonal else None,
            seasonal_periods=SEASON if seasonal else None,
            initialization_method="estimated",
        )
        with warnings.catch_warnings():
            # short, noisy series: the optimiser's convergence warnings are expected here,
            # and the forecast is scored against the seasonal naive one below
            warnings.simplefilter("ignore")
            forecast = float(model.fit().forecast(1)[0])
    if (values >= 0).all():
        forecast = max(forecast, 0.0)
    return forecast


def seasonal_naive_forecast(history: pd.Series) -> float | None:
    """The value of the same month a year earlier; None with less than a year of history."""
    if len(history) < SEASON:
        return None
    return float(history.iloc[-SEASON])


@dataclass(frozen=True)
class RunRateScore:
    months: int
    """Months forecast one step ahead (each from the months before it only)."""
    mae_run_rate: float
    mae_seasonal_naive: float
    mase_run_rate: float
    mase_seasonal_naive: float
    """MASE: mean absolute error ÷ the in-sample mean absolute error of the seasonal naive
    forecast on the months before the first one scored (Hyndman & Koehler 2006); below 1
    is better than the naive forecast did in sample."""


def score_run_rate(series: pd.Series, first: int = MIN_SEASONAL) -> RunRateScore | None:
    """Rolling-origin one-step forecasts of ``series`` from index ``first`` on, scored
    against the seasonal naive forecast of the same months. None when there is no month
    to score or the scale is zero."""
    values = series.astype(float).reset_index(drop=True)
    if len(values) <= first or first < SEASON + 1:
        return None
    errors, naive_errors = [], []
    for t in range(first, len(values)):
        past = values.iloc[:t]
        errors.append(abs(run_rate_forecast(past) - values.iloc[t]))
        naive_errors.append(abs(seasonal_naive_forecast(past) - values.iloc[t]))
    train = values.iloc[:first].to_numpy()
    scale = np.mean(np.abs(train[SEASON:] - train[:-SEASON]))
    if not scale > 0:
        return None
    return RunRateScore(
        months=len(errors),
        mae_run_rate=float(np.mean(errors)),
        mae_seasonal_naive=float(np.mean(naive_errors)),
        mase_run_rate=float(np.mean(errors) / scale),
        mase_seasonal_naive=float(np.mean(naive_errors) / scale),
    )
