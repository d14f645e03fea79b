"""The stage record beside each run log: every stage's and step's start, end and status in
epoch seconds, for programs (benchmarks/scaling.py attributes memory samples with it)."""

from __future__ import annotations

import io
import json
import logging
import sys
import time

from salesops.console import (
    STAGE_NAMES,
    RunConsole,
    StageBoard,
    prune_logs,
    stage_record_path,
)


def test_record_has_each_step_span_and_stage_status_shifted_to_wall_time():
    now = [10.0]
    steps = {
        "bronze__a": "ingest",
        "bronze__a_check": "quality",
        "salesops_dbt_assets": "warehouse",
    }
    board = StageBoard(io.StringIO(), steps, clock=lambda: now[0])
    now[0] = 12.0
    board.step_started("bronze__a")
    now[0] = 13.5
    board.step_finished("bronze__a")
    board.step_started("bronze__a_check")
    now[0] = 14.0
    board.step_finished("bronze__a_check", ok=False)
    board.step_started("salesops_dbt_assets")
    now[0] = 20.0
    board.close(success=False)  # the warehouse step never finished

    record = board.record(wall_offset=1000.0)

    assert record["steps"] == [
        {"step": "bronze__a", "stage": "ingest", "started": 1012.0, "finished": 1013.5, "ok": True},
        {
            "step": "bronze__a_check",
            "stage": "quality",
            "started": 1013.5,
            "finished": 1014.0,
            "ok": False,
        },
        {
            "step": "salesops_dbt_assets",
            "stage": "warehouse",
            "started": 1014.0,
            "finished": 1020.0,
            "ok": False,
        },
    ]
    stages = {stage["name"]: stage for stage in record["stages"]}
    assert list(stages) == ["prepare", *STAGE_NAMES]
    assert stages["prepare"] == {
        "name": "prepare",
        "status": "done",
        "started": 1010.0,
        "finished": 1012.0,
        "seconds": 2.0,
        "progress": None,
    }
    assert stages["ingest"]["status"] == "done" and stages["ingest"]["seconds"] == 1.5
    assert stages["ingest"]["progress"] == [1, 1]
    assert stages["quality"]["status"] == "failed" and stages["quality"]["seconds"] == 0.5
    assert stages["warehouse"]["status"] == "failed" and stages["warehouse"]["seconds"] == 6.0
    assert stages["publish"]["status"] == "not_selected" and stages["publish"]["started"] is None


def test_run_console_writes_the_record_beside_its_log_once_closed(tmp_path):
    saved = sys.stdout
    sys.stdout = io.StringIO()
    before = time.time()
    try:
        with RunConsole(tmp_path, "0123456789abcdef", verbose=True) as console:
            console.follow({"bronze__a": "ingest"}, lambda board: logging.NullHandler())
            console.board.step_started("bronze__a")
            console.board.step_finished("bronze__a")
            console.finish(True)
            assert stage_record_path(console.log_path).exists()
    finally:
        sys.stdout = saved
    after = time.time()

    path = console.log_path.with_name(console.log_path.stem + ".stages.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["run_id"] == "0123456789abcdef" and record["success"] is True
    assert record["log"] == console.log_path.name
    [step] = record["steps"]
    assert step["step"] == "bronze__a" and step["ok"] is True
    assert before - 0.01 <= step["started"] <= step["finished"] <= after + 0.01


def test_pruning_a_log_removes_its_stage_record(tmp_path):
    for day in range(1, 5):
        log = tmp_path / f"run-202612{day:02d}T000000Z-abcdef01.log"
        log.write_text("x")
        stage_record_path(log).write_text("{}")
    removed = prune_logs(tmp_path, keep=2)
    assert [path.name[:12] for path in removed] == ["run-20261201", "run-20261202"]
    assert sorted(p.name[:12] for p in tmp_path.glob("*.stages.json")) == [
        "run-20261203",
        "run-20261204",
    ]
