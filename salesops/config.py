"""Where everything lives: one variable, ``SALESOPS_HOME``, feeds Dagster, dbt and the dashboards.

Default: ``data/`` in the repository. Layout under it::

    landing/{crm,chat,finance}/   extracts (the landing contract, SPEC §3)
    bronze/<table>.parquet        typed tables written by the ingest assets
    quarantine/                   rows that failed typing or a contract rule
    warehouse/build.duckdb        the one writer's working warehouse (dbt builds here)
    warehouse/salesops.duckdb     the published, read-only snapshot readers open
    warehouse/snapshots/          the last N published snapshots (``salesops rollback``)
    run.lock                      held by the one run at a time (salesops/run_lock.py)
    logs/runs.jsonl               run history: each run's start and end (``salesops status``)
    logs/dbt/<build>/             dbt's own log and artifacts of the daily job's last builds
    tmp/work/                     private (0700) working copies of decoded extracts
    dagster_home/                 Dagster's run history
    ml/<table>.parquet            the forecasting models' predictions (the dbt source ``ml``)

Trained models and their model cards go to ``models/`` in the repository for the default
home, to ``<home>/models/`` for any other (``SALESOPS_MODELS`` overrides both), so a test's
or a second installation's models never mix with the repository's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MODELS_DIR = REPO_ROOT / "models"

HOME_VARIABLE = "SALESOPS_HOME"
MODELS_VARIABLE = "SALESOPS_MODELS"


LANDING_VARIABLE = "SALESOPS_LANDING"
PROFILE_VARIABLE = "SALESOPS_PROFILE"
"""Mapping profile(s) for the landing files (``salesops run --profile``, os.pathsep-separated
when several); unset = canonical names."""
TIMEZONE_VARIABLE = "SALESOPS_TIMEZONE"
DEFAULT_TIMEZONE = "Asia/Shanghai"


DUCKDB_MEMORY_VARIABLE = "SALESOPS_DUCKDB_MEMORY"
DEFAULT_DUCKDB_MEMORY = "3GB"
"""How much memory each DuckDB connection of a run may hold before it spills to disk
(``SALESOPS_DUCKDB_MEMORY``, a DuckDB size such as ``3GB``). DuckDB's own default is 80% of
the machine; the run, its dbt build and the machine's other users share one, and the daily
run must stay within 6 GiB at scale 10 (issue 12): the dbt profile reads the same variable."""


DBT_TARGET_VARIABLE = "SALESOPS_DBT_TARGET"
DEFAULT_DBT_TARGET = "dev"
SPARK_TARGET = "spark"
"""The dbt target the warehouse is built on (``dbt_project/profiles.yml``): ``dev``, DuckDB
(the embedded default), or ``spark`` (README "When one machine is not enough")."""


def dbt_target() -> str:
    return os.environ.get(DBT_TARGET_VARIABLE) or DEFAULT_DBT_TARGET


KEEP_SNAPSHOTS_VARIABLE = "SALESOPS_KEEP_SNAPSHOTS"
DEFAULT_KEEP_SNAPSHOTS = 7
"""Published snapshots kept in ``warehouse/snapshots/`` for ``salesops rollback``: a week of
daily runs by default."""


def keep_snapshots(setting: str | int | None = None) -> int:
    """How many published snapshots to keep: ``setting`` (the run's settings resource), else
    ``SALESOPS_KEEP_SNAPSHOTS``; at least 1."""
    value = str(setting or os.environ.get(KEEP_SNAPSHOTS_VARIABLE) or DEFAULT_KEEP_SNAPSHOTS)
    try:
        keep = int(value)
    except ValueError:
        raise ValueError(
            f"{KEEP_SNAPSHOTS_VARIABLE}={value!r}: give a whole number of snapshots to keep "
            f"(default {DEFAULT_KEEP_SNAPSHOTS}) 保留快照数须为整数"
        ) from None
    return max(1, keep)


def duckdb_config() -> dict[str, str]:
    """Settings for every DuckDB connection that reads or writes a whole table: the memory
    limit above, spill files under ``$SALESOPS_HOME/tmp/duckdb`` (an in-memory connection
    would spill into the working directory), and no extension downloads: nothing the product
    uses needs one, and after an SF10 build was killed, reopening its warehouse failed while
    DuckDB replayed the log of unfinished writes, trying to download ``core_functions`` (built
    in) with no network; with downloads off the same file opened."""
    return {
        "memory_limit": os.environ.get(DUCKDB_MEMORY_VARIABLE) or DEFAULT_DUCKDB_MEMORY,
        "temp_directory": str(spill_directory()),
        "autoinstall_known_extensions": "false",
    }


def spill_directory() -> Path:
    """``$SALESOPS_HOME/tmp/duckdb``, made when missing: DuckDB creates only the last folder
    of its spill path, and fails the query that needs to spill when the parent is missing."""
    home = Path(os.environ.get(HOME_VARIABLE) or REPO_ROOT / "data")
    folder = home / "tmp" / "duckdb"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reporting_timezone() -> str:
    """The zone the warehouse's naive timestamps are in (``SALESOPS_TIMEZONE``, default
    Asia/Shanghai): timestamps with an offset, epoch times (a chat archive's ``msgtime``) and
    naive ones in a profile's ``timezone`` are converted to it at ingest."""
    return os.environ.get(TIMEZONE_VARIABLE) or DEFAULT_TIMEZONE


@dataclass(frozen=True)
class Paths:
    home: Path
    landing_dir: Path | None = None
    """Read extracts from here instead of ``<home>/landing`` (``salesops run --landing``)."""

    @classmethod
    def from_env(cls) -> Paths:
        home = Path(os.environ.get(HOME_VARIABLE) or REPO_ROOT / "data").resolve()
        landing = os.environ.get(LANDING_VARIABLE)
        return cls(home, Path(landing).resolve() if landing else None)

    @property
    def landing(self) -> Path:
        return self.landing_dir or self.home / "landing"

    @property
    def bronze(self) -> Path:
        return self.home / "bronze"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def warehouse_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def build_db(self) -> Path:
        return self.warehouse_dir / "build.duckdb"

    @property
    def snapshot_db(self) -> Path:
        return self.warehouse_dir / "salesops.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        """The kept published snapshots, named ``<published at>_<run id>.duckdb``."""
        return self.warehouse_dir / "snapshots"

    @property
    def run_lock(self) -> Path:
        return self.home / "run.lock"

    @property
    def run_history(self) -> Path:
        return self.home / "logs" / "runs.jsonl"

    @property
    def dbt_builds(self) -> Path:
        """One folder per dbt build of the daily job (salesops.dbt_cli.build_folder)."""
        return self.home / "logs" / "dbt"

    @property
    def work_dir(self) -> Path:
        """Private working copies of decoded extracts (raw text, personal data included):
        made 0700, files 0600, removed when their table is done and at every run's start."""
        return self.home / "tmp" / "work"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def models(self) -> Path:
        """Trained model artifacts and model cards (``models/<name>/<version>/``)."""
        chosen = os.environ.get(MODELS_VARIABLE)
        if chosen:
            return Path(chosen).resolve()
        return MODELS_DIR if self.home == (REPO_ROOT / "data").resolve() else self.home / "models"

    def ensure(self) -> Paths:
        for p in (
            self.landing,
            self.bronze,
            self.quarantine,
            self.warehouse_dir,
            self.dagster_home,
            self.reports,
        ):
            p.mkdir(parents=True, exist_ok=True)
        return self


DAGSTER_YAML = """\
telemetry:
  enabled: false
# one run at a time: the schedules' and the landing sensor's runs queue instead of two dbt
# builds fighting over the warehouse file's single writer
run_queue:
  max_concurrent_runs: 1
"""
_EARLIER_DAGSTER_YAML = "telemetry:\n  enabled: false\n"
"""What homes made before the run queue got: replaced by :data:`DAGSTER_YAML` (a file the user
edited is left alone)."""


def export_environment(paths: Paths) -> None:
    """Set the variables the dbt profile and Dagster read, from the one home."""
    os.environ[HOME_VARIABLE] = str(paths.home)
    if paths.landing_dir:
        os.environ[LANDING_VARIABLE] = str(paths.landing_dir)
    os.environ.setdefault("DAGSTER_HOME", str(paths.dagster_home))
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance_file = dagster_home / "dagster.yaml"
    if not instance_file.exists() or instance_file.read_text() == _EARLIER_DAGSTER_YAML:
        instance_file.write_text(DAGSTER_YAML)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
