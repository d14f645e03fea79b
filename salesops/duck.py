"""DuckDB connections for the run's table work: one in-memory database per process, shared
through cursors.

Creating a DuckDB database costs about 20 ms (its catalog of built-in functions); the ingest
opens a connection per table and per check, so a run of 21 tables paid about 1.5 s for
databases and a test of the bad-input corpus most of its time. A cursor of a shared database
costs microseconds and is a connection of its own: temporary tables stay private to it and
are dropped when it closes. Settings (memory limit, spill directory: :func:`duckdb_config`)
belong to the database, so there is one database per distinct configuration.

Not for files on disk (the warehouse, the snapshot): those are opened with ``duckdb.connect``.
"""

from __future__ import annotations

import threading

import duckdb

from salesops.config import duckdb_config

_DATABASES: dict[tuple, duckdb.DuckDBPyConnection] = {}
_LOCK = threading.Lock()


def connect() -> duckdb.DuckDBPyConnection:
    """A new connection (a cursor) to this process's in-memory database; close it when done."""
    config = duckdb_config()
    key = tuple(sorted(config.items()))
    with _LOCK:
        database = _DATABASES.get(key)
        if database is None:
            database = _DATABASES[key] = duckdb.connect(config=config)
            database.execute("set enable_progress_bar = false")
            # insertion order kept everywhere: a bronze file lists rows as its extracts did
            database.execute("set preserve_insertion_order = true")
    return database.cursor()
