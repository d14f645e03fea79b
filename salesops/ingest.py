"""Landing extracts → typed bronze Parquet, driven by the contract.

Every landing file is read as text, checked for the contract's required columns, typed
column by column, and split into accepted rows (``bronze/<table>.parquet``) and
quarantined rows (``quarantine/<table>.parquet``: file, line, column, raw value, reason).
Nothing is dropped silently: for every file, rows read = rows accepted + rows quarantined
(+ rows superseded by a later extract of the same primary key, counted separately).

What cannot be quarantined — an unknown file, a missing required column, an unreadable or
empty file — raises :class:`IngestError` with the file, the problem and the fix.

The :class:`ReadOptions` seam is where mapping profiles (encodings, delimiters, column
renames, value maps) plug in; with none, files are read as the canonical contract.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from salesops import contract
from salesops.config import Paths

LINEAGE_COLUMNS: dict[str, str] = {"_source_file": "VARCHAR", "_source_line": "BIGINT"}
DATA_SUFFIXES = {".csv", ".jsonl", ".json", ".parquet"}


class IngestError(Exception):
    """A problem that stops a table's ingest: names the file, what is wrong and what to do."""

    def __init__(self, file: Path | str, problem: str, fix: str) -> None:
        self.file = str(file)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.file}: {problem}. {fix}")


@dataclass(frozen=True)
class ReadOptions:
    """How to read one landing file. Defaults are the canonical contract (UTF-8 CSV, header row)."""

    delimiter: str = ","
    encoding: str = "utf-8"
    column_renames: dict[str, str] = field(default_factory=dict)


@dataclass
class FileAccount:
    file: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_superseded: int


@dataclass
class TableIngestResult:
    table: str
    files: list[FileAccount]
    bronze_path: str
    quarantine_path: str
    ignored_columns: dict[str, list[str]]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def rows_superseded(self) -> int:
        return sum(f.rows_superseded for f in self.files)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(
            rows_read=self.rows_read,
            rows_accepted=self.rows_accepted,
            rows_quarantined=self.rows_quarantined,
            rows_superseded=self.rows_superseded,
        )
        return d


def discover_landing(landing: Path) -> dict[str, list[Path]]:
    """Map each contract table to its landing files (sorted: dated parts in date order).

    A data file whose name matches no table of its folder is an error, not something to skip.
    """
    found: dict[str, list[Path]] = {name: [] for name in contract.TABLES}
    for source in ("crm", "chat", "finance"):
        folder = landing / source
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in DATA_SUFFIXES:
                continue
            table = contract.table_for_file(source, path.name)
            if table is None:
                names = ", ".join(t.name for t in contract.tables_in(source))
                raise IngestError(
                    path,
                    f"no table of landing/{source}/ is called like this file",
                    f"Name the file after its table ({names}), optionally with a dated suffix "
                    f"such as _2026-03-31, or move it out of landing/{source}/",
                )
            found[table.name].append(path)
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _read_text_relation(con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions) -> str:
    """SQL for the file's rows with every column as VARCHAR."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return (
            f"read_csv({_literal(str(path))}, all_varchar = true, header = true, "
            f"delim = {_literal(options.delimiter)}, encoding = {_literal(options.encoding)}, "
            "auto_detect = true, null_padding = false, strict_mode = true)"
        )
    if suffix in (".jsonl", ".json"):
        return f"read_json({_literal(str(path))}, format = 'newline_delimited', records = true, maximum_object_size = 67108864)"
    if suffix == ".parquet":
        return f"read_parquet({_literal(str(path))})"
    raise IngestError(path, f"unsupported file type {suffix}", "Use .csv, .jsonl or .parquet")


def _file_columns(con: duckdb.DuckDBPyConnection, relation_sql: str, path: Path) -> list[str]:
    try:
        return [d[0] for d in con.execute(f"select * from {relation_sql} limit 0").description]
    except duckdb.Error as exc:
        raise IngestError(
            path,
            f"the file cannot be read ({str(exc).splitlines()[0]})",
            "Check that it is a valid UTF-8 CSV with a header row (or JSONL/Parquet), or "
            "describe its encoding and delimiter in a mapping profile",
        ) from exc


def _typed_expression(column: contract.Column, raw: str) -> str:
    t = column.type
    if t == "string":
        return raw
    if t == "period":
        return f"case when regexp_full_match({raw}, {_literal(contract.PERIOD_PATTERN[1:-1])}) then {raw} end"
    return f"try_cast({raw} as {column.duckdb_type})"


def _rule_checks(column: contract.Column, raw: str, typed: str) -> list[tuple[str, str]]:
    """(failing condition, reason) pairs for one column; conditions are true on bad rows."""
    checks: list[tuple[str, str]] = []
    if not column.nullable:
        checks.append((f"{raw} is null", "empty value in a required column"))
    if column.type not in ("string",):
        checks.append(
            (f"{raw} is not null and {typed} is null", f"not a valid {column.type} ({column.duckdb_type})")
        )
    if column.enum and not column.enum_is_open:
        allowed = ", ".join(_literal(v) for v in column.enum)
        checks.append(
            (f"{typed} is not null and {typed} not in ({allowed})", f"not one of: {', '.join(column.enum)}")
        )
    if column.min_value is not None:
        checks.append((f"{typed} < {column.min_value}", f"below the minimum {column.min_value}"))
    if column.max_value is not None:
        checks.append((f"{typed} > {column.max_value}", f"above the maximum {column.max_value}"))
    return checks


def _write_parquet(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    """Write atomically: readers of the previous file never see a half-written one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con.execute(f"copy ({select_sql}) to {_literal(str(tmp))} (format parquet, compression zstd)")
    os.replace(tmp, target)


