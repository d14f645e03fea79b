"""What happened to the user's rows, said at the end of every run 本次运行数据去向.

Per table: rows read, accepted, quarantined (with the top reasons), superseded by a later
extract (which file replaced which, with a few keys), the columns of each file that nothing
reads, derived (a stage history built from a current-state export), flagged as
conflicting with another table, and withdrawn (the files removed from landing or forgotten
since the last run, with the rows taken out); the landing files the run did not read
(forgotten ones included); the tables that
are missing and the marts that are therefore not available. A quarantined share above the
warning threshold (:data:`WARNING_SHARE_VARIABLE`, default :data:`DEFAULT_WARNING_SHARE`)
is a warning the user cannot miss: first in the console block, and on every dashboard page
(the publish step copies the summary into the snapshot as ``main.ingest_summary``).

Sources: ``bronze/_accounts/<table>.json`` (row accounting, written by the ingest),
``quarantine/<table>.parquet`` (reasons), ``bronze/_conflicts/<table>.parquet``, and the
snapshot's availability marts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from salesops import contract
from salesops.config import Paths

WARNING_SHARE_VARIABLE = "SALESOPS_QUARANTINE_WARNING_SHARE"
DEFAULT_WARNING_SHARE = 0.05
"""A table with more than 5% of its rows quarantined is shown as a warning."""
TOP_REASONS = 3


def warning_share() -> float:
    """The quarantined share above which a table is a warning (setting, 0–1)."""
    raw = os.environ.get(WARNING_SHARE_VARIABLE, "")
    if not raw.strip():
        return DEFAULT_WARNING_SHARE
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"{WARNING_SHARE_VARIABLE}={raw!r}: give a share between 0 and 1, e.g. 0.05"
        ) from None
    if not 0 <= value <= 1:
        raise ValueError(
            f"{WARNING_SHARE_VARIABLE}={raw!r}: give a share between 0 and 1, e.g. 0.05"
        )
    return value


@dataclass(frozen=True)
class Reason:
    column: str | None
    reason: str
    rows: int


@dataclass(frozen=True)
class TableSummary:
    table: str
    files: int
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_superseded: int
    rows_derived: int = 0
    rows_conflicting: int = 0
    top_reasons: tuple[Reason, ...] = ()
    rows_set_aside: int = 0
    """Rows that are not records (totals rows, non-text or recalled chat messages), not loaded."""
    set_aside: tuple[tuple[str, int], ...] = ()
    """(kind, rows) of the rows set aside, most first."""
    sources: tuple[dict, ...] = ()
    """Per file or workbook sheet: file, rows_read, rows_accepted, rows_quarantined,
    rows_superseded, rows_set_aside (listed when a table reads sheets or sets rows aside)."""
    notes: tuple[str, ...] = ()
    ignored_columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(file, its columns that no contract column reads), per file."""
    superseded: tuple[tuple[str, int, tuple[tuple[str, int], ...], tuple[str, ...]], ...] = ()
    """(file, rows superseded, ((file of the kept row, rows), …), example keys), per file."""
    withdrawn: tuple[dict, ...] = ()
    """Files withdrawn by this run (removed from landing, forgotten): file, rows (read from it),
    kept (of those, rows bronze held), quarantined, reason. Not part of the rows read."""

    @property
    def rows_withdrawn(self) -> int:
        return sum(int(w["rows"]) for w in self.withdrawn)

    @property
    def quarantined_share(self) -> float:
        """Of the records read: rows set aside (a totals row, an image message) are not records."""
        records = self.rows_read - self.rows_set_aside
        return self.rows_quarantined / records if records else 0.0

    @property
    def balanced(self) -> bool:
        """rows read = accepted + quarantined + superseded + set aside (derived rows are not read)."""
        return self.rows_read == (
            self.rows_accepted + self.rows_quarantined + self.rows_superseded + self.rows_set_aside
        )


@dataclass
class RunSummary:
    tables: list[TableSummary]
    warning_share: float
    ignored_files: list[tuple[str, str]] = field(default_factory=list)
    """(landing file, why the run did not read it)."""
    missing_tables: list[str] = field(default_factory=list)
    unavailable_marts: list[tuple[str, str]] = field(default_factory=list)
    """(mart, the tables it lacks)."""
    marts_total: int | None = None

    @property
    def warnings(self) -> list[TableSummary]:
        return [t for t in self.tables if t.rows_read and t.quarantined_share > self.warning_share]


