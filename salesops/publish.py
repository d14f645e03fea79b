"""Publish the warehouse as an immutable, read-only snapshot (build-then-rename).

The writer builds in ``warehouse/build.duckdb``. Publishing checkpoints it, copies it to a
temporary file in the same folder, stamps ``main.publish_info``, drops the build-only schemas
(staging and intermediate: views that read live bronze files, which a later ingest replaces,
and the working tables the marts are computed from), marks the copy
read-only and swaps it in with ``os.replace`` — atomic on POSIX. Readers that already
opened the previous snapshot keep reading it; new readers get the new one; nobody waits on
the writer's lock. A run that fails before this step leaves the previous snapshot in place.

Before the swap every text column of the copy is scanned for personal data
(:func:`salesops.pii.scan_database`): free text is masked at ingest, so a finding means some
path let it through, and the snapshot is refused rather than shown (SPEC §5 "Chat signals").
Identifier columns are not scanned (see :func:`salesops.pii.is_identifier_column`), nor the
columns the mapping profile declares ``not_personal``; the refusal tells the user which of
the two profile keys fixes it (``mask:`` on the file's rule, or ``not_personal:``).

The build file is copied while this process holds it read-write (DuckDB's file lock): no
other writer can open it mid-copy. Each published snapshot is also kept in
``warehouse/snapshots/<published at>_<run id>.duckdb`` (a hard link to the same read-only
file, so keeping costs no copy), the newest ``SALESOPS_KEEP_SNAPSHOTS`` of them (default 7);
:func:`rollback` swaps the one before the current back in with the same ``os.replace``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from salesops import contract, failpoints, pii, run_summary
from salesops.config import Paths, duckdb_config, keep_snapshots
from salesops.ingest import withdraw

BUILD_ONLY_SCHEMAS = ("staging", "intermediate")
SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISH_INFO_COMMENT = (
    "The one row that says what this snapshot is 本快照信息: the day its figures are as of and "
    "when and by which run it was published."
)
PUBLISH_INFO_COLUMNS: dict[str, tuple[str, str]] = {
    "as_of": ("date", "Day every mart is computed as of (dbt var as_of) 数据截止日"),
    "published_at": ("timestamp", "When this snapshot was published, Asia/Shanghai 发布时间"),
    "run_id": ("varchar", "The run that built and published it 运行编号"),
}
"""Naive timestamps in the warehouse are Asia/Shanghai (SPEC §3), publish_info's too."""


class PublishError(Exception):
    pass


@dataclass(frozen=True)
class PublishResult:
    snapshot: Path
    as_of: dt.date | None
    published_at: dt.datetime
    run_id: str
    tables: int
    purged: list[Path] = field(default_factory=list)
    """Older kept snapshots removed because a purge was requested (:func:`request_snapshot_purge`)."""
    compacted: bool = False
    """The warehouse files were written afresh, after a withdrawal (:func:`_copy_live_data`)."""


