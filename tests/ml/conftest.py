"""A small generated SALESOPS_HOME with bronze and signal files, shared by the recovery tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ml.chat_signals.extract import SignalsResult, extract_home_signals
from salesops.config import DBT_PROJECT_DIR, Paths
from salesops.ingest import ingest_all

SCALE = 0.1
SEED = 42
DBT = Path(sys.executable).with_name("salesops-dbt")


@dataclass(frozen=True)
class SignalsHome:
    home: Path
    truth: dict
    result: SignalsResult

    @property
    def bronze(self) -> Path:
        return self.home / "bronze"


@pytest.fixture(scope="session")
def signals_home(tmp_path_factory) -> SignalsHome:
    """Simulator landing (scale 0.1) → bronze (the real ingest) → signal files (the real extract)."""
    home = tmp_path_factory.mktemp("signals_home")
    # in a subprocess, like the CLI: the simulator uses DuckDB's default connection, after
    # which the ingest's duckdb.connect(config=...) is refused in the same process
    salesops = Path(sys.executable).with_name("salesops")
    done = subprocess.run(
        [
            str(salesops),
            "generate",
            "--scale",
            str(SCALE),
            "--seed",
            str(SEED),
            "--out",
            str(home / "landing"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    paths = Paths(home).ensure()
    ingest_all(paths)
    result = extract_home_signals(home)
    truth = json.loads((home / "landing" / "truth.json").read_text(encoding="utf-8"))
    return SignalsHome(home, truth, result)


def run_dbt(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(home / "dbt_target"),
        "--log-path",
        str(home / "dbt_logs"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="session")
def dbt_runner():
    """:func:`run_dbt` as a fixture (test modules are imported in importlib mode)."""
    return run_dbt
