"""Run a Great Expectations suite on a frame with an ephemeral context.

A suite that cannot run raises; it never reports success it did not check.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402


@dataclass
class ValidationOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[dict] = field(default_factory=list)

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: {self.evaluated} expectations passed"
        lines = [f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed"]
        lines += [f"  - {f['expectation']} {f['kwargs']} → {f['observed']}" for f in self.failures]
        return "\n".join(lines)


def validate_frame(frame: pd.DataFrame, suite: gx.ExpectationSuite) -> ValidationOutcome:
    if not suite.expectations:
        raise ValueError(f"suite {suite.name} has no expectations: refusing to report a pass")
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas(name="frames")
    asset = source.add_dataframe_asset(name=suite.name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite)
    failures = []
    for r in result.results:
        if r.exception_info and r.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"{suite.name}: expectation {r.expectation_config.type} could not run: "
                f"{r.exception_info.get('exception_message')}"
            )
        if not r.success:
            observed = {k: r.result.get(k) for k in ("unexpected_count", "partial_unexpected_list", "observed_value") if k in r.result}
            failures.append(
                {
                    "expectation": r.expectation_config.type,
                    "kwargs": {k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"},
                    "observed": observed,
                }
            )
    return ValidationOutcome(suite.name, bool(result.success), len(result.results), failures)
