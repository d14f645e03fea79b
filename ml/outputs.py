"""The tables the model layer writes (``$SALESOPS_HOME/ml/`` and ``signals/``), named once.

Light to import (no scikit-learn, no statsmodels): the orchestration declares one asset per
table when its definitions load, and loading them must not import the models (scikit-learn
writes ``KMP_*`` variables into the environment when imported). Each model module takes its
names from here."""

from __future__ import annotations

# ml/models/win_probability
WIN_PROBABILITIES = "win_probabilities"
WIN_PROBABILITY_EVALUATION = "win_probability_evaluation"
WIN_PROBABILITY_RELIABILITY = "win_probability_reliability"
WIN_PROBABILITY_TABLES = (
    WIN_PROBABILITIES,
    WIN_PROBABILITY_EVALUATION,
    WIN_PROBABILITY_RELIABILITY,
)

# ml/models/backtest
BACKTEST_COMPONENTS = "forecast_backtest_components"
RUN_RATE_EVALUATION = "run_rate_evaluation"
BACKTEST_TABLES = (BACKTEST_COMPONENTS, RUN_RATE_EVALUATION)

# ml/models/baseline
BASELINES = "baselines"
BASELINE_CONTRIBUTIONS = "baseline_contributions"
CHALLENGE_TARGETS = "challenge_targets"
BASELINE_TABLES = (BASELINES, BASELINE_CONTRIBUTIONS, CHALLENGE_TARGETS)

# ml/deviation_reasons
DEVIATION_REASON_CLUSTERS = "deviation_reason_clusters"
DEVIATION_REASON_ASSIGNMENTS = "deviation_reason_assignments"
DEVIATION_REASON_CARD_LINKS = "deviation_reason_card_links"
DEVIATION_REASON_TABLES = (
    DEVIATION_REASON_CLUSTERS,
    DEVIATION_REASON_ASSIGNMENTS,
    DEVIATION_REASON_CARD_LINKS,
)
