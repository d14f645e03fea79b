"""The forecast backtest's model-based parts 预测回测 (SPEC §6): per rep, month and lock day, the
open pipeline weighted by the model's probability that each deal is **won within the month**,
and a run-rate for the business not yet in the pipeline. dbt adds them to the bookings to date
and scores every method (fct_forecast_backtest).

In-month model: the win-probability features of each open deal on the lock day, with how many
days of the month are left and whether the expected close date falls in the month; the label
is "won by the month's end". A model fitted at the first day of month m learns from the lock
days of the months before m, whose labels were all known by then (no deal of an ended month
is still waiting for its label), with the same calibrated trees as the win probability
(:func:`ml.models.win_probability.train.fit_origin`, with the same sufficiency rule) and the
same store: an unchanged
training input reuses the stored model.

Run-rate: per lock day, the company's bookings in each month from deals not open on that
month's lock day; next month's value from the months before it (:mod:`.run_rate`), shared
among the reps by their share of such bookings over the six months before (all reps alike
while nobody has any)."""

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
from ml.models.backtest.run_rate import MIN_SEASONAL, run_rate_forecast, score_run_rate
from ml.models.store import ModelCard, frame_hash, load_or_train, model_version
from ml.models.warehouse import write_output
from ml.models.win_probability.features import build_features, feature_columns
from ml.models.win_probability.train import PARAMETERS, OriginModel, fit_origin, is_sufficient

NAME = "backtest"
CODE_VERSION = "im2"
COMPONENTS = outputs.BACKTEST_COMPONENTS
RUN_RATE_SCORES = outputs.RUN_RATE_EVALUATION
TABLES = outputs.BACKTEST_TABLES
SHARE_MONTHS = 6

SCHEMAS = {
    COMPONENTS: pa.schema(
        [
            ("rep_id", pa.string()),
            ("period", pa.string()),
            ("lock_day", pa.int64()),
            ("model_weighted_amount", pa.float64()),
            ("run_rate_amount", pa.float64()),
            ("model_version", pa.string()),
        ]
    ),
    RUN_RATE_SCORES: pa.schema(
        [
            ("lock_day", pa.int64()),
            ("months", pa.int64()),
            ("mae_run_rate", pa.float64()),
            ("mae_seasonal_naive", pa.float64()),
            ("mase_run_rate", pa.float64()),
            ("mase_seasonal_naive", pa.float64()),
        ]
    ),
}

_NEW_BUSINESS_SQL = """
with

locks as (

    select rep_id, period, lock_day, lock_date, booked_amount, booked_to_date
    from marts.fct_forecast_pipeline_lock_points
    where is_period_complete

),

open_on_lock as (

    select distinct opportunity_id, period, lock_day
    from marts.fct_opportunity_scoring_days
    where lock_day is not null

),

pipeline_bookings as (

    select
        locks.rep_id,
        locks.period,
        locks.lock_day,
        sum(bookings.amount) as amount
    from locks
    inner join intermediate.int_bookings_credited as bookings
        on bookings.rep_id = locks.rep_id
        and bookings.period = locks.period
        and bookings.signed_on > locks.lock_date
    inner join open_on_lock
        on open_on_lock.opportunity_id = bookings.opportunity_id
        and open_on_lock.period = locks.period
        and open_on_lock.lock_day = locks.lock_day
    group by locks.rep_id, locks.period, locks.lock_day

)

select
    locks.rep_id,
    locks.period,
    locks.lock_day,
    locks.booked_amount - locks.booked_to_date - coalesce(pipeline_bookings.amount, 0) as new_business
from locks
left join pipeline_bookings
    on pipeline_bookings.rep_id = locks.rep_id
    and pipeline_bookings.period = locks.period
    and pipeline_bookings.lock_day = locks.lock_day
"""


@dataclass(frozen=True)
class BacktestResult:
    rep_locks: int
    models: int
    models_trained: int
    run_rate_scores: pd.DataFrame
    seconds: float
    paths: dict[str, Path]


