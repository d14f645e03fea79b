"""The scaling benchmark's runner without the real job: a new day's landing swapped in file by
file, a run measured end to end on a stand-in ``salesops`` (memory of its child attributed to
the stage it ran in), results written and resumed, the scales parsed."""

from __future__ import annotations

import argparse
import json
import os
import sys

import pytest

from benchmarks import scaling


def test_a_new_day_replaces_only_the_files_that_changed_and_keeps_the_earlier_extracts(tmp_path):
    old, new, target = tmp_path / "old", tmp_path / "new", tmp_path / "home_landing"
    for folder, files in {
        old: {"crm/reps.csv": "a", "crm/leads.csv": "b", "crm/opportunities_2026-10-30.csv": "o"},
        new: {"crm/reps.csv": "a", "crm/leads.csv": "b2", "crm/opportunities_2026-10-31.csv": "o2"},
    }.items():
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
    (target / "crm").mkdir(parents=True)
    (target / "crm" / "products.csv").write_text("p")  # a file the new day no longer has
    assert scaling.sync_landing(old, target) == {"copied": 3, "removed": 1, "kept": 0}
    reps = target / "crm" / "reps.csv"
    os.utime(reps, ns=(1_000_000_000, 1_000_000_000))
    assert scaling.sync_landing(new, target) == {"copied": 2, "removed": 0, "kept": 2}
    assert reps.stat().st_mtime_ns == 1_000_000_000  # untouched: the ingest sees it unchanged
    assert (target / "crm" / "leads.csv").read_text() == "b2"
    assert sorted(p.name for p in (target / "crm").iterdir()) == [
        "leads.csv",
        "opportunities_2026-10-30.csv",  # yesterday's extract stays, as in a daily feed
        "opportunities_2026-10-31.csv",
        "reps.csv",
    ]


FAKE_SALESOPS = """\
#!{python}
# Stands in for `salesops run`: a stage record beside a run log, as salesops/console.py writes.
import json, os, subprocess, sys, time
from pathlib import Path

assert sys.argv[1:3] == ["run", "--landing"], sys.argv
log = Path(os.environ["SALESOPS_HOME"]) / "logs" / "run-20261204T000000Z-fake0000.log"
log.parent.mkdir(parents=True)
log.write_text("log")
time.sleep(0.2)
prepare = time.time()
time.sleep(0.2)
ingest = time.time()
time.sleep(0.3)
warehouse = time.time()
subprocess.run([sys.executable, "-c", "import time; b = b'x' * (300 * 2**20); time.sleep(1.0)"])
done = time.time()
record = {{
    "stages": [{{"name": "prepare", "status": "done", "started": prepare, "finished": ingest}}],
    "steps": [
        {{"step": "bronze__a", "stage": "ingest", "started": ingest, "finished": warehouse, "ok": True}},
        {{"step": "dbt", "stage": "warehouse", "started": warehouse, "finished": done, "ok": True}},
    ],
}}
log.with_suffix(".stages.json").write_text(json.dumps(record))
print(f"Run log 运行日志: {{log}}")
time.sleep(0.1)
"""


def test_a_run_is_measured_per_stage_with_its_children_memory(tmp_path, monkeypatch):
    fake = tmp_path / "salesops"
    fake.write_text(FAKE_SALESOPS.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setattr(scaling, "salesops_executable", lambda: str(fake))
    home = tmp_path / "home"
    run = scaling.measure_run("full", home, tmp_path / "landing", tmp_path / "out", interval=0.02)

    assert run["ok"] and run["returncode"] == 0
    assert list(run["stages"]) == ["startup", "prepare", "ingest", "warehouse", "wrap_up"]
    assert sum(s["seconds"] for s in run["stages"].values()) == pytest.approx(
        run["seconds"], abs=0.01
    )
    # the child's 300 MiB string is the warehouse's; the ingest's tree is one small Python
    assert run["stages"]["warehouse"]["peak_rss_mib"] > 300
    assert run["stages"]["ingest"]["peak_rss_mib"] < 150
    assert run["peak_rss_mib"] == run["stages"]["warehouse"]["peak_rss_mib"]
    assert run["max_process_rss_mib"] > 300  # the kernel's peak of the largest process
    assert run["run_log"].endswith("run-20261204T000000Z-fake0000.log")
    out = tmp_path / "out"
    assert json.loads((out / "stages.json").read_text())["steps"][1]["stage"] == "warehouse"
    assert (out / "samples.tsv").read_text().count("\n") == run["samples"] + 1
    assert "Run log" in (out / "stdout.txt").read_text()


def test_a_failed_run_without_a_record_is_unattributed(tmp_path, monkeypatch):
    fake = tmp_path / "salesops"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.exit('no extracts')\n")
    fake.chmod(0o755)
    monkeypatch.setattr(scaling, "salesops_executable", lambda: str(fake))
    run = scaling.measure_run(
        "full", tmp_path / "home", tmp_path / "landing", tmp_path / "out", 0.02
    )
    assert not run["ok"] and run["returncode"] == 1
    assert list(run["stages"]) == ["unattributed"]
    assert "no extracts" in (tmp_path / "out" / "stderr.txt").read_text()


def test_scales_are_parsed_sorted_and_positive():
    assert scaling.parse_scales("0.1 1 10") == [0.1, 1.0, 10.0]
    assert scaling.parse_scales("10,0.1  1 1") == [0.1, 1.0, 10.0]
    with pytest.raises(argparse.ArgumentTypeError):
        scaling.parse_scales("0 1")
    assert scaling.scale_key(0.1) == "0.1" and scaling.scale_key(10.0) == "10"


def test_the_last_day_is_the_simulated_extract_date(tmp_path):
    (tmp_path / "truth.json").write_text(json.dumps({"end_timestamp": "2026-10-31 23:59:59"}))
    assert scaling.last_day(tmp_path).isoformat() == "2026-10-31"


def test_results_are_written_as_json_markdown_and_svg_and_resumed_by_sha(tmp_path, bench_environment):
    env = bench_environment
    paths = scaling.result_paths(tmp_path, env)
    assert paths["json"].name == "2026-12-04-abcdef0123.json"
    result = {
        "schema": 1,
        "environment": env,
        "settings": {"seed": 42, "sample_interval_s": 0.1, "floor_repeats": 3},
        "scales": {"0.1": {"scale": 0.1, "complete": True, "runs": {}, "floors": {}}},
    }
    scaling.save_result(result, paths)
    assert all(path.exists() for path in paths.values())
    assert json.loads(paths["json"].read_text())["summary"]["goals"][0]["status"] == "not measured"
    assert paths["md"].read_text().startswith("# Daily-run scaling benchmark")
    assert scaling.previous_result(tmp_path, env)["scales"]["0.1"]["complete"] is True
    other = {**env, "sha": "abcdef0123ffffff"}  # same short SHA, another commit
    assert scaling.previous_result(tmp_path, other) is None
    assert scaling.previous_result(tmp_path, {**env, "short_sha": "0000000000"}) is None
    assert not list(tmp_path.glob("*.tmp"))


def test_environment_names_the_machine_the_versions_and_the_commit():
    env = scaling.environment()
    assert env["cores"] == os.cpu_count() and env["python"].count(".") == 2
    assert set(env["versions"]) == set(scaling.PACKAGES) and env["versions"]["duckdb"]
    assert len(env["sha"]) == 40 and env["short_sha"] == env["sha"][:10]
    assert isinstance(env["dirty"], bool) and env["load_average_at_start"] >= 0
