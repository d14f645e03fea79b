"""The suite's CPU benchmark (benchmarks/suite_cpu.py): its plugin counts the processes a test
waited for, and the report ranks the modules by core-seconds."""

import os
import subprocess
import sys

from benchmarks.suite_cpu import OUT_VARIABLE, per_module, report
from salesops.config import REPO_ROOT

TESTS = """
import subprocess, sys

def test_burns_in_a_child():
    subprocess.run([sys.executable, "-c", "x = 0\\nfor i in range(6_000_000): x += i"], check=True)

def test_idle():
    assert True
"""


def test_a_child_process_the_test_waited_for_counts_in_its_core_seconds(tmp_path):
    (tmp_path / "test_burn.py").write_text(TESTS, encoding="utf-8")
    rows = tmp_path / "rows"
    rows.mkdir()
    # not an xdist worker's (the rows' file is named after the worker)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    env |= {OUT_VARIABLE: str(rows), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "benchmarks.suite_cpu",
            "-p",
            "no:cacheprovider",
            "test_burn.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    lines = dict(line.split("\t", 1) for line in (rows / "main.tsv").read_text().splitlines())
    burn, idle = (
        float(lines[f"test_burn.py::{name}"].split("\t")[0])
        for name in ("test_burns_in_a_child", "test_idle")
    )
    assert burn > 0.2 > idle  # six million additions in the child: well over 0.2 s of CPU
    assert per_module(rows)["test_burn.py"][2] == 2


def test_the_modules_are_ranked_by_core_seconds(tmp_path, bench_environment):
    (tmp_path / "gw0.tsv").write_text(
        "tests/a.py::t1\t10.00\t12.00\ntests/b.py::t1\t30.00\t31.00\n"
    )
    (tmp_path / "gw1.tsv").write_text("tests/a.py::t2\t50.00\t40.00\n")
    modules = per_module(tmp_path)
    assert modules == {"tests/a.py": (60.0, 52.0, 2), "tests/b.py": (30.0, 31.0, 1)}
    text = report(
        modules,
        busy=100.0,
        idle=20.0,
        wall=65.0,
        returncode=0,
        args=["-n", "2"],
        env=bench_environment,
    )
    table = [line for line in text.splitlines() if line.startswith("| tests/")]
    assert table == [
        "| tests/a.py | 60.0 | 66.7% | 52.0 | 2 |",
        "| tests/b.py | 30.0 | 33.3% | 31.0 | 1 |",
    ]
    assert "100 busy and 20 idle core-seconds" in text and "90 core-seconds in tests" in text
    assert "65 s wall (1:05)" in text
    assert text.startswith("# Test suite CPU by module — 2026-12-04 (abcdef0123)")
