"""The dashboards' one door to the warehouse: the published snapshot, read-only.

The publish step builds a new ``salesops.duckdb`` next to the old one and swaps it in
with ``os.replace``. A :class:`Snapshot` names one such file by inode and mtime, so a
publish yields a new Snapshot: the cached connection and every cached query result are
keyed on it and a rerun after a publish reads the new file, while sessions still running
on the old file keep their handle (DuckDB allows this; readers never block the writer).

Every loader takes one :class:`Scope` (or, to build the scope picker, the Snapshot).
Values reach SQL only as bound ``?`` parameters. No widgets live here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pandas as pd
import streamlit as st

from salesops.briefs import files as brief_files
from salesops.config import Paths

# Results are keyed on the snapshot file, so a new publish is seen on the next rerun;
# the TTL only bounds how long results of replaced snapshots stay in memory.
CACHE_TTL = "1h"


class Snapshot(NamedTuple):
    """One published snapshot file; a publish (``os.replace``) gives a new inode/mtime."""

    path: str
    inode: int
    mtime_ns: int


class Viewer(NamedTuple):
    """The signed-in person (``salesops.users``) as the data layer needs them.

    A manager sees ``unit_id`` and every unit under it; a rep sees only rows of their own
    ``rep_id`` (``unit_id`` is then their team, for names and context only)."""

    username: str
    name: str
    role: str
    unit_id: str
    rep_id: str | None = None

    @property
    def is_rep(self) -> bool:
        return self.rep_id is not None


class Scope(NamedTuple):
    """What every page loader is asked for: one org unit within one snapshot, for one viewer.

    SPEC §7 is applied here, in SQL, whatever ``unit_id`` holds: every scoped loader filters
    with :func:`unit_filter`, :func:`subtree_filter` or :func:`rep_filter`, which read only
    units under the viewer's own (a unit outside it, or a crafted value, matches no row)
    and, for a rep, only the rep's own rows.
    """

    snapshot: Snapshot
    viewer: Viewer
    unit_id: str
    name_path: str
    level: str = ""


_UNDER = "select descendant_id from marts.dim_org_unit_closure where ancestor_id = ?"
# the chosen unit's subtree, empty unless the chosen unit is itself under the viewer's
_CHOSEN_SUBTREE = (
    "select descendant_id from marts.dim_org_unit_closure where ancestor_id = ? "
    f"and ancestor_id in ({_UNDER})"
)


def unit_filter(scope: Scope, column: str = "unit_id") -> tuple[str, tuple[Any, ...]]:
    """SQL condition and parameters: rows of the chosen unit itself (unit-grained marts).

    False for a unit outside the viewer's and for every rep (a rep sees no unit totals)."""
    condition = f"({column} = ? and {column} in ({_UNDER}) and ?::varchar is null)"
    return condition, (scope.unit_id, scope.viewer.unit_id, scope.viewer.rep_id)


def subtree_filter(scope: Scope, column: str = "unit_id") -> tuple[str, tuple[Any, ...]]:
    """Rows of units at or under the chosen unit (a drill-down's children); managers only."""
    condition = f"({column} in ({_CHOSEN_SUBTREE}) and ?::varchar is null)"
    return condition, (scope.unit_id, scope.viewer.unit_id, scope.viewer.rep_id)


def rep_filter(
    scope: Scope, rep_column: str = "rep_id", team_column: str = "team_id"
) -> tuple[str, tuple[Any, ...]]:
    """Rep-grained rows: for a manager, rows whose team lies under the chosen unit; for a
    rep, their own rows only."""
    condition = (
        f"(case when ?::varchar is null then {team_column} in ({_CHOSEN_SUBTREE}) "
        f"else {rep_column} = ? end)"
    )
    return condition, (
        scope.viewer.rep_id,
        scope.unit_id,
        scope.viewer.unit_id,
        scope.viewer.rep_id,
    )


class PublishInfo(NamedTuple):
    as_of: dt.date
    published_at: dt.datetime
    run_id: str


class SnapshotUnreadable(RuntimeError):
    """The snapshot exists but lacks a table or column the dashboards read."""


# A missing table is a CatalogException, a missing column a BinderException.
_SCHEMA_ERRORS = (duckdb.CatalogException, duckdb.BinderException)


def current_snapshot() -> Snapshot | None:
    """The snapshot as it is on disk now, or None when nothing has been published yet."""
    path = Paths.from_env().snapshot_db
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return Snapshot(str(path), stat.st_ino, stat.st_mtime_ns)


