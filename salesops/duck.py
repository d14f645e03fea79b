"""In-memory DuckDB connections for the run, with its memory setting (:func:`duckdb_config`).

- :func:`own_database`: a database of its own, for work on whole tables (typing a table,
  checking it). Closing it gives its memory back to the machine, which a long-lived process
  (the Dagster run, which then starts the dbt build beside it) needs.
- :func:`connect`: a cursor of one database shared by the process, for small queries (a count
  of a Parquet file). Creating a DuckDB database costs about 20 ms (its catalog of built-in
  functions); a cursor costs microseconds and is a connection of its own: temporary tables
  stay private to it and are dropped when it closes.

Not for files on disk (the warehouse, the snapshot): those are opened with ``duckdb.connect``.
"""

from __future__ import annotations

import threading

import duckdb

from salesops.config import duckdb_config

_DATABASES: dict[tuple, duckdb.DuckDBPyConnection] = {}
_LOCK = threading.Lock()


def own_database() -> duckdb.DuckDBPyConnection:
    """A new in-memory database with the run's memory limit and spill directory; close it."""
    con = duckdb.connect(config=duckdb_config())  # duckdb 2.0 refuses enable_progress_bar here
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = true")
    return con


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
