"""No fake data in a user's warehouse: ``salesops run`` refuses an empty or missing landing
folder (before writing anything, the published snapshot untouched); sample data exists only
in the demo's own home (``salesops demo``), never in ``SALESOPS_HOME``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import DEMO_MARKER, main
from orchestration.defs.ingest.assets import _ingest_asset
from orchestration.resources import SalesopsHome
from salesops import contract
from salesops.config import Paths
from salesops.landing import extract_files
from salesops.publish import open_snapshot, publish_snapshot

SALESOPS = str(Path(sys.executable).with_name("salesops"))
VARIABLES = (
    "SALESOPS_HOME",
    "SALESOPS_LANDING",
    "SALESOPS_PROFILE",
    "SALESOPS_DEMO_HOME",
    "SALESOPS_QUARANTINE_WARNING_SHARE",
    "DAGSTER_HOME",
)


@pytest.fixture
def clean_env(monkeypatch):
    """The CLI writes its paths into os.environ; monkeypatch puts them back afterwards.

    Each variable is set before it is deleted: ``delenv`` of an unset variable records
    nothing, so a value the CLI wrote later would outlive the test and leak into the next
    test of the worker (a later ``salesops run`` subprocess read this test's landing)."""
    for variable in VARIABLES:
        monkeypatch.setenv(variable, "")
        monkeypatch.delenv(variable)
    return monkeypatch


def tree(folder: Path) -> list[str]:
    return (
        sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
        if folder.exists()
        else []
    )


def assert_refused(result, landing: Path) -> None:
    assert result.exit_code != 0
    assert f"landing folder {landing}" in result.output
    assert "salesops demo" in result.output and "落地目录" in result.output  # both languages
    assert "Traceback" not in result.output


def test_a_missing_landing_folder_stops_the_run_before_anything_is_written(tmp_path, clean_env):
    home = tmp_path / "home"
    clean_env.setenv("SALESOPS_HOME", str(home))

    default = CliRunner().invoke(main, ["run"])
    assert_refused(default, home / "landing")
    assert "does not exist" in default.output and "不存在" in default.output

    elsewhere = tmp_path / "no_such_exports"
    explicit = CliRunner().invoke(main, ["run", "--landing", str(elsewhere)])
    assert_refused(explicit, elsewhere)
    assert not home.exists() and not elsewhere.exists()  # no warehouse, no landing, no Dagster home


def test_an_empty_landing_folder_stops_the_run_without_creating_a_warehouse(tmp_path, clean_env):
    home = tmp_path / "home"
    landing = home / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "notes.md").write_text("exports arrive on Monday", encoding="utf-8")  # not data
    (landing / "crm" / ".~lock.reps.csv#").write_text("x", encoding="utf-8")  # editor lock file
    clean_env.setenv("SALESOPS_HOME", str(home))

    result = CliRunner().invoke(
        main, ["run", "--no-sample"]
    )  # the deprecated flag is still accepted
    assert_refused(result, landing)
    assert "holds no extract files" in result.output
    assert tree(home) == [
        "landing",
        "landing/crm",
        "landing/crm/.~lock.reps.csv#",
        "landing/notes.md",
    ]


def test_a_run_on_an_emptied_landing_leaves_the_published_snapshot_byte_identical(
    tmp_path, clean_env
):
    paths = Paths(tmp_path / "home").ensure()
    reps = paths.landing / "crm" / "reps.csv"
    reps.parent.mkdir(parents=True)
    reps.write_text("rep_id,name,team_id,hired_at\nR1,王芳,T1,2025-01-06\n", encoding="utf-8")
    assert extract_files(paths.landing) == [reps]
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema marts")
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_as_of_resolved as select date '2026-11-30' as as_of"
        )
        con.execute(
            "create table marts.fct_figures as select 42 as value, date '2026-11-30' as as_of"
        )
    publish_snapshot(paths, run_id="yesterday")
    before = paths.snapshot_db.read_bytes(), paths.snapshot_db.stat().st_mtime_ns
    build_before = paths.build_db.read_bytes()

    reps.unlink()  # the export job failed overnight: the landing folder is empty
    clean_env.setenv("SALESOPS_HOME", str(paths.home))
    result = CliRunner().invoke(main, ["run"])

    assert_refused(result, paths.landing)
    assert (paths.snapshot_db.read_bytes(), paths.snapshot_db.stat().st_mtime_ns) == before
    assert paths.build_db.read_bytes() == build_before
    with open_snapshot(paths) as con:  # what the dashboards open
        assert con.execute("select value from marts.fct_figures").fetchone() == (42,)
        assert con.execute("select run_id from main.publish_info").fetchone() == ("yesterday",)