def in_month_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The lock-day rows with the in-month label (``won``: won on or before the
    month's last day) and the two timing features."""
    rows = frame.loc[frame["lock_day"].notna()].copy()
    scored = pd.to_datetime(rows["scored_on"])
    month_end = scored.dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    closed = pd.to_datetime(rows["closed_on"])
    rows["won"] = ((rows["outcome"] == "won") & (closed <= month_end)).astype(int)
    rows["days_left_in_month"] = (month_end - scored).dt.days.astype(float)
    expected = rows["days_to_expected_close"]
    rows["expected_close_in_month"] = (
        expected.notna() & (expected >= 0) & (expected <= rows["days_left_in_month"])
    ).astype(float)
    return rows


def in_month_columns(frame: pd.DataFrame) -> list[str]:
    return [*feature_columns(frame), "days_left_in_month", "expected_close_in_month"]


def _card(model: OriginModel, version: str, columns: list[str], snapshot: str) -> ModelCard:
    return ModelCard(
        name=NAME,
        version=version,
        title="Forecast backtest: in-month win probability 回测：当月赢单概率",
        purpose=(
            "The probability that a deal open on a lock day is won by the end of that month: "
            "the model-based pipeline of the forecast backtest (SPEC §6). This model scores the "
            f"lock days of {model.origin:%Y-%m} and knows only months that ended before it."
        ),
        training_window={
            "origin": f"{model.origin:%Y-%m-%d}",
            "first lock day": f"{model.first_day:%Y-%m-%d}",
            "last lock day": f"{model.last_day:%Y-%m-%d}",
        },
        features=columns,
        data_snapshot_hash=snapshot,
        parameters={**PARAMETERS, "calibration": model.method},
        metrics={
            "training_rows": model.training_rows,
            "training_outcomes": model.training_outcomes,
            "won_in_month": model.training_won,
            **model.calibration_metrics,
        },
    )


def _model_weighted(frame: pd.DataFrame, models_root: Path) -> tuple[pd.DataFrame, int, int]:
    rows = in_month_rows(frame)
    columns = in_month_columns(rows)
    month = pd.to_datetime(rows["scored_on"]).dt.to_period("M").dt.to_timestamp()
    rows["probability"] = np.nan
    rows["model_version"] = None
    models = trained = 0
    for origin in sorted(month.unique()):
        # every label of an ended month is known at the origin: all its lock days train
        training = rows.loc[month < origin]
        if not is_sufficient(training):
            continue
        snapshot = frame_hash(training[["scored_on", "opportunity_id", *columns, "won"]])
        version = model_version(f"{CODE_VERSION}-{origin:%Y%m}", snapshot, PARAMETERS)

        def train(training=training, origin=origin, version=version, snapshot=snapshot):
            model = fit_origin(training, columns, origin)
            return model.model, _card(model, version, columns, snapshot)

        stored = load_or_train(models_root, NAME, version, train)
        models += 1
        trained += not stored.reused
        scoring = (month == origin).to_numpy()
        rows.loc[scoring, "probability"] = stored.model.predict_proba(rows.loc[scoring, columns])[
            :, 1
        ]
        rows.loc[scoring, "model_version"] = version
    rows["weighted"] = rows["amount"].fillna(0) * rows["probability"]
    summed = (
        rows.loc[rows["probability"].notna()]
        .groupby(["owner_rep_id", "period", "lock_day"], as_index=False)
        .agg(model_weighted_amount=("weighted", "sum"), model_version=("model_version", "first"))
        .rename(columns={"owner_rep_id": "rep_id"})
    )
    return summed, models, trained


def _run_rate(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per rep × month × lock day run-rate amount, per lock day MASE scores)."""
    new = con.sql(_NEW_BUSINESS_SQL).to_arrow_table().to_pandas()
    locks = (
        con.sql("select rep_id, period, lock_day from marts.fct_forecast_pipeline_lock_points")
        .to_arrow_table()
        .to_pandas()
    )
    if locks.empty:
        return pd.DataFrame(
            columns=["rep_id", "period", "lock_day", "run_rate_amount"]
        ), pd.DataFrame()
    months = pd.period_range(locks["period"].min(), locks["period"].max(), freq="M").astype(str)
    parts, scores = [], []
    for lock_day, per_lock in new.groupby("lock_day"):
        totals = per_lock.groupby("period")["new_business"].sum().reindex(months, fill_value=0.0)
        by_rep = per_lock.pivot_table(
            index="period", columns="rep_id", values="new_business", aggfunc="sum"
        )
        by_rep = by_rep.reindex(months).fillna(0.0)
        wanted = locks.loc[locks["lock_day"] == lock_day]
        for period, reps in wanted.groupby("period"):
            past = totals.loc[totals.index < period]
            # months before the first complete one are not history: they had no lock rows
            past = past.loc[past.index >= new["period"].min()] if len(new) else past.iloc[0:0]
            total = run_rate_forecast(past)
            window = by_rep.loc[by_rep.index < period].tail(SHARE_MONTHS)
            shares = window.sum().reindex(reps["rep_id"], fill_value=0.0).clip(lower=0)
            if shares.sum() > 0:
                shares = shares / shares.sum()
            else:
                shares = pd.Series(1.0 / len(reps), index=reps["rep_id"].to_numpy())
            parts.append(
                pd.DataFrame(
                    {
                        "rep_id": reps["rep_id"].to_numpy(),
                        "period": period,
                        "lock_day": lock_day,
                        "run_rate_amount": total * shares.to_numpy(),
                    }
                )
            )
        observed = totals.loc[totals.index >= new["period"].min()]
        score = score_run_rate(observed, first=min(MIN_SEASONAL, max(len(observed) - 3, 13)))
        if score is not None:
            scores.append({"lock_day": int(lock_day), **score.__dict__})
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(), pd.DataFrame(scores)


def _table(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = SCHEMAS[table]
    if frame.empty:
        return schema.empty_table()
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def backtest_components(
    con: duckdb.DuckDBPyConnection, home: Path, models_root: Path
) -> BacktestResult:
    """Write the model-weighted pipeline and the run-rate per rep × month × lock day, and the
    run-rate's MASE per lock day, to ``$SALESOPS_HOME/ml/``."""
    started = time.perf_counter()
    frame = build_features(con)
    with threadpool_limits(1):
        weighted, models, trained = _model_weighted(frame, models_root)
        run_rate, scores = _run_rate(con)
    keys = ["rep_id", "period", "lock_day"]
    components = weighted.merge(run_rate, on=keys, how="outer") if len(run_rate) else weighted
    if "run_rate_amount" not in components:
        components["run_rate_amount"] = np.nan
    components["lock_day"] = components["lock_day"].astype("int64")
    paths = {
        COMPONENTS: write_output(home, COMPONENTS, _table(components, COMPONENTS)),
        RUN_RATE_SCORES: write_output(home, RUN_RATE_SCORES, _table(scores, RUN_RATE_SCORES)),
    }
    return BacktestResult(
        rep_locks=len(components),
        models=models,
        models_trained=trained,
        run_rate_scores=scores,
        seconds=time.perf_counter() - started,
        paths=paths,
    )
