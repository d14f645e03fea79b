"""The run console's parts on their own: the run log captures what the process prints (down to
subprocesses) and tallies warnings once each, dbt's counter and error summary are read from its
lines, the stage lines come out one per stage, old logs are pruned."""

from __future__ import annotations

import datetime as dt
import io
import logging
import subprocess
import sys
import warnings

from salesops.console import (
    PREPARE,
    STAGE_NAMES,
    DbtLines,
    RunLog,
    StageBoard,
    WarningTally,
    log_path,
    prune_logs,
    stage_of_group,
)


def test_groups_map_to_stages_and_an_unknown_group_to_none():
    assert stage_of_group("ingest") == "ingest"
    assert stage_of_group("warehouse_marts") == "warehouse"
    assert stage_of_group("models") == "models"
    assert stage_of_group("briefs") is None  # the brief is not part of the daily job
    assert stage_of_group("warehousefoo") is None


def test_run_log_takes_python_subprocess_and_library_output_and_tallies_warnings(tmp_path):
    console = io.StringIO()  # a stream without a file descriptor, as click's test runner
    path = log_path(tmp_path, "0123456789abcdef", dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC))
    assert path.name == "run-20261203T060000Z-01234567.log"
    seen: list[str] = []
    original_stdout = sys.stdout
    sys.stdout = console
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            log = RunLog(path)
            log.line_listeners.append(seen.append)
            with log:
                print("12 of 150 PASS not_null_x")
                child = "import sys; sys.stderr.write('from a child\\n')"
                subprocess.run([sys.executable, "-c", child])
                for _ in range(3):
                    warnings.warn("the same thing again", FutureWarning, stacklevel=1)
                warnings.warn("something else", UserWarning, stacklevel=1)
                logging.getLogger("some.library").warning("a library warning")
                logging.getLogger("some.library").info("library chatter")
        assert sys.stdout is console
    finally:
        sys.stdout = original_stdout
    text = path.read_text(encoding="utf-8")
    assert "12 of 150 PASS not_null_x" in text and "from a child" in text
    assert text.count("FutureWarning: the same thing again") == 3 and "a library warning" in text
    assert "library chatter" not in text
    assert console.getvalue() == ""
    assert seen == ["12 of 150 PASS not_null_x"]
    assert log.warnings.counts[("FutureWarning", "the same thing again")] == 3
    assert log.warnings.total == 5
    shown = log.warnings.lines()
    assert len([line for line in shown if "the same thing again" in line]) == 1
    assert "FutureWarning ×3: the same thing again" in shown[0]


def test_verbose_run_log_copies_to_the_console(tmp_path):
    console = io.StringIO()
    saved = sys.stdout
    sys.stdout = console
    try:
        with RunLog(tmp_path / "logs" / "run-x.log", verbose=True):
            print("1 of 2 START model a")
    finally:
        sys.stdout = saved
    assert "1 of 2 START model a" in console.getvalue()
    assert "1 of 2 START model a" in (tmp_path / "logs" / "run-x.log").read_text(encoding="utf-8")


def test_dbt_counter_adds_the_second_dbt_invocation_to_the_first():
    """A run builds the marts, then (after the forecasting models) the marts on their
    outputs: the counter goes on from the first invocation's nodes, whether the second has
    another total or the same one."""
    progress: list[tuple[int, int]] = []
    dbt = DbtLines(on_progress=lambda done, total: progress.append((done, total)))
    for line in [
        "1 of 2 START sql table model marts.fct_a ...... [RUN]",
        "1 of 2 OK created sql table model marts.fct_a . [OK in 0.1s]",
        "2 of 2 PASS not_null_fct_a_id ................. [PASS in 0.1s]",
        "1 of 3 START sql view model staging.stg_ml ..... [RUN]",
        "1 of 3 OK created sql view model staging.stg_ml [OK in 0.1s]",
        "2 of 3 OK created sql table model marts.fct_b . [OK in 0.1s]",
        "3 of 3 PASS not_null_fct_b_id ................. [PASS in 0.1s]",
        "1 of 3 START sql view model staging.stg_ml ..... [RUN]",
        "1 of 3 OK created sql view model staging.stg_ml [OK in 0.1s]",
    ]:
        dbt.feed(line)
    assert progress == [(0, 2), (1, 2), (2, 2), (2, 5), (3, 5), (4, 5), (5, 5), (5, 8), (6, 8)]


def test_dbt_counter_and_error_summary_come_from_dbt_lines():
    progress: list[tuple[int, int]] = []
    dbt = DbtLines(on_progress=lambda done, total: progress.append((done, total)))
    for line in [
        "Running with dbt=1.11.16",
        "1 of 3 START sql view model staging.stg_a ............ [RUN]",
        "2 of 3 START sql table model marts.fct_b ............. [RUN]",
        "1 of 3 OK created sql view model staging.stg_a ....... [\x1b[32mOK\x1b[0m in 0.4s]",
        "2 of 3 ERROR creating sql table model marts.fct_b .... [ERROR in 0.1s]",
        "3 of 3 SKIP test not_null_fct_b_id ................... [SKIP]",
        "Completed with 1 error, 0 partial successes, and 0 warnings:",
        "",
        "Runtime Error in model fct_b (models/marts/fct_b.sql)",
        "  Binder Error: column x does not exist",
        "",
        "Done. PASS=1 WARN=0 ERROR=1 SKIP=1 NO-OP=0 TOTAL=3",
        "4 of 9 PASS something printed later",
    ]:
        dbt.feed(line)
    assert progress[:5] == [(0, 3), (0, 3), (1, 3), (2, 3), (3, 3)]
    assert dbt.error_lines == [
        "Completed with 1 error, 0 partial successes, and 0 warnings:",
        "Runtime Error in model fct_b (models/marts/fct_b.sql)",
        "Binder Error: column x does not exist",
        "Done. PASS=1 WARN=0 ERROR=1 SKIP=1 NO-OP=0 TOTAL=3",
    ]


