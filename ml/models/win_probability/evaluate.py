"""How well each win probability predicted what happened 赢率校准评估: the model's, the rules
engine's, the CRM's own and a flat default, on the same held-out rows.

Held-out rows: scoring days whose opportunity has closed by as_of and that the model scored.
Each was scored by the model of its month's origin, which was trained only on outcomes closed
before that origin (:mod:`.train`), so every evaluated month is out of sample for the model
that scored it. Metrics are scikit-learn's: Brier score (mean squared error of the
probability), log loss (probabilities clipped to [1e-6, 1 − 1e-6]), and a reliability table
of ten equal-width probability bins (mean predicted vs observed win rate per bin), whose
row-weighted mean gap is the expected calibration error. All per stage and per rep-tenure
cohort, each also over all ('all')."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, log_loss

BINS = 10
CLIP = 1e-6
ALL = "all"

SOURCES = {
    "ml": "win_probability",
    "rules": "rule_probability",
    "crm": "crm_probability",
    "flat": "flat_probability",
}
"""Probability sources compared: the calibrated model, the stage-probability rules engine,
the probability in the CRM, and the flat default (``forecast_settings.default_probability``,
the 50% a CRM fills in)."""


def held_out(scored: pd.DataFrame, flat_probability: float) -> pd.DataFrame:
    """The rows to evaluate: scored by the model, outcome known; with ``won`` and the flat
    probability as a column."""
    rows = scored.loc[scored["win_probability"].notna() & scored["outcome"].notna()].copy()
    rows["won"] = (rows["outcome"] == "won").astype(int)
    rows["flat_probability"] = flat_probability
    return rows


def _groups(rows: pd.DataFrame):
    """(stage, tenure_cohort, subset) for 'all' × 'all', each stage, each cohort and each
    stage × cohort."""
    yield ALL, ALL, rows
    for stage, part in rows.groupby("stage", observed=True):
        yield stage, ALL, part
    for cohort, part in rows.groupby("tenure_cohort", observed=True):
        yield ALL, cohort, part
    for (stage, cohort), part in rows.groupby(["stage", "tenure_cohort"], observed=True):
        yield stage, cohort, part


def _reliability(won: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    bins = np.minimum((probability * BINS).astype(int), BINS - 1)
    table = (
        pd.DataFrame({"bin": bins, "won": won, "probability": probability})
        .groupby("bin")
        .agg(
            rows=("won", "size"),
            mean_probability=("probability", "mean"),
            observed_win_rate=("won", "mean"),
        )
        .reset_index()
    )
    table["bin_lower"] = table["bin"] / BINS
    table["bin_upper"] = (table["bin"] + 1) / BINS
    return table


def evaluate(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics, reliability): one metrics row per source × stage × tenure cohort; one
    reliability row per source × stage × cohort × non-empty bin."""
    metrics, reliability = [], []
    for stage, cohort, part in _groups(rows):
        for source, column in SOURCES.items():
            present = part.loc[part[column].notna()]
            if present.empty:
                continue
            won = present["won"].to_numpy()
            probability = present[column].to_numpy(dtype=float)
            bins = _reliability(won, probability)
            gap = (bins["mean_probability"] - bins["observed_win_rate"]).abs()
            metrics.append(
                {
                    "source": source,
                    "stage": stage,
                    "tenure_cohort": cohort,
                    "rows": len(present),
                    "opportunities": present["opportunity_id"].nunique(),
                    "observed_win_rate": float(won.mean()),
                    "mean_probability": float(probability.mean()),
                    "brier_score": float(brier_score_loss(won, probability, pos_label=1)),
                    "log_loss": float(
                        log_loss(won, np.clip(probability, CLIP, 1 - CLIP), labels=[0, 1])
                    ),
                    "calibration_error": float((gap * bins["rows"]).sum() / bins["rows"].sum()),
                    "first_scored_on": present["scored_on"].min(),
                    "last_scored_on": present["scored_on"].max(),
                }
            )
            bins.insert(0, "source", source)
            bins.insert(1, "stage", stage)
            bins.insert(2, "tenure_cohort", cohort)
            reliability.append(bins)
    metric_frame = pd.DataFrame(metrics)
    reliability_frame = pd.concat(reliability, ignore_index=True) if reliability else pd.DataFrame()
    return metric_frame, reliability_frame
