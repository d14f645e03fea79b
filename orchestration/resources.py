import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from salesops.config import (
    DBT_TARGET_VARIABLE,
    DEFAULT_DBT_TARGET,
    DEFAULT_DUCKDB_MEMORY,
    DEFAULT_TIMEZONE,
    DUCKDB_MEMORY_VARIABLE,
    HOME_VARIABLE,
    KEEP_SNAPSHOTS_VARIABLE,
    LANDING_VARIABLE,
    PROFILE_VARIABLE,
    REPO_ROOT,
    TIMEZONE_VARIABLE,
    Paths,
    keep_snapshots,
)
from salesops.ingest import CANONICAL, Profile
from salesops.ingest.profile import load_profiles
from salesops.run_lock import RunLock, held_here

SETTING_VARIABLES = {
    "home": HOME_VARIABLE,
    "landing": LANDING_VARIABLE,
    "profile": PROFILE_VARIABLE,
    "timezone": TIMEZONE_VARIABLE,
    "duckdb_memory": DUCKDB_MEMORY_VARIABLE,
    "keep_snapshots": KEEP_SNAPSHOTS_VARIABLE,
    "dbt_target": DBT_TARGET_VARIABLE,
}
"""Each setting of :class:`SalesopsHome` and the environment variable it is read from."""


class SalesopsHome(dg.ConfigurableResource):
    """The run's settings, resolved once: the one data folder (``SALESOPS_HOME``: landing,
    bronze, warehouse, snapshot) and what the assets and the dbt build read besides it. An
    empty setting takes the product's default (salesops/config.py)."""

    home: str = ""
    """Data folder; empty = ``data/`` in the repository."""
    landing: str = ""
    """Landing folder; empty = ``<home>/landing``."""
    profile: str = ""
    """Mapping profile(s) (YAML, os.pathsep-separated); empty = files named after their
    contract table."""
    timezone: str = ""
    """Reporting time zone of the warehouse's naive timestamps; empty = Asia/Shanghai."""
    duckdb_memory: str = ""
    """Memory each DuckDB connection of the run (dbt's included) may hold; empty = 3GB."""
    keep_snapshots: str = ""
    """Published snapshots kept for ``salesops rollback``; empty = 7."""
    dbt_target: str = ""
    """The engine dbt builds the warehouse on: ``dev`` (DuckDB) or ``spark``; empty = dev."""
    _saved: dict[str, str | None] | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """For the run (or the sensor's tick), the base layer's settings are these: the
        ingest's time zone, every DuckDB connection's memory budget and spill folder, and the
        dbt profile read them from the process environment (salesops/config.py), which holds
        this resource's values until the run ends, then what it held before."""
        values = self.process_environment()
        self._saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        for name, value in (self._saved or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved = None

    def paths(self) -> Paths:
        """The home's folders, made when missing (at run time, never when definitions load)."""
        return self.unmade_paths().ensure()

    def unmade_paths(self) -> Paths:
        """The home's folders, none made (a sensor only looks)."""
        home = Path(self.home or REPO_ROOT / "data").resolve()
        return Paths(home, Path(self.landing).resolve() if self.landing else None)

    def mapping_profile(self) -> Profile:
        return load_profiles(self.profile) if self.profile else CANONICAL

    def snapshots_kept(self) -> int:
        return keep_snapshots(self.keep_snapshots or None)

    def dbt_environment(self) -> dict[str, str]:
        """What the dbt profile reads (dbt_project/profiles.yml), from these settings."""
        return {
            HOME_VARIABLE: str(self.unmade_paths().home),
            DUCKDB_MEMORY_VARIABLE: self.duckdb_memory or DEFAULT_DUCKDB_MEMORY,
            DBT_TARGET_VARIABLE: self.dbt_target or DEFAULT_DBT_TARGET,
        }

    def process_environment(self) -> dict[str, str]:
        """The settings the base layer reads from the environment, as this resource resolved them."""
        return {**self.dbt_environment(), TIMEZONE_VARIABLE: self.timezone or DEFAULT_TIMEZONE}


def salesops_settings(environ: Mapping[str, str] | None = None) -> SalesopsHome:
    """The settings resource bound to the environment: each variable that is set becomes a
    ``dg.EnvVar`` (read when a run's resources are set up, shown as such in the UI); an unset
    one keeps its default, since ``dg.EnvVar`` fails a run on an unset variable. Reads the
    environment, never writes it."""
    environ = os.environ if environ is None else environ
    return SalesopsHome(
        **{field: dg.EnvVar(name) for field, name in SETTING_VARIABLES.items() if environ.get(name)}
    )


class HomeRunLock(dg.ConfigurableResource):
    """The home's run lock (salesops/run_lock.py) for runs Dagster starts (the UI, the
    schedules): taken when the run's resources are set up — once per run with the
    in-process executor the daily job uses — and released at its end. A run inside
    ``salesops run`` already holds it; a run started while another one is going fails at
    once, naming the running one."""

    home: str = ""
    """Data folder; empty = ``data/`` in the repository (as :class:`SalesopsHome`)."""
    _lock: RunLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        paths = Paths(Path(self.home or REPO_ROOT / "data").resolve())
        if held_here(paths):
            return
        run_id = context.run_id or f"dagster-{os.getpid()}"
        self._lock = RunLock(paths, run_id).acquire()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
