"""Landing extracts → typed bronze Parquet (see :mod:`salesops.ingest.core`)."""

from salesops.ingest.core import (
    FileAccount,
    IgnoredFile,
    Plan,
    TableIngestResult,
    discover_landing,
    ingest_all,
    ingest_table,
    load_registry,
    plan_for,
    plan_landing,
)
from salesops.ingest.errors import IngestError
from salesops.ingest.profile import CANONICAL, Profile, ProfileError, ReadOptions, load_profile

__all__ = [
    "CANONICAL",
    "FileAccount",
    "IgnoredFile",
    "IngestError",
    "Plan",
    "Profile",
    "ProfileError",
    "ReadOptions",
    "TableIngestResult",
    "discover_landing",
    "ingest_all",
    "ingest_table",
    "load_profile",
    "load_registry",
    "plan_for",
    "plan_landing",
]