def test_run_no_longer_offers_sample_generation(clean_env, tmp_path):
    clean_env.setenv("SALESOPS_HOME", str(tmp_path / "home"))
    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    assert (
        "--landing" in help_text and "--no-sample" not in help_text and "--scale" not in help_text
    )
    refused = CliRunner().invoke(main, ["run", "--sample"])
    assert refused.exit_code == 2 and "salesops demo" in refused.output
    assert not (tmp_path / "home").exists()


def test_the_scheduled_job_fails_at_ingest_on_an_empty_landing(tmp_path):
    """Dagster's daily_refresh (schedule or UI) does not ingest an emptied landing either, so
    nothing downstream (dbt, publish) runs."""
    home = SalesopsHome(home=str(tmp_path))
    asset = _ingest_asset(contract.table("reps"))
    result = dg.materialize([asset], resources={"salesops_home": home}, raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    description = failure.step_failure_data.user_failure_data.description
    assert f"landing folder {tmp_path / 'landing'}" in description and "落地目录" in description
    assert tree(tmp_path / "bronze") == []


def demo(*args: str, cwd: Path, user_home: Path) -> subprocess.CompletedProcess:
    """``salesops demo`` in a subprocess: the simulator and the ingest share DuckDB's default
    connection badly in one process, and the demo sets the process's environment."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["SALESOPS_HOME"] = str(user_home)
    return subprocess.run(
        [SALESOPS, "demo", "--prepare-only", "--scale", "0.02", "--seed", "3", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_puts_the_sample_in_its_own_home_never_in_salesops_home(tmp_path):
    user_home = tmp_path / "my_sales"
    first = demo(cwd=tmp_path, user_home=user_home)
    assert first.returncode == 0, first.stdout + first.stderr
    landing = tmp_path / "demo" / "landing"  # default: ./demo under the current directory
    files = {p.relative_to(landing).as_posix() for p in extract_files(landing)}
    assert {"crm/opportunities.csv", "finance/contracts.csv"} <= files
    assert any(f.startswith("chat/") and f.endswith(".jsonl") for f in files)
    assert (tmp_path / "demo" / DEMO_MARKER).exists()
    assert not user_home.exists()
    assert not (tmp_path / "demo" / "warehouse").exists()  # prepare only: no run

    stamps = {p: p.stat().st_mtime_ns for p in extract_files(landing)}
    again = demo("--home", str(tmp_path / "demo"), cwd=tmp_path / "demo", user_home=user_home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "already in" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in extract_files(landing)} == stamps  # not regenerated
    assert not user_home.exists()


def test_demo_refuses_salesops_home_and_folders_it_did_not_make(tmp_path, clean_env):
    user_home = tmp_path / "my_sales"
    (user_home / "landing" / "crm").mkdir(parents=True)
    (user_home / "landing" / "crm" / "reps.csv").write_text("rep_id\nR1\n", encoding="utf-8")
    before = tree(user_home)
    clean_env.setenv("SALESOPS_HOME", str(user_home))

    same = CliRunner().invoke(main, ["demo", "--prepare-only", "--home", str(user_home)])
    assert same.exit_code == 1 and "is your SALESOPS_HOME" in same.output

    clean_env.setenv("SALESOPS_HOME", str(tmp_path / "elsewhere"))
    foreign = CliRunner().invoke(main, ["demo", "--prepare-only", "--home", str(user_home)])
    assert foreign.exit_code == 1 and "is not a demo folder" in foreign.output
    assert tree(user_home) == before
