"""Run a Great Expectations suite on a frame with an ephemeral context.

A suite never reports success it did not check: a suite without expectations raises, and an
expectation that could not run (a missing column, a type the metric cannot compare, …) is
recorded as a failure carrying GX's error message, so the check fails and the report says why.

The outcome is plain JSON-safe data (:meth:`ValidationOutcome.to_dict`), so each check can
write it next to the others of its run and :mod:`data_quality.report` can render them.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

OBSERVED_KEYS: tuple[str, ...] = (
    "observed_value",
    "element_count",
    "missing_count",
    "unexpected_count",
    "unexpected_percent",
    "partial_unexpected_list",
)
"""What of a GX result is kept: enough to say what was seen, without row-index lists."""


@dataclass
class ValidationOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[dict] = field(default_factory=list)
    """The expectations that failed or could not run: ``expectation``, ``kwargs``,
    ``observed``, ``description``, ``error`` (None unless it could not run)."""
    results: list[dict] = field(default_factory=list)
    """Every expectation, passed or not, in suite order, with the same keys plus ``success``."""
    table: str | None = None
    rows: int | None = None
    warnings: list[dict] = field(default_factory=list)
    """Findings that do not fail the suite: rows kept but flagged as contradicting another
    table (``file``, ``line``, ``column``, ``value``, ``other_table``, ``other_file``,
    ``other_line``, ``key``, ``reason``)."""
    ingest: dict = field(default_factory=dict)
    """What the ingest did to the table's rows (:func:`data_quality.runs.ingest_account`):
    row counts, the columns of each file nothing reads, the rows superseded by the same key."""

    @property
    def errors(self) -> list[dict]:
        """The expectations that could not run."""
        return [f for f in self.failures if f.get("error")]

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: {self.evaluated} expectations passed"
        lines = [f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed"]
        for f in self.failures:
            seen = f"could not run: {f['error']}" if f.get("error") else f["observed"]
            lines.append(f"  - {f['expectation']} {f['kwargs']} → {seen}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationOutcome:
        return cls(
            suite=data["suite"],
            success=bool(data["success"]),
            evaluated=int(data["evaluated"]),
            failures=list(data.get("failures") or []),
            results=list(data.get("results") or []),
            table=data.get("table"),
            rows=data.get("rows"),
            warnings=list(data.get("warnings") or []),
            ingest=dict(data.get("ingest") or {}),
        )


def _error_message(exception_info: dict | None) -> str | None:
    """GX's error for an expectation that could not run, in either shape it reports it.

    Top level: ``{"raised_exception": True, "exception_message": …}``. A metric that failed
    (e.g. a missing column): ``{"MetricConfigurationID(…)": {"raised_exception": True, …}}``.
    """
    if not exception_info:
        return None
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message") or "unknown error")
    for value in exception_info.values():
        if isinstance(value, dict) and value.get("raised_exception", True) and (
            value.get("exception_message") or value.get("exception_traceback")
        ):
            return str(value.get("exception_message") or "unknown error")
    return None


def validate_frame(frame: pd.DataFrame, suite: gx.ExpectationSuite, table: str | None = None) -> ValidationOutcome:
    if not suite.expectations:
        raise ValueError(f"suite {suite.name} has no expectations: refusing to report a pass")
    context = gx.get_context(mode="ephemeral")
    # no tqdm bar per suite ("Calculating Metrics") on the run's console or in its log
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name="frames")
    asset = source.add_dataframe_asset(name=suite.name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite)
    if len(result.results) != len(suite.expectations):
        raise RuntimeError(
            f"{suite.name}: GX returned {len(result.results)} results for {len(suite.expectations)} expectations"
        )
    ordered = list(result.results)
    ids = [e.id for e in suite.expectations]
    by_id = {r.expectation_config.id: r for r in result.results}
    if all(ids) and len(set(ids)) == len(ids) and set(by_id) == set(ids):
        ordered = [by_id[i] for i in ids]  # suite order, not GX's
    results = []
    for r in ordered:
        as_json = r.to_json_dict()  # JSON-safe kwargs and values (timestamps, decimals, tuples)
        config = as_json["expectation_config"]
        error = _error_message(r.exception_info)
        results.append(
            {
                "expectation": config["type"],
                "kwargs": {k: v for k, v in config["kwargs"].items() if k != "batch_id"},
                "description": config.get("description"),
                "success": bool(r.success) and error is None,
                "observed": {k: v for k, v in (as_json.get("result") or {}).items() if k in OBSERVED_KEYS},
                "error": error,
            }
        )
    failures = [{k: v for k, v in r.items() if k != "success"} for r in results if not r["success"]]
    success = bool(result.success) and not failures
    return ValidationOutcome(suite.name, success, len(results), failures, results, table=table, rows=len(frame))
