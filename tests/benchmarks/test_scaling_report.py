"""The scaling benchmark's report from a hand-made result: ratios, exponents and the issue's
goals (met, missed, not measured, failed), the markdown tables and the log-log SVG."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pytest

from benchmarks import scaling_report


def _run(seconds: float, stages: dict[str, float], peak: float, ok: bool = True) -> dict:
    return {
        "ok": ok,
        "returncode": 0 if ok else 1,
        "seconds": seconds,
        "peak_rss_mib": peak,
        "max_process_rss_mib": peak * 0.8,
        "samples": 100,
        "load_before": 0.1,
        "landing": "previous_day",
        "landing_changes": {"copied": 3, "kept": 60, "removed": 1},
        "stages": {
            name: {"seconds": value, "peak_rss_mib": peak / 2, "samples": 5}
            for name, value in stages.items()
        },
        "stage_status": {"ingest": "done", "warehouse": "done" if ok else "failed"},
        "output": "/tmp/x",
    }


def _scale(scale: float, rows: int, factor: float) -> dict:
    """A scale whose full run costs 12× its floor at SF1 (ingest linear, warehouse ∝ rows^1.2)."""
    full = {"startup": 2.0, "ingest": 1.0 * factor, "warehouse": 9.0 * factor**1.2}
    total = sum(full.values())
    return {
        "scale": scale,
        "complete": True,
        "day": "2026-10-31",
        "floors": {
            "previous_day": {
                "seconds": total / 12,
                "rows": rows,
                "bytes": 2**20,
                "files": 66,
                "day": "2026-10-30",
            },
            "day": {
                "seconds": total / 12,
                "rows": rows + 100,
                "bytes": 2**20,
                "files": 66,
                "day": "2026-10-31",
            },
        },
        "runs": {
            "full": _run(total, full, peak=3000.0 * factor),
            "incremental": _run(total * 0.25, {k: v / 4 for k, v in full.items()}, 1000.0),
            "no_change": _run(total * 0.1, {k: v / 10 for k, v in full.items()}, 800.0),
        },
    }


@pytest.fixture
def result(bench_environment) -> dict:
    return {
        "schema": 1,
        "environment": bench_environment,
        "settings": {"seed": 42, "sample_interval_s": 0.1, "floor_repeats": 3},
        "scales": {"1": _scale(1.0, 1_000_000, 1.0), "10": _scale(10.0, 10_000_000, 10.0)},
    }


def test_ratios_per_scale_and_per_stage(result):
    scaling_report.summarize(result)
    sf1 = result["scales"]["1"]["summary"]
    assert sf1["full_vs_floor"] == pytest.approx(12.0)
    assert sf1["incremental_vs_full"] == pytest.approx(0.25)
    assert sf1["no_change_vs_full"] == pytest.approx(0.1)
    assert sf1["stages"]["warehouse"]["full_vs_floor"] == pytest.approx(9.0 / (12.0 / 12), rel=1e-3)
    assert sf1["stages"]["ingest"]["incremental_vs_full"] == pytest.approx(0.25)


def test_exponents_per_stage_across_scales(result):
    exps = scaling_report.summarize(result)["summary"]["exponents"]
    assert exps["full"]["ingest"] == pytest.approx(1.0)
    assert exps["full"]["warehouse"] == pytest.approx(1.2)
    assert exps["full"]["startup"] == pytest.approx(0.0)
    assert exps["full"]["peak_rss"] == pytest.approx(1.0)
    assert exps["incremental"]["peak_rss"] == pytest.approx(0.0)


def test_one_scale_has_no_exponent(result):
    del result["scales"]["10"]
    exps = scaling_report.summarize(result)["summary"]["exponents"]
    assert exps["full"]["total"] is None and exps["scan_floor"]["total"] is None
    assert "| warehouse | n/a | n/a | n/a |" in scaling_report.markdown(result)


def test_goals_are_met_missed_or_not_measured(result):
    goals = {g["id"]: g for g in scaling_report.summarize(result)["summary"]["goals"]}
    assert goals["sf1_full_vs_floor"]["status"] == "missed"
    assert goals["sf1_full_vs_floor"]["measured"] == pytest.approx(12.0)
    assert goals["sf10_peak_rss"]["status"] == "missed"  # 30,000 MiB
    assert goals["sf1_incremental"]["status"] == "missed"  # 25% > 20%
    assert goals["sf1_incremental"]["measured"] == pytest.approx(0.25)
    assert goals["demo_full_seconds"]["status"] == "not measured"


def test_goal_limits_are_inclusive_and_a_failed_run_is_not_a_figure(result):
    result["scales"]["1"]["runs"]["incremental"]["seconds"] = (
        result["scales"]["1"]["runs"]["full"]["seconds"] * 0.2
    )
    broken = copy.deepcopy(result)
    broken["scales"]["10"]["runs"]["full"]["ok"] = False
    goals = {g["id"]: g for g in scaling_report.summarize(result)["summary"]["goals"]}
    assert goals["sf1_incremental"]["status"] == "met"
    assert goals["sf10_incremental"]["status"] == "missed"  # 25%
    failed = {g["id"]: g for g in scaling_report.summarize(broken)["summary"]["goals"]}
    assert failed["sf10_peak_rss"]["status"] == "failed"
    assert failed["sf10_peak_rss"]["measured"] is None


def test_markdown_has_goals_stage_tables_floors_and_environment(result):
    text = scaling_report.markdown(result)
    assert text.startswith("# Daily-run scaling benchmark — 2026-12-04, abcdef0123")
    assert "| SF1 cold full run ≤ 10× the scan floor | 12.0× | ≤ 10× | missed |" in text
    assert "| SF1 incremental day ≤ 20% of the full run | 25% | ≤ 20% | missed |" in text
    assert "### Scale 10: seconds and peak RSS (MiB) per stage" in text
    # warehouse at SF1: 9 s full (9× the 1 s floor), 2.25 s incremental (25%), 0.9 s no-change
    assert "| warehouse | 9.0 | 1,500 | 9.0× | 2.2 | 500 | 25% | 0.9 | 400 | 10% |" in text
    assert "| **total** | 12.0 | 3,000 | 12.0× | 3.0 | 1,000 | 25% | 1.2 | 800 | 10% |" in text
    assert "| 10 | previous_day | 2026-10-30 | 66 | 1.0 | 10,000,000 |" in text
    assert "| warehouse | 1.20 |" in text
    assert "| CPU | Test CPU (2 cores) |" in text and "| dbt-core | 1.11.16 |" in text
    assert "Warning" not in text


def test_markdown_warns_of_a_busy_machine_a_dirty_tree_and_an_unfinished_scale(result):
    result["environment"].update(load_average_at_start=3.5, dirty=True)
    result["scales"]["10"]["complete"] = False
    del result["scales"]["10"]["runs"]["no_change"]
    text = scaling_report.markdown(result)
    assert "load average 3.5 at start" in text
    assert "uncommitted changes" in text
    assert "Incomplete scales: 10" in text


def test_svg_is_a_log_log_plot_with_a_line_per_stage_the_totals_and_the_floor(result):
    scaling_report.summarize(result)
    root = ET.fromstring(scaling_report.svg(result))
    ns = "{http://www.w3.org/2000/svg}"
    labels = [t.text for t in root.iter(f"{ns}text")]
    for label in (
        "full: ingest",
        "full: warehouse",
        "full: total",
        "incremental: total",
        "no-change: total",
        "scan floor (DuckDB read)",
        "input rows (landing)",
        "seconds",
    ):
        assert label in labels
    assert "1M" in labels and "10M" in labels  # decade ticks on the rows axis
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 8  # startup, ingest, warehouse, three totals, the floor, 10× it
    assert "10× scan floor (SF1 goal)" in labels

    # log scale: the warehouse rises 10^1.2 over one decade of rows, the floor 10×, so the
    # warehouse line is steeper than the floor's
    def slope(polyline):
        (x1, y1), (x2, y2) = (map(float, p.split(",")) for p in polyline.get("points").split())
        return (y1 - y2) / (x2 - x1)

    by_colour = {line.get("stroke"): line for line in lines}
    assert slope(by_colour[scaling_report.PALETTE[2]]) > slope(by_colour["#888888"])


def test_svg_of_one_scale_has_points_only_and_of_nothing_says_so(result):
    del result["scales"]["10"]
    root = ET.fromstring(scaling_report.svg(result))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.findall(f"{ns}polyline") == [] and root.findall(f"{ns}circle")
    result["scales"] = {}
    empty = ET.fromstring(scaling_report.svg(result))
    assert "no completed run yet" in [t.text for t in empty.iter(f"{ns}text")]


def test_a_result_file_is_rendered_again_beside_itself(result, tmp_path):
    path = tmp_path / "2026-12-04-abcdef0123.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    scaling_report.main([str(path)])
    assert path.with_suffix(".md").read_text(encoding="utf-8") == scaling_report.markdown(result)
    assert path.with_suffix(".svg").read_text(encoding="utf-8").startswith("<svg")
