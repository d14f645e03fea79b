"""``salesops run`` on a small landing (the flat_opportunities sample profile, one mart): the
console has one line per stage and the run summary, the run log has every Dagster event and
dbt line; ``-v`` puts them back on the console; a failed ingest names the file on the console."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salesops.console import PREPARE, STAGES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "profiles" / "fixtures" / "flat_opportunities"
SALESOPS = str(Path(sys.executable).with_name("salesops"))
DBT_NODE_LINE = re.compile(r"^\d+ of \d+ (START|OK|PASS|ERROR|FAIL|SKIP)", re.MULTILINE)
LABELS = [PREPARE.label, *(stage.label for stage in STAGES)]


def run(home: Path, *extra: str, landing: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESOPS_")}
    env.update(SALESOPS_HOME=str(home), DAGSTER_HOME=str(home / "dagster_home"))
    args = [
        SALESOPS,
        "run",
        "--landing",
        str(landing or home / "landing"),
        "--profile",
        str(ROOT / "profiles" / "flat_opportunities.yaml"),
        "--select",
        "dim_opportunities",
        *extra,
    ]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)


def stored_runs(home: Path) -> list:
    """The runs Dagster recorded in the home's $DAGSTER_HOME (what the UI of make dev shows)."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    if not (home / "dagster_home").exists():
        return []
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home / "dagster_home"))) as instance:
        return list(instance.get_runs())


def log_of(stdout: str, times: int = 2) -> Path:
    paths = re.findall(r"^Run log 运行日志: (\S+)$", stdout, re.MULTILINE)
    assert len(paths) == times and len(set(paths)) == 1, stdout  # at the start (and the end)
    return Path(paths[0])


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("console_home")
    shutil.copytree(FIXTURE, home / "landing")
    return home


@pytest.fixture(scope="module")
def quiet(home):
    done = run(home)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_the_console_has_one_line_per_stage_and_the_log_has_everything(home, quiet):
    out = quiet.stdout
    stage_lines = [line for line in out.splitlines() if line.startswith(tuple(LABELS))]
    assert [next(label for label in LABELS if line.startswith(label)) for line in stage_lines] != []
    assert sorted(line.split()[0] for line in stage_lines) == sorted(
        label.split()[0] for label in LABELS
    )  # each stage exactly once
    for line in stage_lines:
        assert re.search(r"(done 完成|not selected 未选择)$", line), line
    warehouse = next(line for line in stage_lines if line.startswith("warehouse"))
    done, total = map(int, re.search(r"([\d,]+)/([\d,]+) dbt nodes", warehouse).groups())
    assert done == total > 0
    assert "What happened to your rows 数据去向:" in out and "已发布" in out
    everything = out + quiet.stderr
    assert " DEBUG " not in everything and "STEP_START" not in everything
    assert not DBT_NODE_LINE.search(everything) and "Calculating Metrics" not in everything
    assert len(out.splitlines()) < 60

    log = log_of(out).read_text(encoding="utf-8")
    for event in ("RUN_START", "STEP_START", "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION", "RUN_SUCCESS"):
        assert event in log, event
    assert " - DEBUG - " in log
    assert len(DBT_NODE_LINE.findall(log)) >= total  # every dbt node's line
    assert f"TOTAL={total}" in log  # the counter is dbt's own count of the nodes it ran
    assert "Calculating Metrics" not in log  # GX progress bars are off
    assert stored_runs(home) == []  # the run log has it all; Dagster's store only on request


def test_verbose_puts_the_events_and_dbt_lines_back_on_the_console(home, quiet):
    done = run(home, "-v")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    everything = done.stdout + done.stderr
    assert "STEP_START" in everything and " - DEBUG - " in everything
    assert DBT_NODE_LINE.search(everything)
    assert "What happened to your rows 数据去向:" in done.stdout
    log = log_of(done.stdout)
    assert log != log_of(quiet.stdout) and "STEP_START" in log.read_text(encoding="utf-8")


def test_each_dbt_build_keeps_its_log_and_artifacts_in_the_home_not_the_project(home, quiet):
    """dbt's own log (every statement) and artifacts of the run's builds: in the home, named in
    the run log; the dbt project (the installation's, shared by every home) gets none."""
    log = log_of(quiet.stdout).read_text(encoding="utf-8")
    named = re.findall(r"dbt's log and artifacts dbt 日志与产物: (\S+)", log)
    assert named, log[-2000:]
    run_id = re.search(r"-([0-9a-f]{8})\.log$", str(log_of(quiet.stdout))).group(1)
    for folder in map(Path, named):
        assert folder.parent == home / "logs" / "dbt" and run_id in folder.name
        assert (folder / "dbt.log").stat().st_size > 0
        results = json.loads((folder / "run_results.json").read_text(encoding="utf-8"))
        assert results["results"], folder
    assert not list((ROOT / "dbt_project" / "target").glob(f"*-{run_id[:7]}-*"))


def test_a_failed_ingest_says_which_stage_failed_and_why_on_the_console(home, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing)
    pipeline = landing / "sales_pipeline.csv"
    lines = pipeline.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    column = header.index("opportunity_id")
    rows = [",".join(c for i, c in enumerate(line.rstrip("\n").split(",")) if i != column) + "\n" for line in lines]
    pipeline.write_text("".join(rows), encoding="utf-8")

    done = run(home, "--dagster-history", landing=landing)  # recorded for the Dagster UI too
    assert done.returncode != 0
    out = done.stdout
    ingest = next(line for line in out.splitlines() if line.startswith("ingest"))
    assert "FAILED 失败" in ingest
    failure = out.split("What failed 失败原因:", 1)[1]
    assert "IngestError: " in failure and "sales_pipeline.csv: missing required column" in failure
    assert "Traceback" not in failure and "Dependencies for step" not in out
    warehouse = next(line for line in out.splitlines() if line.startswith("warehouse"))
    assert "skipped 未运行" in warehouse and "dbt nodes" not in warehouse
    assert str(log_of(out, times=1)) in done.stderr  # the error message names the log
    assert "(and the Dagster UI: make dev)" in done.stderr
    [stored] = stored_runs(home)
    assert stored.status.value == "FAILURE" and stored.run_id in done.stderr


def test_demo_generation_says_what_it_made_in_plain_lines_without_a_terminal(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESOPS_")}
    args = [SALESOPS, "demo", "--prepare-only", "--scale", "0.02", "--seed", "3", "--home", str(tmp_path / "demo")]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^Demo: sample generated in \d+ s, [\d,]+ rows in \d+ tables 示例数据已生成$", done.stdout, re.MULTILINE)
    assert "\r" not in done.stdout + done.stderr and "simulate" not in done.stderr  # no bar in a log
