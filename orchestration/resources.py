
from pathlib import Path

import dagster as dg

from salesops.config import Paths


class SalesopsHome(dg.ConfigurableResource):
    """The one data folder (``SALESOPS_HOME``): landing, bronze, warehouse, snapshot."""

    home: str
    landing: str = ""
    """Landing folder; empty = ``<home>/landing``."""

    def paths(self) -> Paths:
        return Paths(Path(self.home), Path(self.landing) if self.landing else None).ensure()
