import os
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from salesops.config import Paths
from salesops.ingest import CANONICAL, Profile
from salesops.ingest.profile import load_profiles
from salesops.run_lock import RunLock, held_here


class SalesopsHome(dg.ConfigurableResource):
    """The one data folder (``SALESOPS_HOME``): landing, bronze, warehouse, snapshot."""

    home: str
    landing: str = ""
    """Landing folder; empty = ``<home>/landing``."""
    profile: str = ""
    """Mapping profile (YAML); empty = files named after their contract table."""

    def paths(self) -> Paths:
        return Paths(Path(self.home), Path(self.landing) if self.landing else None).ensure()

    def mapping_profile(self) -> Profile:
        return load_profiles(self.profile) if self.profile else CANONICAL


class HomeRunLock(dg.ConfigurableResource):
    """The home's run lock (salesops/run_lock.py) for runs Dagster starts (the UI, the
    schedules): taken when the run's resources are set up — once per run with the
    in-process executor the daily job uses — and released at its end. A run inside
    ``salesops run`` already holds it; a run started while another one is going fails at
    once, naming the running one."""

    home: str
    _lock: RunLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        paths = Paths(Path(self.home))
        if held_here(paths):
            return
        run_id = context.run_id or f"dagster-{os.getpid()}"
        self._lock = RunLock(paths, run_id).acquire()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
