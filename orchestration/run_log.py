"""The run's Dagster events for ``salesops run``: a logger that hands every event to the Python
logger :data:`salesops.console.RUN_LOGGER`, the stage of every step, and the handler that turns
the events into the stage lines and the failure message (salesops/console.py draws them)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

import dagster as dg

from salesops.console import (
    CHECK_STAGE,
    RUN_LOGGER,
    STAGE_TAG,
    StageBoard,
    WarningTally,
    stage_of_group,
)


@dg.logger(
    description=(
        "Every event of the run, DEBUG included, to the Python logger `salesops.run`: "
        "`salesops run` writes them to the run log and draws its stage lines from them."
    )
)
def salesops_run_logger(_init_context) -> logging.Logger:
    log = logging.getLogger(RUN_LOGGER)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    return log


class UnstagedAssetError(ValueError):
    """An asset whose group no stage claims (add the group to salesops.console.GROUP_STAGES)."""


def step_stages(
    defs: dg.Definitions, job_name: str, asset_selection: Iterable[dg.AssetKey] | None = None
) -> dict[str, str]:
    """Step key → stage for the steps a run of ``job_name`` executes (all, or those that
    compute ``asset_selection`` and the checks on it). A step computing assets takes their
    group's stage (one stage per step, else :class:`UnstagedAssetError`); a step that only
    runs checks is a quality step."""
    graph = defs.resolve_asset_graph()
    job = defs.resolve_job_def(job_name)
    ops = {node.name for node in job.graph.node_defs}
    selected = set(asset_selection) if asset_selection is not None else None
    stages: dict[str, str] = {}
    for assets_def in graph.assets_defs:
        if not assets_def.is_executable or not assets_def.has_keys and not assets_def.check_keys:
            continue
        op = assets_def.node_def.name
        if op not in ops:
            continue
        keys = set(assets_def.keys)
        checked = {check.asset_key for check in assets_def.check_keys}
        if selected is not None and not (keys & selected or (not keys and checked & selected)):
            continue
        if keys:
            found = {
                graph.get(key).tags.get(STAGE_TAG) or stage_of_group(graph.get(key).group_name)
                for key in keys
            }
            if None in found or len(found) != 1:
                groups = sorted({str(graph.get(key).group_name) for key in keys})
                raise UnstagedAssetError(
                    f"step {op}: asset groups {groups} do not map to one stage {sorted(map(str, found))}"
                )
            stages[op] = found.pop()
        else:
            stages[op] = CHECK_STAGE
    return stages


def _first_lines(text: str | None, limit: int = 12) -> list[str]:
    lines = [line.rstrip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[:limit] + (
        [f"… ({len(lines) - limit} more lines in the log)"] if len(lines) > limit else []
    )


def _error_text(error) -> str:
    """The user's exception (an ingest error names file, line and column), without the
    Dagster wrapper around it ("Error occurred while executing op …")."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause or error.context
    own = [e for e in chain if not e.cls_name.startswith("Dagster")] or chain
    return "\n".join(_QUALIFIED.sub(r"\1:", e.message.strip()) for e in own)


_QUALIFIED = re.compile(r"^(?:[a-z_][\w]*\.)+([A-Z]\w*):", re.MULTILINE)
"""``salesops.ingest.errors.IngestError:`` → ``IngestError:``"""


class RunEvents(logging.Handler):
    """Dagster's events → the stage board, the run's own warnings (deduplicated) and what to
    say when a step fails: the error of the step, the failed checks with their description."""

    def __init__(self, board: StageBoard):
        super().__init__(level=logging.DEBUG)
        self.board = board
        self.warnings = WarningTally()
        self.failures: list[tuple[str, list[str]]] = []
        self.failed_steps: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            meta: Mapping = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event")
            if event is None:
                # a step's own warnings; its errors are what failed (below), and Dagster's
                # "Dependencies … failed. Not executing." follow from them
                if record.levelno == logging.WARNING and meta.get("step_key"):
                    self.warnings.add(meta["step_key"], str(meta.get("orig_message", "")))
                return
            self._event(event)
        except Exception:  # a display problem must never fail the run
            self.handleError(record)

    def _event(self, event: dg.DagsterEvent) -> None:
        kind = event.event_type_value
        step = event.step_key
        if kind == "STEP_START" and step:
            self.board.step_started(step)
        elif kind == "STEP_SUCCESS" and step:
            self.board.step_finished(step, ok=True)
        elif kind == "STEP_FAILURE" and step:
            self.failed_steps.append(step)
            self.board.step_finished(step, ok=False)
            data = event.step_failure_data
            described = data.user_failure_data.description if data.user_failure_data else None
            self.failures.append((step, _first_lines(described or _error_text(data.error))))
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            failed = not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
            if failed and evaluation.description:  # a GX suite's report; dbt's tests: DbtLines
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                self.failures.append((f"check {name}", _first_lines(evaluation.description, 8)))