def empty_bronze_sql(table: contract.Table) -> str:
    cols = [f"cast(null as {c.duckdb_type}) as {_quote(c.name)}" for c in table.columns]
    cols += [f"cast(null as {t}) as {n}" for n, t in LINEAGE_COLUMNS.items()]
    return f"select {', '.join(cols)} where false"


def ingest_table(
    table: contract.Table,
    files: Iterable[Path],
    paths: Paths,
    options: ReadOptions | None = None,
) -> TableIngestResult:
    """Type one table's landing files into bronze and quarantine; return the row accounting."""
    options = options or ReadOptions()
    files = list(files)
    bronze_path = paths.bronze / f"{table.name}.parquet"
    quarantine_path = paths.quarantine / f"{table.name}.parquet"
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    try:
        if not files:
            _write_parquet(con, empty_bronze_sql(table), bronze_path)
            _write_parquet(con, _empty_quarantine_sql(), quarantine_path)
            return TableIngestResult(table.name, [], str(bronze_path), str(quarantine_path), {})

        ignored: dict[str, list[str]] = {}
        raw_parts = []
        for order, path in enumerate(files):
            relation = _read_text_relation(con, path, options)
            present = [c.strip() for c in _file_columns(con, relation, path)]
            present = [options.column_renames.get(c, c) for c in present]
            missing = [c for c in table.required_columns if c not in present]
            if missing:
                raise IngestError(
                    path,
                    f"missing required column(s) {', '.join(missing)} of table {table.name} "
                    f"(found: {', '.join(present) or 'none'})",
                    "Add the column to the extract, or map your column name to it under "
                    "column_renames in a mapping profile",
                )
            extra = [c for c in present if c not in table.column_names]
            if extra:
                ignored[str(path)] = extra
            original = [d[0] for d in con.execute(f"select * from {relation} limit 0").description]
            by_name = dict(zip(present, original, strict=True))
            selects = []
            for column in table.columns:
                if column.name in by_name:
                    selects.append(
                        f"nullif(trim(cast({_quote(by_name[column.name])} as varchar)), '') as {_quote(column.name)}"
                    )
                else:
                    selects.append(f"cast(null as varchar) as {_quote(column.name)}")
            header_lines = 1 if path.suffix.lower() == ".csv" else 0
            raw_parts.append(
                f"select {_literal(str(path))} as _source_file, {order} as _file_order, "
                f"row_number() over () + {header_lines} as _source_line, {', '.join(selects)} "
                f"from {relation}"
            )
        try:
            con.execute(f"create temp table raw as {' union all '.join(raw_parts)}")
        except duckdb.Error as exc:
            raise IngestError(
                files[0] if len(files) == 1 else ", ".join(map(str, files)),
                f"a row cannot be parsed ({str(exc).splitlines()[0]})",
                "Fix the malformed row, or describe the file's delimiter/quoting in a mapping profile",
            ) from exc

        typed_cols = []
        error_selects = []
        for column in table.columns:
            raw = _quote(column.name)
            typed = _typed_expression(column, raw)
            typed_cols.append(f"{typed} as {raw}")
            for condition, reason in _rule_checks(column, raw, typed):
                error_selects.append(
                    f"select _source_file, _source_line, {_literal(column.name)} as column_name, "
                    f"{raw} as raw_value, {_literal(reason)} as reason from raw where {condition}"
                )
        con.execute(
            f"create temp table typed as select _source_file, _file_order, _source_line, "
            f"{', '.join(typed_cols)} from raw"
        )
        con.execute(f"create temp table errors as {' union all '.join(error_selects)}")
        pk = ", ".join(_quote(c) for c in table.primary_key)
        con.execute(
            "create temp table accepted as "
            "select t.* from typed t anti join (select distinct _source_file, _source_line from errors) e "
            "using (_source_file, _source_line)"
        )
        con.execute(
            "create temp table latest as select * from accepted "
            f"qualify row_number() over (partition by {pk} order by _file_order desc, _source_line desc) = 1"
        )
        data_cols = ", ".join(_quote(c) for c in table.column_names)
        _write_parquet(
            con,
            f"select {data_cols}, _source_file, _source_line from latest order by _source_file, _source_line",
            bronze_path,
        )
        _write_parquet(
            con,
            f"select {_literal(table.name)} as table_name, _source_file as file, _source_line as line, "
            "column_name, raw_value, reason from errors order by file, line, column_name",
            quarantine_path,
        )
        accounts = []
        for path in files:
            f = _literal(str(path))
            read, accepted, kept = con.execute(
                f"select (select count(*) from raw where _source_file = {f}), "
                f"(select count(*) from accepted where _source_file = {f}), "
                f"(select count(*) from latest where _source_file = {f})"
            ).fetchone()
            accounts.append(FileAccount(str(path), read, kept, read - accepted, accepted - kept))
        result = TableIngestResult(table.name, accounts, str(bronze_path), str(quarantine_path), ignored)
        _write_account(paths, result)
        return result
    finally:
        con.close()


def _empty_quarantine_sql() -> str:
    return (
        "select cast(null as varchar) as table_name, cast(null as varchar) as file, "
        "cast(null as bigint) as line, cast(null as varchar) as column_name, "
        "cast(null as varchar) as raw_value, cast(null as varchar) as reason where false"
    )


def _write_account(paths: Paths, result: TableIngestResult) -> None:
    folder = paths.bronze / "_accounts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{result.table}.json").write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


def ingest_all(paths: Paths, options: ReadOptions | None = None) -> dict[str, TableIngestResult]:
    """Ingest every contract table from ``paths.landing`` (used by tests and benchmarks)."""
    found = discover_landing(paths.landing)
    return {name: ingest_table(contract.table(name), found[name], paths, options) for name in contract.TABLES}
