"""Dynamic baseline 动态基线 (SPEC §6): a ridge regression of rep-month bookings on the
standardised drivers (:mod:`.features`), refitted at every month's start on the complete
rep-months before it (rolling origin).

The model of month m is fitted on the rep-months that **ended before m** (their bookings were
known on m's first day), so every baseline is out of sample. Drivers are filled with the
training rows' medians and standardised with their means and standard deviations; then

    baseline_raw = intercept + Σ_k coefficient_k × (driver_k − mean_k) ÷ sd_k

where the intercept is the mean bookings of the training rep-months (ridge centres the data).
Each term is a driver's **contribution** 贡献 in yuan: how far the driver moves this rep-month
above or below an average rep-month. A baseline is never negative: ``floor_adjustment`` =
max(0, −baseline_raw) is added and written out, so intercept + Σ contributions +
floor_adjustment = baseline exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from ml.models.baseline.features import DRIVERS

CODE_VERSION = "bl1"
"""Bumped when the drivers or the fit change, so stored models of old code are not reused."""

PARAMETERS = {
    "alpha": 10.0,
    "min_training_months": 6,
    "min_training_rows": 60,
}
"""Fixed, not tuned on the simulator: a mild ridge penalty on standardised drivers (a few
hundred rep-months a year; some drivers move together, e.g. pipeline and coverage); a model
needs six complete months of history (the trailing windows of the drivers) and sixty
rep-months."""


@dataclass
class BaselineModel:
    origin: pd.Timestamp
    """The model knows bookings of months ended before this day; it predicts this month."""
    drivers: list[str]
    medians: dict[str, float]
    means: dict[str, float]
    scales: dict[str, float]
    coefficients: dict[str, float]
    """Yuan per standard deviation of the driver."""
    intercept: float
    training_rows: int
    first_month: pd.Timestamp
    last_month: pd.Timestamp
    r2_in_sample: float

    def standardised(self, frame: pd.DataFrame) -> pd.DataFrame:
        filled = frame[self.drivers].astype(float).fillna(self.medians)
        return (filled - pd.Series(self.means)) / pd.Series(self.scales)

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Yuan contribution of every driver to every row (same index and driver columns)."""
        return self.standardised(frame) * pd.Series(self.coefficients)


def training_rows(frame: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
    """The rep-months that ended before ``origin``, with bookings."""
    month = pd.to_datetime(frame["month_start"])
    ended = (month + pd.DateOffset(months=1)) <= origin
    return frame.loc[
        ended & frame["is_period_complete"].fillna(False).astype(bool) & frame["bookings"].notna()
    ].copy()


def is_sufficient(rows: pd.DataFrame, parameters: dict = PARAMETERS) -> bool:
    return (
        rows["month_start"].nunique() >= parameters["min_training_months"]
        and len(rows) >= parameters["min_training_rows"]
    )


def fit_origin(
    rows: pd.DataFrame, origin: pd.Timestamp, parameters: dict = PARAMETERS
) -> BaselineModel:
    """The baseline model of ``origin`` from its training rows (:func:`training_rows`)."""
    drivers = list(DRIVERS)
    raw = rows[drivers].astype(float)
    medians = raw.median().fillna(0.0)
    filled = raw.fillna(medians)
    means = filled.mean()
    spread = filled.std(ddof=0).fillna(0.0)
    # a driver constant over the training rows (no season known yet) carries no information:
    # scale 1 keeps it at coefficient 0 instead of dividing by a rounding error
    scales = spread.where(spread > 1e-9 * np.maximum(1.0, means.abs()), 1.0)
    standardised = (filled - means) / scales
    target = rows["bookings"].astype(float).to_numpy()
    ridge = Ridge(alpha=parameters["alpha"]).fit(standardised.to_numpy(), target)
    month = pd.to_datetime(rows["month_start"])
    return BaselineModel(
        origin=origin,
        drivers=drivers,
        medians={k: float(v) for k, v in medians.items()},
        means={k: float(v) for k, v in means.items()},
        scales={k: float(v) for k, v in scales.items()},
        coefficients={k: float(v) for k, v in zip(drivers, ridge.coef_, strict=True)},
        intercept=float(ridge.intercept_),
        training_rows=len(rows),
        first_month=month.min(),
        last_month=month.max(),
        r2_in_sample=float(ridge.score(standardised.to_numpy(), target)),
    )


def predict_origin(model: BaselineModel, rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Baselines and contributions of ``rows`` (the rep-months of the model's month): one row
    per rep-month (intercept, raw sum, floor adjustment, baseline) and one per rep-month ×
    driver (value, standardised value, contribution)."""
    contributions = model.contributions(rows)
    raw = model.intercept + contributions.sum(axis=1)
    floor = np.maximum(0.0, -raw)
    baselines = pd.DataFrame(
        {
            "rep_id": rows["rep_id"].to_numpy(),
            "month_start": pd.to_datetime(rows["month_start"]).dt.date.to_numpy(),
            "intercept": model.intercept,
            "baseline_unfloored": raw.to_numpy(),
            "floor_adjustment": floor.to_numpy(),
            "baseline": (raw + floor).to_numpy(),
        }
    )
    standardised = model.standardised(rows)
    long = contributions.assign(rep_id=rows["rep_id"], month_start=rows["month_start"]).melt(
        id_vars=["rep_id", "month_start"], var_name="driver", value_name="contribution"
    )
    values = rows[["rep_id", "month_start", *model.drivers]].melt(
        id_vars=["rep_id", "month_start"], var_name="driver", value_name="driver_value"
    )
    z = standardised.assign(rep_id=rows["rep_id"], month_start=rows["month_start"]).melt(
        id_vars=["rep_id", "month_start"], var_name="driver", value_name="standardised_value"
    )
    keys = ["rep_id", "month_start", "driver"]
    long = long.merge(values, on=keys).merge(z, on=keys)
    long["coefficient"] = long["driver"].map(model.coefficients)
    long["month_start"] = pd.to_datetime(long["month_start"]).dt.date
    return baselines, long
