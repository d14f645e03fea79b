"""Every step of the daily job has one console stage, derived from the asset groups; the run's
Dagster events drive the stage lines and say what failed."""

from __future__ import annotations

import io
import logging
from collections import Counter

import dagster as dg
import pytest

from salesops.console import RUN_LOGGER, STAGE_NAMES, StageBoard


@pytest.fixture(scope="module")
def definitions(tmp_path_factory):
    import os

    os.environ["SALESOPS_HOME"] = str(tmp_path_factory.mktemp("home"))
    import orchestration.definitions as module

    return module


def test_every_asset_and_check_of_the_daily_job_has_exactly_one_stage(definitions):
    from orchestration.run_log import step_stages

    defs = definitions.defs
    stages = step_stages(defs, definitions.DAILY_JOB)
    job = defs.resolve_job_def(definitions.DAILY_JOB)
    assert set(stages) == {node.name for node in job.graph.node_defs}  # every step, no other
    assert set(stages.values()) == set(STAGE_NAMES)  # and every stage has steps
    graph = defs.resolve_asset_graph()
    owner: Counter = Counter()
    for assets_def in graph.assets_defs:
        if assets_def.is_executable and assets_def.node_def.name in stages:
            owner.update(assets_def.keys)
            owner.update(assets_def.check_keys)
    # every asset of the job and every check (the brief, outside the job, has none): each
    # computed by one step, so in one stage
    in_job = set(job.asset_layer.selected_asset_keys) | set(graph.asset_check_keys)
    assert len(in_job) > 300 and set(owner) == in_job
    assert set(owner.values()) == {1}
    by_stage = Counter(stages.values())
    assert by_stage["warehouse"] == 2 and by_stage["publish"] == 1
    assert stages["salesops_dbt_assets"] == stages["salesops_dbt_forecast_assets"] == "warehouse"
    assert stages["win_probabilities"] == "forecasting"
    assert stages["deviation_reason_clusters"] == "models"
    assert stages["chat_signals"] == "signals"
    assert stages["bronze__reps"] == "ingest" and stages["bronze__reps_contract_suite"] == "quality"


def test_a_selection_runs_only_its_steps(definitions):
    from orchestration.run_log import step_stages

    stages = step_stages(
        definitions.defs,
        definitions.DAILY_JOB,
        [dg.AssetKey(["bronze", "reps"]), dg.AssetKey(["published_snapshot"])],
    )
    assert stages == {
        "bronze__reps": "ingest",
        "bronze__reps_contract_suite": "quality",
        "published_snapshot": "publish",
    }


def test_an_asset_in_a_group_no_stage_claims_is_refused():
    from orchestration.run_log import UnstagedAssetError, step_stages

    @dg.asset(group_name="somewhere_new")
    def stray() -> None: ...

    defs = dg.Definitions(assets=[stray], jobs=[dg.define_asset_job("j")])
    with pytest.raises(UnstagedAssetError, match="somewhere_new"):
        step_stages(defs, "j")


def test_run_events_drive_the_board_and_name_what_failed(tmp_path):
    """A tiny job through the `salesops_run` logger: the steps reach the board, a failing
    step's error and a failed check's description are kept for the console."""
    from orchestration.run_log import RunEvents, salesops_run_logger

    @dg.asset(group_name="ingest")
    def table() -> None:
        dg.get_dagster_logger().warning("3 rows quarantined")
        dg.get_dagster_logger().warning("3 rows quarantined")

    @dg.asset_check(asset=table, blocking=True)
    def contract(_context) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="expect_column_values_to_not_be_null")

    @dg.asset(group_name="ingest")
    def broken() -> None:
        raise ValueError("crm/reps.csv line 3, column hired_at: not a date")

    @dg.asset(deps=[table], group_name="publish")
    def published() -> None: ...

    out = io.StringIO()
    steps = {"table": "ingest", "broken": "ingest", "table_contract": "quality", "published": "publish"}
    board = StageBoard(out, steps)
    events = RunEvents(board)
    logger = logging.getLogger(RUN_LOGGER)
    logger.addHandler(events)
    job = dg.Definitions(
        assets=[table, broken, published],
        asset_checks=[contract],
        jobs=[dg.define_asset_job("j", executor_def=dg.in_process_executor)],
        loggers={"salesops_run": salesops_run_logger},
    ).resolve_job_def("j")
    try:
        result = job.execute_in_process(
            run_config={"loggers": {"salesops_run": {}}}, raise_on_error=False
        )
    finally:
        logger.removeHandler(events)
    assert not result.success
    board.close(success=False)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()}
    assert "FAILED" in lines["ingest"] and "1/2 tables" in lines["ingest"]
    assert "FAILED" in lines["quality"]
    assert "skipped" in lines["publish"]  # never started: its blocking check failed
    failures = dict(events.failures)
    assert failures["check table:contract"] == ["expect_column_values_to_not_be_null"]
    assert failures["broken"][0].startswith("ValueError: crm/reps.csv line 3, column hired_at")
    assert events.warnings.counts[("table", "3 rows quarantined")] == 2  # by step
