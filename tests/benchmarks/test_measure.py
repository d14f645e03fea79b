"""The scaling benchmark's measuring parts without a run: the process tree and its memory read
from a /proc-shaped folder, the run's wall time cut into stages from a stage record, memory
samples attributed to the stage running when they were taken, the log-log exponent."""

from __future__ import annotations

import math

import pytest

from benchmarks.measure import (
    MIB,
    ORCHESTRATION,
    PAGE_BYTES,
    STARTUP,
    UNATTRIBUTED,
    WRAP_UP,
    Segment,
    by_stage,
    exponent,
    stage_at,
    timeline,
    tree_pids,
    tree_rss,
)


def test_tree_is_the_root_and_all_its_descendants_only():
    parent_of = {10: 1, 11: 10, 12: 11, 13: 10, 20: 1, 21: 20}
    assert tree_pids(10, parent_of) == {10, 11, 12, 13}
    assert tree_pids(21, parent_of) == {21}


def _proc(folder, pid: int, comm: str, ppid: int, resident_pages: int) -> None:
    (folder / str(pid)).mkdir()
    (folder / str(pid) / "stat").write_text(f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560\n")
    (folder / str(pid) / "statm").write_text(f"99999 {resident_pages} 50 1 0 70 0\n")


def test_tree_rss_sums_the_resident_pages_of_the_tree_read_from_proc(tmp_path):
    _proc(tmp_path, 100, "salesops", 1, 1000)
    _proc(tmp_path, 101, "dbt (worker) x", 100, 500)  # a name with spaces and parentheses
    _proc(tmp_path, 102, "python", 101, 25)
    _proc(tmp_path, 200, "unrelated", 1, 7777)
    (tmp_path / "self").mkdir()  # not a process folder
    (tmp_path / "300").mkdir()  # a process gone between the listing and the read
    assert tree_rss(100, tmp_path) == (1525 * PAGE_BYTES, 3)
    assert tree_rss(101, tmp_path) == (525 * PAGE_BYTES, 2)


RECORD = {
    "stages": [
        {"name": "prepare", "status": "done", "started": 102.0, "finished": 105.0},
        {"name": "ingest", "status": "done", "started": 105.0, "finished": 108.0},
    ],
    "steps": [
        {"step": "bronze__a", "stage": "ingest", "started": 105.0, "finished": 107.0, "ok": True},
        {
            "step": "bronze__a_check",
            "stage": "quality",
            "started": 107.5,
            "finished": 108.0,
            "ok": True,
        },
        {"step": "bronze__b", "stage": "ingest", "started": 108.0, "finished": 109.0, "ok": True},
        {
            "step": "salesops_dbt_assets",
            "stage": "warehouse",
            "started": 109.0,
            "finished": 115.0,
            "ok": True,
        },
    ],
}


def test_timeline_cuts_the_whole_wall_time_into_stage_segments():
    segments = timeline(RECORD, started=100.0, ended=117.0)
    assert segments == [
        Segment(STARTUP, 100.0, 102.0),
        Segment("prepare", 102.0, 105.0),
        Segment("ingest", 105.0, 107.0),
        Segment(ORCHESTRATION, 107.0, 107.5),
        Segment("quality", 107.5, 108.0),
        Segment("ingest", 108.0, 109.0),
        Segment("warehouse", 109.0, 115.0),
        Segment(WRAP_UP, 115.0, 117.0),
    ]
    assert sum(s.seconds for s in segments) == pytest.approx(17.0)


def test_overlapping_or_unfinished_steps_never_count_twice_and_end_at_the_run_end():
    record = {
        "stages": [{"name": "prepare", "started": 100.0, "finished": 101.0}],
        "steps": [
            {"step": "a", "stage": "ingest", "started": 101.0, "finished": 104.0},
            {"step": "b", "stage": "signals", "started": 103.0, "finished": 106.0},
            {"step": "c", "stage": "warehouse", "started": 106.0, "finished": None},
        ],
    }
    segments = timeline(record, started=100.0, ended=110.0)
    assert [(s.stage, s.start, s.end) for s in segments] == [
        (STARTUP, 100.0, 100.0),
        ("prepare", 100.0, 101.0),
        ("ingest", 101.0, 104.0),
        ("signals", 104.0, 106.0),
        ("warehouse", 106.0, 110.0),
    ]


def test_a_run_without_a_record_is_one_unattributed_segment():
    assert timeline(None, 5.0, 9.0) == [Segment(UNATTRIBUTED, 5.0, 9.0)]


def test_samples_go_to_the_stage_running_when_taken_and_each_stage_keeps_its_peak():
    segments = timeline(RECORD, started=100.0, ended=117.0)
    samples = [
        (100.5, 50 * MIB, 1),  # startup
        (103.0, 200 * MIB, 1),  # prepare
        (106.0, 300 * MIB, 1),  # ingest (first step)
        (107.2, 999 * MIB, 1),  # between steps: orchestration, not ingest
        (108.5, 320 * MIB, 1),  # ingest (second step)
        (110.0, 900 * MIB, 3),  # warehouse, dbt running
        (114.9, 1500 * MIB, 3),
        (116.0, 400 * MIB, 1),  # wrap-up
        (117.0, 100 * MIB, 1),  # the run's last instant: still the wrap-up
        (118.0, 5000 * MIB, 1),  # after the run: nobody's
    ]
    stages = by_stage(segments, samples)
    assert list(stages) == [
        STARTUP,
        "prepare",
        "ingest",
        "quality",
        "warehouse",
        ORCHESTRATION,
        WRAP_UP,
    ]
    assert stages["ingest"] == {"seconds": 3.0, "peak_rss_mib": 320.0, "samples": 2}
    assert stages["warehouse"] == {"seconds": 6.0, "peak_rss_mib": 1500.0, "samples": 2}
    assert stages[ORCHESTRATION] == {"seconds": 0.5, "peak_rss_mib": 999.0, "samples": 1}
    assert stages["quality"] == {"seconds": 0.5, "peak_rss_mib": None, "samples": 0}
    assert stages[WRAP_UP]["peak_rss_mib"] == 400.0 and stages[WRAP_UP]["samples"] == 2
    assert stage_at(segments, 118.0) is None
    assert stage_at(segments, 109.0) == "warehouse"  # a segment owns its start


def test_exponent_recovers_the_power_of_a_synthetic_curve():
    rows = [10_000, 100_000, 1_000_000]
    assert exponent([(x, 0.003 * x**1.5) for x in rows]) == pytest.approx(1.5)
    assert exponent([(x, 7.0) for x in rows]) == pytest.approx(0.0)  # a fixed cost
    # three equally spaced log inputs: the least-squares slope is the end points' slope,
    # whatever the middle point
    noisy = [(1e4, 2.0), (1e5, 40.0), (1e6, 190.0)]
    assert exponent(noisy) == pytest.approx((math.log(190.0) - math.log(2.0)) / math.log(100))


def test_exponent_needs_two_scales_and_ignores_empty_stages():
    assert exponent([(1e4, 3.0)]) is None
    assert exponent([]) is None
    assert exponent([(1e4, 3.0), (1e4, 4.0)]) is None  # one input size twice
    assert exponent([(1e4, 0.0), (1e5, 2.0), (1e6, 20.0)]) == pytest.approx(1.0)
    assert exponent([(1e4, None), (1e5, 2.0)]) is None