def publish_snapshot(
    paths: Paths,
    run_id: str,
    now: dt.datetime | None = None,
    not_personal: Iterable[str] = (),
    keep: int | None = None,
) -> PublishResult:
    """Publish the build warehouse; ``not_personal`` names columns exempt from the PII scan
    (the mapping profile's ``not_personal:``); ``keep`` snapshots are kept (default: the
    ``SALESOPS_KEEP_SNAPSHOTS`` setting)."""
    build = paths.build_db
    if not build.exists():
        raise PublishError(
            f"{build}: no build warehouse to publish; run the dbt build first (make run)"
        )
    published_at = now or dt.datetime.now(SHANGHAI).replace(tzinfo=None)
    tmp = paths.snapshot_db.with_name(f".{paths.snapshot_db.name}.{_safe(run_id)}.tmp")
    compact = withdraw.compaction_request_path(paths).exists()
    with duckdb.connect(str(build), config=duckdb_config()) as con:
        con.execute("checkpoint")
        # copied while this connection holds the writer's lock: no writer is mid-write
        if compact:
            _copy_live_data(con, tmp)
        else:
            shutil.copyfile(build, tmp)
    try:
        if compact:  # the build warehouse too: the withdrawn rows' bytes leave the disk
            staged = build.with_name(f".{build.name}.compact.tmp")
            shutil.copyfile(tmp, staged)
            os.replace(staged, build)
        with duckdb.connect(str(tmp), config=duckdb_config()) as con:
            # read before the build-only schemas go: the one model that resolves it
            as_of = _as_of(con, build)
            build_only = ", ".join("?" for _ in BUILD_ONLY_SCHEMAS)
            for kind, schema, name in con.execute(
                "select 'view', schema_name, view_name from duckdb_views() "
                f"where not internal and schema_name in ({build_only}) union all "
                "select 'table', schema_name, table_name from duckdb_tables() "
                f"where schema_name in ({build_only}) order by 1 desc",
                [*BUILD_ONLY_SCHEMAS, *BUILD_ONLY_SCHEMAS],
            ).fetchall():
                con.execute(f'drop {kind} "{schema}"."{name}"')
            tables = con.execute(
                "select count(*) from duckdb_tables() where schema_name = 'marts'"
            ).fetchone()[0]
            if tables == 0:
                raise PublishError(
                    f"{build}: the build warehouse has no marts; refusing to publish an empty snapshot"
                )
            findings = pii.scan_database(con, not_personal=not_personal)
            if findings:
                raise PublishError(f"{build}: {refusal_message(findings)}")
            run_summary.write_snapshot_table(
                con, run_summary.ingest_summaries(paths), run_summary.warning_share()
            )
            con.execute(
                "create or replace table main.publish_info as "
                "select cast(? as date) as as_of, cast(? as timestamp) as published_at, cast(? as varchar) as run_id",
                [as_of, published_at, run_id],
            )
            run_summary.comment_table(
                con, "main.publish_info", PUBLISH_INFO_COMMENT, PUBLISH_INFO_COLUMNS
            )
            con.execute("checkpoint")
        os.chmod(tmp, READ_ONLY)
        failpoints.reach("publish")
        os.replace(tmp, paths.snapshot_db)
        # kept after the swap: a run killed in between leaves no kept snapshot that was never
        # published (rollback finds the current one by its run and publish time)
        _keep(paths.snapshot_db, paths.snapshots_dir / snapshot_name(published_at, run_id))
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    prune_snapshots(paths, keep or keep_snapshots())
    withdraw.compaction_request_path(paths).unlink(missing_ok=True)
    purged = []
    if snapshot_purge_requested(paths):
        purged = purge_snapshots_except_current(paths)
        purge_request_path(paths).unlink(missing_ok=True)
    return PublishResult(paths.snapshot_db, as_of, published_at, run_id, tables, purged, compact)