def test_plain_board_prints_one_line_per_stage_with_its_time():
    now = [100.0]
    out = io.StringIO()
    steps = {"bronze__a": "ingest", "bronze__b": "ingest", "bronze__a_check": "quality"}
    board = StageBoard(out, steps, live=False, clock=lambda: now[0])
    now[0] = 103.0
    board.step_started("bronze__a")
    assert out.getvalue().startswith("prepare 准备")  # printed when the first step starts
    now[0] = 104.0
    board.step_finished("bronze__a")
    board.step_started("bronze__a_check")
    now[0] = 110.0  # the check's 6 s are quality's, not ingest's
    board.step_finished("bronze__a_check", ok=False)
    board.step_started("bronze__b")
    now[0] = 111.5
    board.step_finished("bronze__b")
    board.close(success=False)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == [
        PREPARE.name,
        "quality",
        "ingest",
        *[name for name in STAGE_NAMES if name not in ("ingest", "quality")],
    ]
    assert "3.0 s" in lines[0]
    assert "1/1 checks" in lines[1] and "6.0 s" in lines[1] and "FAILED 失败" in lines[1]
    assert "2/2 tables 表" in lines[2] and "2.5 s" in lines[2] and "done 完成" in lines[2]
    assert all("not selected 未选择" in line for line in lines[3:])


def test_live_board_redraws_in_place_and_shows_the_dbt_counter():
    out = io.StringIO()
    board = StageBoard(out, {"salesops_dbt_assets": "warehouse"}, live=True)
    board.step_started("salesops_dbt_assets")
    board.count("warehouse", 5, 20)
    board.draw(force=True)
    board.close(success=True)
    text = out.getvalue()
    assert f"\x1b[{1 + len(STAGE_NAMES)}F" in text  # cursor back up over prepare + the stages
    assert "[███·········] 5/20 dbt nodes 节点" in text


def test_warning_tally_shows_each_once_with_a_count_and_a_limit():
    tally = WarningTally()
    for _ in range(138):
        tally.add("warning", "identical")
    for n in range(7):
        tally.add("warning", f"other {n}")
    lines = tally.lines(limit=5)
    assert lines[0] == "  warning ×138: identical"
    assert len(lines) == 6 and "3 more in the log" in lines[-1]


def test_a_warning_said_once_per_name_is_one_warning():
    """dagster-dbt warns once per dbt test it cannot attach to an asset (127 of them at demo
    scale): one line, with the count."""
    tally = WarningTally()
    for test in ("source_unique_a", "source_not_null_b", "source_accepted_values_c"):
        tally.add("salesops_dbt_assets", f"Logging an `AssetObservation` for dbt test `{test}`.")
    tally.add("bronze__reps", "reps: 2 row(s) quarantined")
    assert tally.lines() == [
        "  salesops_dbt_assets ×3: Logging an `AssetObservation` for dbt test `source_unique_a`."
        " (and 2 alike 同类)",
        "  bronze__reps: reps: 2 row(s) quarantined",
    ]


def test_only_the_newest_logs_are_kept(tmp_path):
    for day in range(1, 36):
        (tmp_path / f"run-202612{day:02d}T000000Z-abcdef01.log").write_text("x")
    (tmp_path / "notes.txt").write_text("not a run log")
    removed = prune_logs(tmp_path, keep=30)
    assert len(removed) == 5 and removed[0].name.startswith("run-20261201")
    assert len(list(tmp_path.glob("run-*.log"))) == 30 and (tmp_path / "notes.txt").exists()


def test_a_failed_dbt_build_is_told_by_dbt_s_own_summary(tmp_path):
    """The warehouse step's error (dagster-dbt's, with the whole command line) gives way to
    dbt's summary: the failing node and its message."""
    from salesops.console import RunConsole

    class Events:
        warnings = WarningTally()
        failures = [
            ("salesops_dbt_assets", ["The dbt CLI process with command `dbt build …` failed"]),
            ("bronze__reps", ["IngestError: crm/reps.csv line 3, column hired_at: not a date"]),
        ]

    console = RunConsole(tmp_path, "fd9f3e63-0000")
    console.board = StageBoard(io.StringIO(), {"salesops_dbt_assets": "warehouse"})
    console.events = Events()
    for line in [
        "Completed with 1 error, 0 partial successes, and 0 warnings:",
        "Failure in test relationships_fct_x_rep_id (models/marts/_marts__models.yml)",
        "  Got 10 results, configured to fail if != 0",
        "Done. PASS=167 WARN=0 ERROR=1 SKIP=8 NO-OP=0 TOTAL=176",
    ]:
        console.dbt.feed(line)
    lines = console.report_lines(success=False)
    assert lines[0] == "What failed 失败原因:"
    text = "\n".join(lines)
    assert "The dbt CLI process" not in text and "bronze__reps:" in text
    assert "  salesops_dbt_assets:\n    Completed with 1 error" in text
    assert "Failure in test relationships_fct_x_rep_id" in text and "Got 10 results" in text