# Two entries: the current snapshot and, briefly, the one it replaced. An evicted
# connection is closed when the last cursor on it is garbage-collected.
@st.cache_resource(max_entries=2, show_spinner=False)
def _database(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    # Not duckdb.connect(path): DuckDB keeps one database instance per path per process
    # and hands it out again, so after os.replace a fresh connect would still read the
    # old file while any session holds it. A private in-memory instance that attaches
    # the file read-only always opens the file that is at the path now.
    # No replacement scans: a table missing from the snapshot must be an error, never a
    # Python variable of the same name picked up from the calling frame.
    connection = duckdb.connect(":memory:", config={"python_enable_replacements": False})
    connection.execute("attach ? as snapshot (read_only)", (snapshot.path,))
    return connection


def _cursor(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    # One cursor per query: the connection is shared by all sessions, a cursor is the
    # thread-safe way to use it from Streamlit's script threads. Cursors start in the
    # in-memory catalog, hence the ``use``.
    cursor = _database(snapshot).cursor()
    cursor.execute("use snapshot")
    return cursor


def query(snapshot: Snapshot, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    try:
        with _cursor(snapshot) as cursor:
            return cursor.execute(sql, params).df()
    except _SCHEMA_ERRORS as error:
        raise SnapshotUnreadable(str(error)) from error


def query_one(snapshot: Snapshot, sql: str, params: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    try:
        with _cursor(snapshot) as cursor:
            result = cursor.execute(sql, params)
            row = result.fetchone()
            if row is None:
                return None
            return dict(zip([column[0] for column in result.description], row, strict=True))
    except _SCHEMA_ERRORS as error:
        raise SnapshotUnreadable(str(error)) from error


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def publish_info(snapshot: Snapshot) -> PublishInfo | None:
    row = query_one(
        snapshot,
        "select as_of, published_at, run_id from main.publish_info order by published_at desc limit 1",
    )
    return PublishInfo(**row) if row else None


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def viewer_units(snapshot: Snapshot, viewer: Viewer) -> pd.DataFrame:
    """Units the viewer may pick as scope, in tree order (their own unit first, children
    after parents); a rep gets their team only."""
    return query(
        snapshot,
        f"""
        select unit_id, level, name, name_path
        from marts.dim_org_units
        where unit_id in ({_UNDER})
            and (?::varchar is null or unit_id = ?)
        order by name_path, unit_id
        """,
        (viewer.unit_id, viewer.rep_id, viewer.unit_id),
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def resolve_viewer(
    snapshot: Snapshot, username: str, name: str, role: str, unit_id: str | None, rep_id: str | None
) -> Viewer | None:
    """The signed-in user as a :class:`Viewer` on this snapshot, or None when their unit
    (a manager) or their rep id (a rep) is not in it."""
    if role == "rep":
        row = query_one(
            snapshot,
            "select rep_id, name, team_id from marts.dim_reps where rep_id = ?",
            (rep_id,),
        )
        if row is None or row["team_id"] is None:
            return None
        return Viewer(username, row["name"] or name, role, row["team_id"], row["rep_id"])
    row = query_one(
        snapshot, "select unit_id from marts.dim_org_units where unit_id = ?", (unit_id,)
    )
    return None if row is None else Viewer(username, name, role, row["unit_id"], None)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def ingest_warnings(snapshot: Snapshot) -> pd.DataFrame:
    """Tables whose quarantined share of rows is above the warning threshold, from the run's
    ``main.ingest_summary`` (empty for a snapshot published before it existed)."""
    try:
        return query(
            snapshot,
            """
            select table_name, rows_read, rows_quarantined, quarantined_share, warning_share, top_reasons
            from main.ingest_summary
            where is_warning
            order by quarantined_share desc, table_name
            """,
        )
    except SnapshotUnreadable:
        return pd.DataFrame(
            columns=[
                "table_name",
                "rows_read",
                "rows_quarantined",
                "quarantined_share",
                "warning_share",
                "top_reasons",
            ]
        )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def source_availability(snapshot: Snapshot) -> pd.DataFrame:
    """Every landing table with its row count and whether the source has it
    (``fct_source_availability``), by source system then table."""
    return query(
        snapshot,
        """
        select table_name, source, row_count, is_available
        from marts.fct_source_availability
        order by source, table_name
        """,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def mart_availability(snapshot: Snapshot, mart_names: tuple[str, ...]) -> pd.DataFrame:
    """The ``fct_mart_availability`` rows of the marts a page reads (a page asking for a
    mart the snapshot does not list gets no row for it)."""
    return query(
        snapshot,
        """
        select mart_name, is_available, missing_tables, missing_optional_tables
        from marts.fct_mart_availability
        where list_contains(?, mart_name)
        order by mart_name
        """,
        (list(mart_names),),
    )


def brief_dates() -> list[dt.date]:
    """Mornings with a complete brief folder under ``$SALESOPS_HOME/briefs``, newest first.

    Not cached: a directory listing is cheap and a brief written at 06:30 must show up on
    the next rerun.
    """
    return brief_files.brief_dates(brief_files.briefs_dir(Paths.from_env()))


def _brief_folder(brief_date: dt.date) -> Path:
    return brief_files.briefs_dir(Paths.from_env()) / brief_date.isoformat()


def _stamp(path: Path) -> int:
    """The file's mtime, part of a cache key: a rewritten brief folder is read again."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _read_brief_index(path: str, stamp: int) -> dict[str, Any] | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def brief_index(brief_date: dt.date) -> dict[str, Any] | None:
    """The date's ``index.json``: its rep briefs (rep_id, name, team_id) and manager briefs
    (unit_id, name_path, rep_ids under the unit)."""
    path = _brief_folder(brief_date) / brief_files.INDEX_JSON
    return _read_brief_index(str(path), _stamp(path))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _read_brief(folder: str, kind: str, subject_id: str, language: str, stamp: int) -> str | None:
    return brief_files.read_brief(Path(folder), kind, subject_id, language)


def brief_markdown(brief_date: dt.date, kind: str, subject_id: str, language: str) -> str | None:
    """One rep's (``kind="rep"``) or unit's (``"manager"``) brief in one language, or None."""
    folder = _brief_folder(brief_date)
    stamp = _stamp(folder / brief_files.brief_file(kind, subject_id, language))
    return _read_brief(str(folder), kind, subject_id, language, stamp)