def _copy_live_data(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Write the database of ``con`` into a new file ``target`` with only its live data:
    DuckDB keeps deleted rows' bytes in freed blocks, and a withdrawn file's rows must not
    survive in them (:mod:`salesops.ingest.withdraw`). Tables, views, comments and
    constraints are copied."""
    target.unlink(missing_ok=True)
    source = con.execute("select current_database()").fetchall()[0][0]
    quoted = str(target).replace("'", "''")
    con.execute(f"attach '{quoted}' as compacted")
    try:
        con.execute(f'copy from database "{source}" to compacted')
    finally:
        con.execute("detach compacted")


READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
SNAPSHOT_STAMP = "%Y%m%dT%H%M%S.%f"


class RollbackError(Exception):
    pass


@dataclass(frozen=True)
class SnapshotInfo:
    """What a snapshot file is: its publish_info row, where it is and how big."""

    path: Path
    as_of: dt.date | None
    run_id: str | None
    published_at: dt.datetime | None
    size: int

    def describe(self) -> str:
        return (
            f"as of 截止 {self.as_of or '?'}, run 运行 {self.run_id or '?'}, "
            f"published 发布于 {self.published_at or '?'}"
        )


def _safe(run_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in run_id)


def snapshot_name(published_at: dt.datetime, run_id: str) -> str:
    """Kept snapshots sort by publish time: ``20261101T060000.000000_<run id>.duckdb``."""
    return f"{published_at.strftime(SNAPSHOT_STAMP)}_{_safe(run_id)}.duckdb"


def _keep(snapshot: Path, kept: Path) -> None:
    """Keep the read-only snapshot under ``snapshots/``: a hard link (no copy) where the
    file system allows one, else a copy."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.unlink(missing_ok=True)
    try:
        os.link(snapshot, kept)
    except OSError:
        staged = kept.with_name(f".{kept.name}.tmp")
        shutil.copyfile(snapshot, staged)
        os.chmod(staged, READ_ONLY)
        os.replace(staged, kept)


def kept_snapshots(paths: Paths) -> list[Path]:
    """The kept snapshots, oldest first."""
    if not paths.snapshots_dir.is_dir():
        return []
    return sorted(p for p in paths.snapshots_dir.glob("*.duckdb") if not p.name.startswith("."))


def prune_snapshots(paths: Paths, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest kept snapshots (never the one now published)."""
    kept = kept_snapshots(paths)
    removed = [p for p in kept[: max(0, len(kept) - keep)] if not _is_current(paths, p)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def older_snapshots(paths: Paths) -> list[Path]:
    """The kept snapshots other than the published one, oldest first (what rollback can restore)."""
    current = current_kept(paths)
    return [p for p in kept_snapshots(paths) if p != current and not _is_current(paths, p)]


def purge_snapshots_except_current(paths: Paths) -> list[Path]:
    """Remove every kept snapshot but the published one: after a withdrawal
    (:mod:`salesops.ingest.withdraw`), the older snapshots kept for rollback are the last
    copies of the withdrawn rows. Rollback has nothing to go back to afterwards. Returns the
    removed files. Call it holding the run lock, once the run that withdrew the rows has
    published (before then, use :func:`request_snapshot_purge`)."""
    removed = older_snapshots(paths)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def purge_request_path(paths: Paths) -> Path:
    return paths.home / "config" / "purge_snapshots.json"


def request_snapshot_purge(paths: Paths, now: dt.datetime | None = None) -> None:
    """Ask the next publish to remove every older kept snapshot once its own snapshot is in
    place (``salesops forget FILE --purge-snapshots``: the run that withdraws the rows is the
    one after which no snapshot holds them). Record it holding the run lock, so that it is not
    consumed by a run already past its ingest."""
    path = purge_request_path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    moment = (now or dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    path.write_text(json.dumps({"requested_at": moment}), encoding="utf-8")


def snapshot_purge_requested(paths: Paths) -> bool:
    return purge_request_path(paths).exists()


def _is_current(paths: Paths, kept: Path) -> bool:
    try:
        return os.path.samefile(kept, paths.snapshot_db)
    except OSError:
        return False


def snapshot_info(path: Path) -> SnapshotInfo:
    """Read a snapshot's publish_info (None fields when it has none or cannot be opened)."""
    size = path.stat().st_size
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(
                "select as_of, run_id, published_at from main.publish_info"
            ).fetchone()
    except duckdb.Error:
        row = None
    as_of, run_id, published_at = row or (None, None, None)
    return SnapshotInfo(path, as_of, run_id, published_at, size)


def current_kept(paths: Paths, kept: list[Path] | None = None) -> Path | None:
    """The kept snapshot the published one is (same file, or same run and publish time)."""
    kept = kept_snapshots(paths) if kept is None else kept
    if not paths.snapshot_db.exists():
        return None
    for path in kept:
        if _is_current(paths, path):
            return path
    info = snapshot_info(paths.snapshot_db)
    if info.published_at and info.run_id:
        named = paths.snapshots_dir / snapshot_name(info.published_at, info.run_id)
        if named in kept:
            return named
    return None


def rollback(paths: Paths) -> tuple[SnapshotInfo, SnapshotInfo | None]:
    """Publish again the kept snapshot before the current one, atomically (``os.replace``);
    returns it and the one it replaced. Run twice, it goes back two."""
    kept = kept_snapshots(paths)
    current = current_kept(paths, kept)
    replaced = snapshot_info(paths.snapshot_db) if paths.snapshot_db.exists() else None
    if current is not None:
        older = [p for p in kept if p.name < current.name]
    elif replaced is not None and replaced.published_at and replaced.run_id:
        key = snapshot_name(replaced.published_at, replaced.run_id)
        older = [p for p in kept if p.name < key]
    else:
        older = [] if replaced is not None else kept
    if not older:
        raise RollbackError(
            f"{paths.snapshots_dir}: no kept snapshot older than the published one "
            f"({replaced.describe() if replaced else 'nothing published'}); nothing to roll back "
            "to. 没有更早的快照可回滚"
        )
    target = older[-1]
    staged = paths.snapshot_db.with_name(f".{paths.snapshot_db.name}.rollback-{os.getpid()}.tmp")
    staged.unlink(missing_ok=True)
    try:
        try:
            os.link(target, staged)
        except OSError:
            shutil.copyfile(target, staged)
            os.chmod(staged, READ_ONLY)
        os.replace(staged, paths.snapshot_db)
    finally:
        staged.unlink(missing_ok=True)
    restored = snapshot_info(paths.snapshot_db)
    return restored, replaced


def refusal_message(findings: list[pii.Finding], limit: int = 10) -> str:
    """What was found where, and the fix in the mapping profile (never in source code)."""
    listed = "; ".join(
        f"{f.schema}.{f.table}.{f.column} holds {pii.DESCRIPTIONS[f.kind]} in {f.rows} "
        f"row{'s' if f.rows != 1 else ''}, e.g. {f.sample!r}"
        for f in findings[:limit]
    )
    more = f" (and {len(findings) - limit} more)" if len(findings) > limit else ""
    columns = list(dict.fromkeys(f.column for f in findings))
    # A mart column named after a landing column most likely carries it through.
    landing = sorted(
        {f"{t.name}.{c}" for c in columns for t in contract.TABLES.values() if c in t.column_names}
    )
    which = f" (landing column {', '.join(landing)})" if landing else ""
    this = "this column holds" if len(columns) == 1 else "a column holds"
    return (
        f"personal data found: {listed}{more}. If {this} free text from your export, "
        f"mask it: add `mask: [<landing column>]` to the profile rule for that file{which}; "
        f"if these values are identifiers, not personal data, add "
        f"`not_personal: [{', '.join(columns)}]` to the profile (top level). "
        "Refusing to publish; the previous snapshot stays."
    )


AS_OF_MODEL = "intermediate.int_as_of_resolved"
"""The dbt model that resolves the build's as_of (the ``as_of`` var, else the latest fact
date), one row; every as-of model reads it, and so does the publish."""


def _as_of(con: duckdb.DuckDBPyConnection, build: Path) -> dt.date:
    """The as_of the marts were built for, from :data:`AS_OF_MODEL`, before the publish drops
    the build-only schemas."""
    schema, name = AS_OF_MODEL.split(".")
    found = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0]
    rows = con.execute(f"select as_of from {AS_OF_MODEL}").fetchall() if found else []
    if len(rows) != 1 or rows[0][0] is None:
        raise PublishError(
            f"{build}: {AS_OF_MODEL} (the dbt model that resolves the as_of date) "
            f"{'has ' + str(len(rows)) + ' rows' if found else 'is missing'}, not one date; run the "
            "dbt build first (make run). 缺少统计截止日，拒绝发布"
        )
    return rows[0][0]


def open_snapshot(paths: Paths) -> duckdb.DuckDBPyConnection:
    """How every reader opens the warehouse: the published snapshot, read-only."""
    if not paths.snapshot_db.exists():
        raise FileNotFoundError(f"{paths.snapshot_db}: nothing published yet; run `make run` first")
    return duckdb.connect(str(paths.snapshot_db), read_only=True)
