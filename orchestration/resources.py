from pathlib import Path

import dagster as dg

from salesops.config import Paths
from salesops.ingest import CANONICAL, Profile
from salesops.ingest.profile import load_profiles


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