def _top_reasons(path: Path) -> tuple[Reason, ...]:
    if not path.exists():
        return ()
    with duckdb.connect() as con:
        rows = con.execute(
            "select column_name, reason, count(distinct file || ':' || line) as n from read_parquet(?) "
            "group by all order by n desc, column_name nulls first, reason limit ?",
            [str(path), TOP_REASONS],
        ).fetchall()
    return tuple(Reason(column, reason, n) for column, reason, n in rows)


def ingest_summaries(paths: Paths) -> list[TableSummary]:
    """One summary per contract table that the ingest accounted for, in contract order."""
    summaries = []
    for name in contract.TABLES:
        account_file = paths.bronze / "_accounts" / f"{name}.json"
        if not account_file.exists():
            continue
        account = json.loads(account_file.read_text(encoding="utf-8"))
        files = account.get("files") or []
        kinds: dict[str, int] = {}
        for f in files:
            for kind, n in (f.get("set_aside") or {}).items():
                kinds[kind] = kinds.get(kind, 0) + n
        detailed = any("#" in f["file"] or f.get("rows_set_aside") for f in files)
        summaries.append(
            TableSummary(
                table=name,
                files=len(account.get("files") or []),
                rows_read=int(account.get("rows_read", 0)),
                rows_accepted=int(account.get("rows_accepted", 0)),
                rows_quarantined=int(account.get("rows_quarantined", 0)),
                rows_superseded=int(account.get("rows_superseded", 0)),
                rows_derived=int(account.get("derived_rows", 0)),
                rows_conflicting=int(account.get("conflicts", 0)),
                top_reasons=_top_reasons(paths.quarantine / f"{name}.parquet")
                if account.get("rows_quarantined")
                else (),
                rows_set_aside=int(account.get("rows_set_aside", 0)),
                set_aside=tuple(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
                sources=tuple(files) if detailed else (),
                notes=tuple(dict.fromkeys(n for f in files for n in f.get("notes") or [])),
                ignored_columns=tuple(
                    (file, tuple(columns))
                    for file, columns in (account.get("ignored_columns") or {}).items()
                ),
                superseded=tuple(
                    (
                        f["file"],
                        int(f["rows_superseded"]),
                        tuple(
                            sorted(
                                (f.get("superseded_by") or {}).items(),
                                key=lambda kv: (-kv[1], kv[0]),
                            )
                        ),
                        tuple(f.get("superseded_examples") or ()),
                    )
                    for f in files
                    if f.get("rows_superseded")
                ),
                withdrawn=tuple(account.get("withdrawn") or ()),
            )
        )
    return summaries


def availability(snapshot: Path) -> tuple[list[str], list[tuple[str, str]], int | None]:
    """Missing tables, unavailable marts (with what they lack) and the number of marts,
    from a published snapshot; empty when there is none yet."""
    if not snapshot.exists():
        return [], [], None
    with duckdb.connect(str(snapshot), read_only=True) as con:
        try:
            missing = [
                r[0]
                for r in con.execute(
                    "select table_name from marts.fct_source_availability where not is_available order by 1"
                ).fetchall()
            ]
            marts = con.execute(
                "select mart_name, is_available, missing_tables from marts.fct_mart_availability order by 1"
            ).fetchall()
        except duckdb.Error:
            return [], [], None
    unavailable = [
        (name, str(lacking or "")) for name, available, lacking in marts if not available
    ]
    return missing, unavailable, len(marts)


def not_read_forgotten(
    paths: Paths, ignored_files: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """``ignored_files`` and, when not already among them, every forgotten file still in the
    landing folder with why it is not read (``salesops forget``): named, never skipped silently."""
    from salesops.ingest import withdraw

    listed = list(ignored_files or [])
    named = {file for file, _ in listed}
    for entry in withdraw.forgotten(paths):
        if entry.file not in named and (paths.landing / entry.file).is_file():
            listed.append((entry.file, entry.reason_in(paths.landing)))
    return listed


def collect(paths: Paths, ignored_files: list[tuple[str, str]] | None = None) -> RunSummary:
    missing, unavailable, total = availability(paths.snapshot_db)
    return RunSummary(
        tables=ingest_summaries(paths),
        warning_share=warning_share(),
        ignored_files=not_read_forgotten(paths, ignored_files),
        missing_tables=missing,
        unavailable_marts=unavailable,
        marts_total=total,
    )


def _derived_label(table: str) -> str:
    """What a derived table was derived from, as the ingest labels its rows' ``_source_file``."""
    from salesops.ingest.derived import DERIVED_SOURCE_FILE
    from salesops.ingest.org import SOURCE_LABEL

    labels = {"opportunity_stage_history": DERIVED_SOURCE_FILE, **SOURCE_LABEL}
    return labels.get(table, "(derived)").strip("()")


def _reason_text(r: Reason) -> str:
    return f"{r.rows} × {r.column + ': ' if r.column else ''}{r.reason}"


MAX_FILES_LISTED = 5
"""Files listed per table for ignored columns and superseded rows (the accounts file has all)."""


def ignored_columns_lines(t: TableSummary) -> list[str]:
    """Columns of the user's files that the run did not read: named, never dropped silently."""
    by_columns: dict[tuple[str, ...], list[str]] = {}
    for file, columns in t.ignored_columns:
        by_columns.setdefault(columns, []).append(file)
    lines = []
    for columns, files in by_columns.items():
        shown = ", ".join(files[:MAX_FILES_LISTED]) + (
            f" and {len(files) - MAX_FILES_LISTED} more" if len(files) > MAX_FILES_LISTED else ""
        )
        lines.append(f"      columns not read 未读取的列: {', '.join(columns)} — in {shown}")
    return lines


def superseded_lines(t: TableSummary) -> list[str]:
    """Rows replaced by a later row with the same key, in one line: how many by a later extract
    (and which files hold the kept rows), how many within one file (the surprising kind: two
    records sharing an id), with example keys. Per file: the accounts and the quality report."""
    if not t.superseded:
        return []
    total = sum(n for _, n, _, _ in t.superseded)
    within = sum(k for file, _, by, _ in t.superseded for other, k in by if other == file)
    kept_in: dict[str, int] = {}
    for file, _, by, _ in t.superseded:
        for other, k in by:
            if other != file:
                kept_in[other] = kept_in.get(other, 0) + k
    parts = []
    if total - within:
        top = sorted(kept_in.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{f} ×{k:,}" for f, k in top[:3]) + (" …" if len(top) > 3 else "")
        parts.append(f"{total - within:,} by a later extract (kept in {shown})")
    if within:
        parts.append(f"{within:,} by a later row of the same file")
    # Examples: repeats within one file first (two records sharing an id?), then across files.
    ordered = sorted(t.superseded, key=lambda s: not any(other == s[0] for other, _ in s[2]))
    examples = [f"{file} {examples[0]}" for file, _, _, examples in ordered if examples][:2]
    return [
        f"      superseded 被替代: {total:,} row(s) replaced by a later row with the same key: "
        + "; ".join(parts)
        + (f" (e.g. {'; '.join(examples)})" if examples else "")
        + f" — per file: bronze/_accounts/{t.table}.json, the quality report"
    ]


def withdrawn_lines(t: TableSummary) -> list[str]:
    """The files of a table withdrawn by this run, one line each, with the rows taken out."""
    return [
        f"      withdrawn 已撤回: {w['file']} — {int(w['rows']):,} row(s) removed 已删除 "
        f"({int(w.get('kept', 0)):,} kept 保留, {int(w['quarantined']):,} quarantined 隔离): {w['reason']}"
        for w in t.withdrawn
    ]


def withdrawal_total_line(summary: RunSummary) -> list[str]:
    """One line when this run withdrew files: how many, and the rows per table."""
    withdrawn = [t for t in summary.tables if t.withdrawn]
    if not withdrawn:
        return []
    files = len({w["file"] for t in withdrawn for w in t.withdrawn})
    per_table = ", ".join(f"{t.table} {t.rows_withdrawn:,}" for t in withdrawn)
    return [
        f"  withdrawn 已撤回: {files} file(s) 个文件, {sum(t.rows_withdrawn for t in withdrawn):,} row(s) "
        f"removed 行已删除 ({per_table}) from bronze, the quarantine and this run's warehouse "
        "已从 bronze、隔离区和本次构建的数据仓库中删除; older snapshots kept for rollback still hold them "
        "until they age out or are purged (salesops forget --purge-snapshots) 回滚用旧快照仍含这些数据"
    ]


def render(summary: RunSummary, *, max_marts: int = 12) -> list[str]:
    """The console block: a few lines, warnings first."""
    lines = ["What happened to your rows 数据去向:"]
    for t in summary.warnings:
        lines.append(
            f"  ⚠ WARNING 警告: {t.table}: {t.rows_quarantined} of {t.rows_read - t.rows_set_aside} rows quarantined "
            f"({t.quarantined_share:.1%} > {summary.warning_share:.0%}) — see quarantine/{t.table}.parquet "
            f"{'; top: ' + '; '.join(_reason_text(r) for r in t.top_reasons) if t.top_reasons else ''}"
        )
    width = max((len(t.table) for t in summary.tables), default=5)
    aside = any(t.rows_set_aside for t in summary.tables)
    lines.append(
        f"  {'table 表':<{width}}  {'read 读取':>9} {'kept 保留':>9} {'quarant. 隔离':>13} {'superseded 被替代':>17}"
        + (f" {'set aside 未载入':>16}" if aside else "")
    )
    for t in summary.tables:
        if not (t.rows_read or t.rows_derived or t.withdrawn):
            continue
        extra = []
        if t.rows_derived:
            extra.append(f"{t.rows_derived} derived 推导 (no such file: {_derived_label(t.table)})")
        if t.rows_conflicting:
            extra.append(f"{t.rows_conflicting} flagged 冲突 (kept; see the quality report)")
        if t.rows_quarantined and t.top_reasons:
            extra.append("top: " + "; ".join(_reason_text(r) for r in t.top_reasons))
        lines.append(
            f"  {t.table:<{width}}  {t.rows_read:>9,} {t.rows_accepted:>9,} {t.rows_quarantined:>13,} "
            f"{t.rows_superseded:>17,}"
            + (f" {t.rows_set_aside:>16,}" if aside else "")
            + (f"   {' · '.join(extra)}" if extra else "")
        )
        for f in t.sources:
            lines.append(
                f"      {f['file']}: read 读取 {f['rows_read']:,} · kept 保留 {f['rows_accepted']:,} · "
                f"quarantined 隔离 {f['rows_quarantined']:,} · superseded 被替代 {f['rows_superseded']:,}"
                + (
                    f" · set aside 未载入 {f['rows_set_aside']:,}"
                    if f.get("rows_set_aside")
                    else ""
                )
            )
        if t.set_aside:
            lines.append(
                "      set aside 未载入: " + "; ".join(f"{n:,} × {kind}" for kind, n in t.set_aside)
            )
        lines += [f"      note 说明: {note}" for note in t.notes]
        lines += ignored_columns_lines(t)
        lines += superseded_lines(t)
        lines += withdrawn_lines(t)
    total_read = sum(t.rows_read for t in summary.tables)
    total_kept = sum(t.rows_accepted for t in summary.tables)
    total_q = sum(t.rows_quarantined for t in summary.tables)
    total_s = sum(t.rows_superseded for t in summary.tables)
    total_a = sum(t.rows_set_aside for t in summary.tables)
    lines.append(
        f"  {'total 合计':<{width}}  {total_read:>9,} {total_kept:>9,} {total_q:>13,} {total_s:>17,}"
        + (f" {total_a:>16,}" if aside else "")
    )
    lines += withdrawal_total_line(summary)
    for file, why in summary.ignored_files:
        lines.append(f"  not read 未读取: {file} ({why})")
    if summary.missing_tables:
        lines.append(f"  missing tables 缺少的表: {', '.join(summary.missing_tables)}")
    if summary.marts_total is not None:
        n = len(summary.unavailable_marts)
        lines.append(
            f"  marts available 可用数据集: {summary.marts_total - n} of {summary.marts_total}"
            + (f"; not available 不可用 ({n}):" if n else "")
        )
        for mart, lacking in summary.unavailable_marts[:max_marts]:
            lines.append(f"    {mart} — needs 需要 {lacking}")
        if n > max_marts:
            lines.append(f"    … and {n - max_marts} more (marts.fct_mart_availability)")
    return lines


SNAPSHOT_TABLE = "main.ingest_summary"
SNAPSHOT_TABLE_COMMENT = (
    "What happened to the rows of each landing table in the run that published this snapshot "
    "本次发布的各表数据去向: rows read = accepted + quarantined + superseded (+ set aside)."
)
# column → (type, description 说明); the description becomes the column's DuckDB comment
SNAPSHOT_COLUMNS: dict[str, tuple[str, str]] = {
    "table_name": ("varchar", "Landing table (SPEC §3) 落地表"),
    "files": ("bigint", "Files read for this table 读取文件数"),
    "rows_read": ("bigint", "Data rows read from those files 读取行数"),
    "rows_accepted": ("bigint", "Rows kept in bronze 保留行数"),
    "rows_quarantined": (
        "bigint",
        "Rows set apart as unusable, with file, line and column 隔离行数",
    ),
    "rows_superseded": ("bigint", "Rows replaced by a later row with the same key 被替代行数"),
    "rows_derived": ("bigint", "Rows derived from other tables (not read from a file) 派生行数"),
    "rows_conflicting": ("bigint", "Keys whose sources disagree (kept once, listed) 冲突键数"),
    "quarantined_share": ("double", "rows_quarantined ÷ rows_read 隔离占比"),
    "warning_share": ("double", "Quarantined share above which the run warns 告警阈值"),
    "is_warning": ("boolean", "quarantined_share above warning_share 是否告警"),
    "top_reasons": ("varchar", "Most frequent quarantine reasons with counts 主要隔离原因"),
    "rows_set_aside": ("bigint", "Non-data lines set aside (repeated header, totals) 搁置行数"),
    "set_aside": ("varchar", "What was set aside, by kind 搁置明细"),
    "notes": ("varchar", "What was changed on the way in (stripped BOMs, …) 处理说明"),
    "ignored_columns": (
        "varchar",
        "Columns present in a file that no rule reads, per file 未读取列",
    ),
    "superseded": ("varchar", "Superseded keys, with where the kept row is 被替代明细"),
    "rows_withdrawn": (
        "bigint",
        "Rows of files withdrawn by this run (removed from landing or forgotten) 撤回行数",
    ),
    "withdrawn": ("varchar", "The withdrawn files with their rows and why 撤回明细"),
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_table(
    con: duckdb.DuckDBPyConnection, table: str, comment: str, columns: dict[str, tuple[str, str]]
) -> None:
    """The table's and every column's description as DuckDB comments (what analysts see in
    ``duckdb_tables()`` / ``duckdb_columns()``, like the dbt marts' persisted docs)."""
    con.execute(f"comment on table {table} is {_quote(comment)}")
    for column, (_type, description) in columns.items():
        con.execute(f"comment on column {table}.{column} is {_quote(description)}")


def write_snapshot_table(
    con: duckdb.DuckDBPyConnection, summaries: list[TableSummary], share: float
) -> None:
    """``main.ingest_summary`` in the snapshot being published: one row per table."""
    columns = ", ".join(f"{name} {kind}" for name, (kind, _) in SNAPSHOT_COLUMNS.items())
    con.execute(f"create or replace table {SNAPSHOT_TABLE} ({columns})")
    comment_table(con, SNAPSHOT_TABLE, SNAPSHOT_TABLE_COMMENT, SNAPSHOT_COLUMNS)
    if not summaries:
        return
    con.executemany(
        f"insert into {SNAPSHOT_TABLE} values ({', '.join('?' for _ in SNAPSHOT_COLUMNS)})",
        [
            (
                t.table,
                t.files,
                t.rows_read,
                t.rows_accepted,
                t.rows_quarantined,
                t.rows_superseded,
                t.rows_derived,
                t.rows_conflicting,
                t.quarantined_share,
                share,
                bool(t.rows_read) and t.quarantined_share > share,
                "; ".join(_reason_text(r) for r in t.top_reasons),
                t.rows_set_aside,
                "; ".join(f"{n} × {kind}" for kind, n in t.set_aside),
                "\n".join(t.notes),
                "\n".join(f"{file}: {', '.join(columns)}" for file, columns in t.ignored_columns),
                "\n".join(line.strip() for line in superseded_lines(t)),
                t.rows_withdrawn,
                "\n".join(f"{w['file']}: {w['rows']} rows, {w['reason']}" for w in t.withdrawn),
            )
            for t in summaries
        ],
    )
