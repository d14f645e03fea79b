from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


import pytest  # noqa: E402

from salesops.config import HOME_VARIABLE, Paths  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project (once per version of it; a no-op when the parse is current)
    before any test module imports the Dagster definitions, which read the current parse and
    never start dbt themselves (salesops.dbt_cli.parsed_manifest)."""
    from salesops.dbt_cli import ensure_manifest

    ensure_manifest()


def pytest_terminal_summary(terminalreporter) -> None:
    """A test's ``record_property("summary", line)`` is printed at the end of the run (under
    xdist too: the workers send each report's properties back)."""
    lines = [
        value
        for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "summary"
    ]
    if lines:
        terminalreporter.section("summary lines")
        for line in dict.fromkeys(lines):
            terminalreporter.write_line(line)


@pytest.fixture
def salesops_home(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """An empty SALESOPS_HOME in the test's tmp dir: nothing published yet."""
    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path / "home"))
    return Paths.from_env()


# --------------------------------------------------------------------------- planted worlds
# Issues 5 and 6 test the marts by recovering what the simulator planted. Two worlds with
# different planted values (simulator defaults, and simulator/configs/alt.yaml) are each
# generated and run through the whole daily job once per test session; xdist workers share
# them through a file lock in the session's common temp dir.

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

from filelock import FileLock, Timeout  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PLANTED_WORLDS: dict[str, list[str]] = {
    "default": ["--scale", "0.25", "--seed", "42"],
    "alt": ["--config", str(REPO / "simulator" / "configs" / "alt.yaml")],
    "field": ["--config", str(REPO / "simulator" / "configs" / "field.yaml")],
}
PLANTED_PROFILES: dict[str, list[str]] = {
    "field": ["--profile", str(REPO / "profiles" / "field_cn_crm.yaml")],
}
"""The field world's CRM extracts are a 国产 CRM's CSV export, read through its mapping profile."""


@dataclass(frozen=True)
class PlantedWorld:
    name: str
    home: Path
    truth: dict

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def snapshot(self) -> Path:
        return self.home / "warehouse" / "salesops.duckdb"

    def truth_csv(self, name: str):
        import pandas as pd

        return pd.read_csv(self.landing / "truth" / f"{name}.csv")

    def query(self, sql: str, params: list | None = None):
        """A DataFrame from the published, read-only snapshot."""
        import duckdb

        con = duckdb.connect(str(self.snapshot), read_only=True)
        try:
            return con.execute(sql, params or []).df()
        finally:
            con.close()


def _build_world(name: str, home: Path) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "SALESOPS_HOME": str(home), "DAGSTER_HOME": str(home / "dagster_home")}
    generate = [str(bin_dir / "python"), "-m", "simulator", *PLANTED_WORLDS[name]]
    steps = [
        [*generate, "--out", str(home / "landing")],
        [
            str(bin_dir / "salesops"),
            "run",
            "--landing",
            str(home / "landing"),
            *PLANTED_PROFILES.get(name, []),
        ],
    ]
    for command in steps:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, (
            f"{name}: {command}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )


@pytest.fixture(scope="session")
def planted_world(tmp_path_factory):
    """``planted_world(name)`` → :class:`PlantedWorld`, built once per test session.

    ``SALESOPS_PLANTED_ROOT`` points at an already-built root (``<root>/<name>/``) to skip the
    build while developing; CI always builds from scratch."""
    fixed = os.environ.get("SALESOPS_PLANTED_ROOT")
    shared = Path(fixed) if fixed else tmp_path_factory.getbasetemp().parent / "planted_worlds"
    shared.mkdir(parents=True, exist_ok=True)
    cache: dict[str, PlantedWorld] = {}

    def built(name: str) -> bool:
        return (shared / name / "warehouse" / "salesops.duckdb").exists()

    def build_another_while_waiting(name: str) -> None:
        """While another worker builds ``name``, build a world nobody has started (the whole
        suite needs every world: ``make test`` sets SALESOPS_PLANTED_PREBUILD)."""
        if not os.environ.get("SALESOPS_PLANTED_PREBUILD"):
            return
        for other in PLANTED_WORLDS:
            if other == name or built(other):
                continue
            lock = FileLock(str(shared / f"{other}.lock"))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue  # another worker has it
            try:
                if not built(other):
                    _build_world(other, shared / other)
                    return
            except Exception:  # noqa: BLE001 - reported by the test that asks for that world
                shutil.rmtree(shared / other, ignore_errors=True)
                return
            finally:
                lock.release()

    def get(name: str) -> PlantedWorld:
        if name not in cache:
            home = shared / name
            lock = FileLock(str(shared / f"{name}.lock"))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                build_another_while_waiting(name)
                lock.acquire()
            try:
                if not built(name):
                    _build_world(name, home)
            finally:
                lock.release()
            truth = json.loads((home / "landing" / "truth.json").read_text(encoding="utf-8"))
            cache[name] = PlantedWorld(name, home, truth)
        return cache[name]

    return get
