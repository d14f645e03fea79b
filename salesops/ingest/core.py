"""Landing files → typed bronze tables, incrementally, losing nothing.

For each contract table:

1. **Plan**: every landing file is claimed by a profile rule or, by its name, by the
   canonical contract; a data file nobody claims in ``crm/``, ``chat/``, ``finance/`` (or
   anywhere, when a profile is used) is an error.
2. **Type each new or changed file** into a *part* (``bronze/_parts/<table>/``) and its
   quarantine part. A content-hash registry (``bronze/_registry/<table>.json``) makes
   re-ingesting the same file a no-op; a new file is added without re-typing history; a
   file whose name was seen before with other content (a corrected re-export of that
   period) replaces that file's part, and the run log says so.
3. **Consolidate** all parts into ``bronze/<table>.parquet``: rows breaking a rule against
   another table (e.g. won before its lead was created) are quarantined; duplicate primary
   keys are resolved by *latest extract wins* (extract date from the file name —
   ``opportunities_2026-03-31.csv`` — else the latest timestamp in the file's rows, else its
   modification time; then the later file and line) and counted as superseded.
4. **Keep the extract history** of the tables in :data:`HISTORY_TABLES`
   (``bronze/_history/<table>.parquet``): every valid row of every extract with its
   ``_extract_date``, one row per primary key and extract date, so dbt can tell what the
   CRM said on each day (the daily opportunity snapshot reads amount, owner, expected
   close date and probability from it). The consolidated table keeps only the latest.

Row accounting, per file, always holds and is written to ``bronze/_accounts/<table>.json``:
rows read = rows accepted + rows quarantined + rows superseded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import duckdb

from salesops import contract, duck, failpoints, pii
from salesops.config import Paths, reporting_timezone
from salesops.ingest import chat_formats, excel, org, reader, withdraw
from salesops.ingest.derived import DERIVED_SOURCE_FILE, DERIVED_TABLES, derive_stage_history
from salesops.ingest.errors import IngestError
from salesops.ingest.profile import (
    CANONICAL,
    CONVERSION_COLUMNS,
    FileRule,
    Profile,
    header_key,
)
from salesops.ingest.typing import (
    NO_RATE_REASON,
    checks,
    currency_code,
    exchange_rate,
    lit,
    mapped,
    number_parts,
    q,
    range_checks,
    typed,
)

DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".jsonl", ".parquet", *excel.EXCEL_SUFFIXES}
NOT_DATA_REASON = "a {suffix} file: the run reads only " + ", ".join(sorted(DATA_SUFFIXES)) + " files"
CANONICAL_FOLDERS = ("crm", "chat", "finance")
MAX_QUARANTINED_TEXT = 2000
"""A rejected line is kept up to this many characters, cut only after masking (no half numbers)."""
REGISTRY_VERSION = 8
"""Bump when typing rules change, so every file is typed again (3: PII masked in free text;
4: parts carry ``_extract_date``; 5: unknown values load as NULL, conflicts flagged;
6: derive defaults fill only empty values, currencies, dates before 1900 refused,
expected close dates as YYYY-MM-DD, opportunities.amount_original/currency; 7: workbooks,
rows set aside, 亿 amounts, Chinese date forms, formula errors, header names matched loosely;
8: out-of-range numbers, sub-cent amounts and scientific notation quarantined, byte-order
marks inside a file removed, repeated header rows set aside, ignored columns kept per file)."""
MAX_SUPERSEDED_EXAMPLES = 3
"""Keys named per superseded file in the accounts, the run log and the run summary."""
HISTORY_TABLES = ("opportunities",)
"""Tables whose every extract is kept (``bronze/_history/<table>.parquet``), not only the latest."""
DATE_IN_NAME = re.compile(r"(\d{4})[-_]?(\d{2})[-_]?(\d{2})(?!\d)|(\d{4})-(\d{2})(?!\d)")


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    relative: str
    table: str
    rule: FileRule
    extract_key: str
    sheet: str | None = None
    """The workbook sheet this plan entry reads (each sheet is read, typed and counted on its own)."""

    @property
    def label(self) -> str:
        """How the run names this source: the file, or ``file.xlsx#sheet``."""
        return excel.sheet_label(self.relative, self.sheet) if self.sheet else self.relative

    @property
    def source_file(self) -> str:
        """``_source_file`` of its rows and ``file`` of its quarantine: the path, with the sheet."""
        return excel.sheet_label(self.path, self.sheet) if self.sheet else str(self.path)


IGNORE_REASON = "ignore: "


class IgnoredFile(NamedTuple):
    """A landing data file the run does not read, and why (the run and ``salesops profile
    check`` name every one)."""

    file: str
    reason: str

    @property
    def is_not_data(self) -> bool:
        """A file type the run never reads (not one of :data:`DATA_SUFFIXES`)."""
        return PurePosixPath(self.file.split("#", 1)[0]).suffix.lower() not in DATA_SUFFIXES

    @property
    def glob(self) -> str | None:
        """The profile's ``ignore`` glob that matched the file, if that is the reason."""
        if self.reason.startswith(IGNORE_REASON):
            return self.reason.removeprefix(IGNORE_REASON)
        return None


@dataclass
class Plan:
    files: dict[str, list[PlannedFile]]
    ignored: list[IgnoredFile]
    """Files matched by the profile's ``ignore`` (reason ``ignore: <glob>``) and, without
    profile rules, data files outside crm/, chat/, finance/."""
    unclaimed: list[IngestError] = field(default_factory=list)
    """Files no rule claims, when planned with ``strict=False`` (a strict plan raises instead)."""


@dataclass
class FileAccount:
    file: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_superseded: int
    rows_set_aside: int = 0
    """Rows that are not records, not loaded, counted by kind in ``set_aside``: totals rows of
    a workbook, non-text or recalled chat messages (rows read = accepted + quarantined +
    superseded + set aside)."""
    set_aside: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    superseded_by: dict[str, int] = field(default_factory=dict)
    """Rows of this file replaced by a row with the same key, by the file holding the kept row
    (a later extract, or this file's own later row)."""
    superseded_examples: list[str] = field(default_factory=list)
    """A few of those keys: ``O1 (line 2 → crm/b.csv line 5)``."""


@dataclass
class TableIngestResult:
    table: str
    files: list[FileAccount]
    bronze_path: str
    quarantine_path: str
    events: list[dict] = field(default_factory=list)
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    derived_rows: int = 0
    """Rows derived from another table because no landing file has this one (:mod:`.derived`)."""
    conflicts: int = 0
    """Kept rows flagged as contradicting another table (``bronze/_conflicts/<table>.parquet``;
    a row in two pairs counts once)."""
    withdrawn: list[dict] = field(default_factory=list)
    """Files read by an earlier run and withdrawn by this one (removed from landing, forgotten
    with ``salesops forget``, or no longer claimed): per file, ``file``, ``rows`` (its rows
    read), ``kept`` (of those, rows the consolidated table held), ``quarantined`` and
    ``reason``. Their rows are gone from bronze; they are not in :attr:`files`."""

    @property
    def rows_withdrawn(self) -> int:
        return sum(w["rows"] for w in self.withdrawn)

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

    @property
    def rows_set_aside(self) -> int:
        return sum(f.rows_set_aside for f in self.files)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(
            rows_read=self.rows_read,
            rows_accepted=self.rows_accepted,
            rows_quarantined=self.rows_quarantined,
            rows_superseded=self.rows_superseded,
            rows_set_aside=self.rows_set_aside,
            rows_withdrawn=self.rows_withdrawn,
        )
        return d


def extract_key(path: Path) -> str:
    """Order of extracts for 'latest wins': the date in the name, else the modification time."""
    m = DATE_IN_NAME.search(path.stem)
    if m:
        if m.group(1):
            return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
        return f"{m.group(4)}-{m.group(5)}-99"
    return dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%dT%H:%M:%S")


def plan_landing(
    landing: Path,
    profile: Profile = CANONICAL,
    strict: bool = True,
    forgotten: dict[str, withdraw.ForgottenFile] | None = None,
) -> Plan:
    """Which rule reads which landing file. A data file nobody claims is an error (raised when
    ``strict``, else listed in ``Plan.unclaimed``); a file the profile's ``ignore`` matches, or
    a file in ``forgotten`` (landing-relative path → record, :func:`plan_for` passes the
    home's), is listed in ``Plan.ignored``, never read."""
    forgotten = forgotten or {}
    files: dict[str, list[PlannedFile]] = {name: [] for name in contract.TABLES}
    ignored: list[IgnoredFile] = []
    unclaimed: list[IngestError] = []
    if not landing.is_dir():
        return Plan(files, ignored)
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        relative = path.relative_to(landing).as_posix()
        if any(part.startswith(".") for part in path.relative_to(landing).parts):
            continue
        if relative in forgotten:
            ignored.append(IgnoredFile(relative, forgotten[relative].reason_in(landing)))
            continue
        glob = profile.ignored_by(relative)
        if glob is None and path.suffix.lower() not in DATA_SUFFIXES:
            ignored.append(IgnoredFile(relative, NOT_DATA_REASON.format(suffix=path.suffix or "(none)")))
            continue
        if glob is not None:
            ignored.append(IgnoredFile(relative, IGNORE_REASON + glob))
            continue
        ignore_hint = f'list it under `ignore:` in the profile (ignore: ["{path.name}"])'
        rules = [r for r in profile.rules if r.matches(relative)]
        folder = relative.split("/", 1)[0] if "/" in relative else ""
        error = None
        if path.suffix.lower() in excel.EXCEL_SUFFIXES:
            try:
                planned_sheets, skipped = _plan_workbook(path, relative, folder, rules, profile)
            except IngestError as exc:
                if strict:
                    raise
                unclaimed.append(exc)
                continue
            ignored += skipped
            if planned_sheets or (rules and skipped):
                key = extract_key(path)
                for rule, sheet in planned_sheets:
                    files[rule.table].append(PlannedFile(path, relative, rule.table, rule, key, sheet))
                continue
        if not rules and folder in CANONICAL_FOLDERS and relative.count("/") == 1:
            table = contract.table_for_file(folder, _as_csv_name(path))
            if table is None:
                names = ", ".join(t.name for t in contract.tables_in(folder))
                error = IngestError(
                    path,
                    f"no table of landing/{folder}/ is called like this file",
                    f"Name the file after its table ({names}), optionally with a dated suffix such as "
                    f"_2026-03-31, or claim it with a rule in a mapping profile (salesops run --profile FILE)"
                    + (f"; if it is not data, {ignore_hint}" if profile.source else ""),
                )
            else:
                rules = [profile.canonical_rule(table)]
        elif not rules and profile.rules:
            error = IngestError(
                path,
                f"no rule of profile {profile.name!r} matches this file",
                "Add a `files:` rule whose `match` glob covers it; if it is not data "
                f"(a data dictionary, a price list), {ignore_hint}",
            )
        if error is not None:
            if strict:
                raise error
            unclaimed.append(error)
            continue
        if not rules:
            ignored.append(IgnoredFile(relative, "outside crm/, chat/, finance/: no rule reads it"))
            continue
        key = extract_key(path)
        for rule in rules:
            files[rule.table].append(PlannedFile(path, relative, rule.table, rule, key))
    for name in files:
        files[name].sort(key=lambda f: (f.extract_key, f.relative, f.sheet or ""))
    return Plan(files, ignored, unclaimed)


def plan_for(paths: Paths, profile: Profile = CANONICAL, strict: bool = True) -> Plan:
    """The run's plan of a home: :func:`plan_landing` of its landing, without the files
    forgotten with ``salesops forget`` (named in ``Plan.ignored``)."""
    return plan_landing(paths.landing, profile, strict, withdraw.forgotten_by_file(paths))


def _as_csv_name(path: Path) -> str:
    """A workbook named after its table (``opportunities.xlsx``) is claimed like its CSV would be."""
    if path.suffix.lower() in excel.EXCEL_SUFFIXES:
        return path.with_suffix(".csv").name
    return path.name


def _plan_workbook(
    path: Path, relative: str, folder: str, rules: list[FileRule], profile: Profile
) -> tuple[list[tuple[FileRule, str]], list[IgnoredFile]]:
    """Which rule reads which sheet of a workbook, and the sheets nobody reads (named, never
    skipped silently). With profile rules: each rule's ``sheets`` globs (default: every
    visible sheet). Canonical: a sheet named after a table of the folder is that table; a
    workbook named after a table gives it its first other visible sheet."""
    sheets = excel.list_sheets(path)
    planned: list[tuple[FileRule, str]] = []
    skipped: list[IgnoredFile] = []
    if rules:
        for sheet in sheets:
            readers = [
                r
                for r in rules
                if (r.sheets and r.reads_sheet(sheet.name)) or (not r.sheets and sheet.visible)
            ]
            planned += [(r, sheet.name) for r in readers]
            if not readers:
                why = (
                    "a hidden sheet: list it under the rule's `sheets:` to read it"
                    if not sheet.visible
                    else "no rule's `sheets:` names this sheet"
                )
                skipped.append(IgnoredFile(excel.sheet_label(relative, sheet.name), why))
        return planned, skipped
    if folder not in CANONICAL_FOLDERS or relative.count("/") != 1:
        return [], []
    by_name = {t.name: t for t in contract.tables_in(folder)}
    claimed: set[str] = set()
    rest = []
    for sheet in sheets:
        table = by_name.get(sheet.name.strip().lower())
        if table is not None:
            planned.append((profile.canonical_rule(table), sheet.name))
            claimed.add(table.name)
        else:
            rest.append(sheet)
    file_table = contract.table_for_file(folder, _as_csv_name(path))
    candidates = [sheet for sheet in rest if sheet.visible]
    if file_table is not None and file_table.name not in claimed and len(candidates) > 1:
        # Several unnamed sheets (an empty Sheet1 before the data): the first one holding cells.
        first = next((sheet for sheet in candidates if not excel.sheet_is_empty(path, sheet.name)), None)
        rest = [first, *(sheet for sheet in rest if sheet is not first)] if first else rest
    for sheet in rest:
        if file_table is not None and file_table.name not in claimed and sheet.visible:
            planned.append((profile.canonical_rule(file_table), sheet.name))
            claimed.add(file_table.name)
            continue
        why = "a hidden sheet" if not sheet.visible else "not named after a landing-contract table"
        skipped.append(IgnoredFile(excel.sheet_label(relative, sheet.name), why))
    return planned, skipped


def discover_landing(landing: Path, profile: Profile = CANONICAL) -> dict[str, list[Path]]:
    return {
        name: [f.path for f in planned]
        for name, planned in plan_landing(landing, profile).files.items()
    }


# ---------------------------------------------------------------- typing one file


@dataclass
class FilePart:
    part: str
    quarantine_part: str
    rows_read: int
    rows_quarantined: int
    encoding: str
    delimiter: str | None
    ignored_columns: list[str]
    columns: list[str]
    set_aside: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _resolve_headers(rule: FileRule, header: list[str]) -> FileRule:
    """The rule with its source column names spelled as this file spells them (:func:`header_key`:
    ``商机金额（元）`` in the profile finds ``商机金额(元)`` or a wrapped ``商机金额\n(元)``)."""
    by_key: dict[str, str] = {}
    for h in header:
        by_key.setdefault(header_key(h), h)

    def spell(name: str | None) -> str | None:
        if name is None or name in header:
            return name
        return by_key.get(header_key(name), name)

    derive = {
        c: replace(d, source=spell(d.source), fallbacks=tuple(spell(f) for f in d.fallbacks))
        for c, d in rule.derive.items()
    }
    options = rule.options
    if options.currency_column:
        options = replace(options, currency_column=spell(options.currency_column))
    return replace(
        rule, columns={spell(k): v for k, v in rule.columns.items()}, derive=derive, options=options
    )


def _column_sources(
    table: contract.Table, rule: FileRule, header: list[str], path: Path
) -> tuple[dict[str, str], list[str]]:
    """contract column → source header; and the headers nobody uses."""
    sources: dict[str, str] = {}
    for h in header:
        target = rule.columns.get(h) or (
            h if h in table.column_names and h not in rule.columns.values() else None
        )
        if target is None:
            continue
        if target in sources:
            raise IngestError(
                path,
                f"columns {sources[target]!r} and {h!r} both map to {table.name}.{target}",
                "Map only one of them under `columns` in the mapping profile",
            )
        sources[target] = h
    used = set(sources.values()) | {s for d in rule.derive.values() for s in d.sources}
    if rule.unpivot:
        used |= {h for h in header if re.search(rule.unpivot.columns, h)}
    return sources, [h for h in header if h not in used]


def _text_expression(column: contract.Column, rule: FileRule, sources: dict[str, str]) -> str:
    if rule.options.converts_currency and column.name in CONVERSION_COLUMNS:
        # Filled by the ingest: the row's currency, and the amount as the file gave it.
        if column.name == "currency":
            return _row_currency(rule)
        return _text_expression(contract.table("opportunities").column("amount"), rule, sources)
    if column.name in rule.derive:
        d = rule.derive[column.name]
        if d.constant is not None:
            return lit(d.constant)
        raw = ", ".join(f"nullif(trim({q(s)}), '')" for s in d.sources)
        if d.join is not None:  # NULLs are skipped: 销售一部 + 张伟, or just 张伟
            raw = f"nullif(concat_ws({lit(d.join)}, {raw}), '')"
        elif len(d.sources) > 1:
            raw = f"coalesce({raw})"
        if not (d.values or d.otherwise is not None or d.default is not None):
            return mapped(raw, rule.values.get(column.name, {}))
        # `values` maps; a value it does not list becomes `otherwise`, else stays itself (through
        # the rule's value map of the column); `default` fills only an empty source.
        kept = mapped(raw, rule.values.get(column.name, {}))
        if d.otherwise is not None:
            kept = lit(d.otherwise)
        cases = " ".join(f"when {lit(k)} then {lit(v)}" for k, v in d.values.items())
        non_empty = f"(case lower({raw}) {cases} else {kept} end)" if cases else kept
        empty = lit(d.default) if d.default is not None else "cast(null as varchar)"
        return f"(case when {raw} is null then {empty} else {non_empty} end)"
    if column.name in sources:
        return mapped(
            f"nullif(trim({q(sources[column.name])}), '')", rule.values.get(column.name, {})
        )
    return "cast(null as varchar)"


def _row_currency(rule: FileRule) -> str:
    column = rule.options.currency_column
    return currency_code(rule.options, q(column) if column else None)


def _masked(column: contract.Column, rule: FileRule, expression: str) -> str:
    """Free text (the contract's, or a column the profile rule lists under ``mask:``) masked."""
    masked = column.free_text or column.name in rule.mask
    return f"{pii.MASK_FUNCTION}({expression})" if masked else expression


def _unpivot(
    con: duckdb.DuckDBPyConnection, raw: reader.RawRows, rule: FileRule, sources: dict[str, str]
) -> None:
    pattern = re.compile(rule.unpivot.columns)
    wide = [h for h in raw.header if pattern.search(h)]
    if not wide:
        raise IngestError(
            raw.table,
            f"no column matches the unpivot pattern {rule.unpivot.columns!r}",
            "Check the pattern against the file's header",
        )
    keep = ", ".join(q(h) for h in raw.header if h not in wide)
    selects = []
    for h in wide:
        m = pattern.search(h)
        name = m.group("name") if "name" in pattern.groupindex else h
        selects.append(
            f"select _line, {keep}{', ' if keep else ''}{lit(name)} as __unpivot_name, {q(h)} as __unpivot_value "
            f"from {raw.table} where nullif(trim({q(h)}), '') is not null"
        )
    con.execute(
        f"create or replace temp table {raw.table} as select row_number() over (order by _line, __unpivot_name) as _record, * "
        f"from ({' union all '.join(selects)})"
    )
    sources[rule.unpivot.name] = "__unpivot_name"
    sources[rule.unpivot.value] = "__unpivot_value"


def type_file(
    con: duckdb.DuckDBPyConnection,
    table: contract.Table,
    planned: PlannedFile,
    paths: Paths,
    part_name: str,
    now: dt.datetime,
) -> FilePart:
    rule, path = planned.rule, planned.source_file
    options = rule.options
    name = "raw_" + re.sub(r"\W", "_", part_name)
    if planned.sheet is not None:
        raw = excel.read_sheet(con, planned.path, planned.sheet, options, name)
        reader.strip_value_boms(con, raw)
        encoding, delimiter = "workbook", None
    else:
        source = reader.open_source(con, planned.path, options, _work_dir(paths, table.name))
        raw = reader.read_rows(con, source, options, name)
        encoding, delimiter = source.encoding, source.delimiter
    if rule.format:
        context = chat_formats.AdapterContext(paths.bronze, planned.label, rule.format_options)
        raw = chat_formats.FORMATS[rule.format](con, raw, context)
    set_aside = dict(Counter(kind for _, kind in raw.set_aside))
    part = paths.bronze / "_parts" / table.name / f"{part_name}.parquet"
    quarantine_part = paths.quarantine / "_parts" / table.name / f"{part_name}.parquet"
    if not raw.header:
        # An empty sheet: nothing to type, and nothing lost (its note says so).
        _write(
            con,
            f"select *, cast(null as varchar) as _extract_key, cast(null as date) as _extract_date "
            f"from ({empty_bronze_sql(table)})",
            part,
        )
        _write(con, EMPTY_QUARANTINE_SQL, quarantine_part)
        n = len(raw.set_aside)
        return FilePart(
            str(part), str(quarantine_part), n, 0, encoding, delimiter, [], [], set_aside, raw.notes
        )
    rule = _resolve_headers(rule, raw.header)
    sources, unused = _column_sources(table, rule, raw.header, path)
    for col, d in rule.derive.items():
        for s in d.sources:
            if s not in raw.header:
                raise IngestError(
                    path,
                    f"derive.{col} reads column {s!r}, which the file does not have",
                    "Fix the profile's `from`",
                )
    converts = options.converts_currency and any(c.type == "decimal" for c in table.columns)
    if converts:
        if options.currency_column and options.currency_column not in raw.header:
            raise IngestError(
                path,
                f"currency_column {options.currency_column!r} is not a column of the file",
                "Fix `currency_column` in the profile's options (a source column holding each row's currency code)",
            )
        # The ingest fills the currency columns itself: a file's own columns of those names are not read.
        unused += [sources.pop(c) for c in CONVERSION_COLUMNS if c in sources]
        unused = [h for h in unused if h != options.currency_column]
    if rule.unpivot:
        _unpivot(con, raw, rule, sources)
    present = set(sources) | set(rule.derive)
    missing = [c for c in table.required_columns if c not in present]
    if missing:
        found = ", ".join(raw.header) or "none"
        raise IngestError(
            path,
            f"missing required column(s) {', '.join(missing)} of table {table.name} (found: {found})",
            "Add the column to the extract, or map your column name to it under `columns` in a mapping profile "
            "(or give every row one value with `constants:`)",
        )

    # Free text is masked here, first: bronze parts and quarantine only ever see the masked text.
    text_cols = [
        f"{_masked(c, rule, _text_expression(c, rule, sources))} as {q('t__' + c.name)}"
        for c in table.columns
    ]
    currency = f", {_row_currency(rule)} as __currency" if converts else ""
    # The parts of each number (cleaned text, canonical text, unit), computed once per cell
    # and shared by its typing and its range checks.
    parts: dict[str, dict[str, str]] = {}
    part_selects = []
    for c in table.columns:
        if c.type in ("decimal", "integer", "float"):
            found = number_parts(c, q("t__" + c.name), options)
            parts[c.name] = {k: q(f"n__{k}__{c.name}") for k in found}
            part_selects += [f", {sql} as {parts[c.name][k]}" for k, sql in found.items()]
    con.execute(
        f"create or replace temp table {name}_text as select *{''.join(part_selects)} from "
        f"(select _record, _line, {', '.join(text_cols)}{currency} from {raw.table})"
    )
    probability_percent = options.probability_scale == "percent"
    if options.probability_scale == "auto" and "probability" in table.column_names:
        # Percent when most values are above 1; a lone 1.5 among fractions is an error, not a scale.
        share_above_one = con.execute(
            f"select avg(case when try_cast(rtrim(t__probability, '%') as double) > 1 then 1.0 else 0.0 end) "
            f"from {name}_text where try_cast(rtrim(t__probability, '%') as double) is not null"
        ).fetchone()[0]
        probability_percent = share_above_one is not None and share_above_one > 0.5
    horizon = _latest_allowed(planned, now)
    typed_cols, error_selects = [], []
    # Amounts in another currency become yuan; `amount_original` keeps the file's own figure.
    rate = exchange_rate(options, "__currency") if converts else None
    no_rate = f"{rate} is null" if converts and options.currency_column else None
    for c in table.columns:
        raw_col = q("t__" + c.name)
        to_yuan = None if c.name == "amount_original" else rate
        typed_cols.append(
            f"{typed(c, raw_col, options, probability_percent, to_yuan, parts.get(c.name))} as {q(c.name)}"
        )
    part_columns = "".join(f", {column}" for p_ in parts.values() for column in p_.values())
    con.execute(
        f"create or replace temp table {name}_typed as select _record, _line, "
        f"{', '.join(q('t__' + c.name) for c in table.columns)}{currency and ', __currency'}{part_columns}, "
        f"{', '.join(typed_cols)} from {name}_text"
    )
    # Every check in one scan: a list of the row's failures, unnested.
    for c in table.columns:
        ranges = range_checks(
            c,
            q("t__" + c.name),
            q(c.name),
            options,
            None if c.name == "amount_original" else rate,
            figure=not (converts and c.name == "amount_original"),
            parts=parts.get(c.name),
        )
        for condition, reason in checks(c, q("t__" + c.name), q(c.name), horizon, no_rate, ranges):
            error_selects.append(
                f"case when {condition} then {{'column_name': {lit(c.name)}, 'raw_value': {q('t__' + c.name)}, "
                f"'reason': {lit(reason)}}} end"
            )
    amounts = [q("t__" + c.name) for c in table.columns if c.type == "decimal"]
    if no_rate and amounts:
        error_selects.append(
            f"case when {no_rate} and coalesce({', '.join(amounts)}) is not null then "
            f"{{'column_name': 'currency', 'raw_value': __currency, 'reason': {lit(NO_RATE_REASON)}}} end"
        )
    con.execute(
        f"create or replace temp table {name}_errors as select _record, _line, e.column_name, e.raw_value, e.reason "
        f"from (select _record, _line, unnest(list_filter([{', '.join(error_selects)}], lambda x: x is not null)) as e "
        f"from {name}_typed)"
    )
    # Rules across columns judge rows whose values all typed; a row already quarantined keeps its first reasons.
    for rule_ in table.row_rules:
        con.execute(
            f"insert into {name}_errors select _record, _line, {lit(rule_.column)}, cast({q('t__' + rule_.column)} as varchar), "
            f"{lit(rule_.reason)} from {name}_typed where coalesce({rule_.violation}, false) "
            f"and _record not in (select _record from {name}_errors)"
        )
    rel_file = path
    rejected = [
        (rel_file, line, None, pii.mask_text(text)[:MAX_QUARANTINED_TEXT], reason)
        for line, text, reason in raw.rejects
    ]
    data_cols = ", ".join(q(c) for c in table.column_names)
    extract_date = _extract_date(con, table, planned, f"{name}_typed", f"{name}_errors")
    _write(
        con,
        f"select {data_cols}, {lit(rel_file)} as _source_file, _line as _source_line, {lit(planned.extract_key)} as _extract_key, "
        f"cast({lit(extract_date.isoformat())} as date) as _extract_date "
        f"from {name}_typed where _record not in (select _record from {name}_errors) order by _record",
        part,
    )
    con.execute(
        f"create or replace temp table {name}_quarantine as select {lit(table.name)} as table_name, {lit(rel_file)} as file, "
        f"_line as line, column_name, {pii.MASK_FUNCTION}(raw_value) as raw_value, reason from {name}_errors"
    )
    if rejected:
        con.executemany(
            f"insert into {name}_quarantine values ({lit(table.name)}, ?, ?, ?, ?, ?)", rejected
        )
    _write(con, f"select * from {name}_quarantine order by line, column_name", quarantine_part)
    read, quarantined = con.execute(
        f"select (select count(*) from {name}_typed), (select count(distinct _record) from {name}_errors)"
    ).fetchone()
    notes = raw.notes + _unmapped_values_notes(con, table, name) + _repeated_keys_note(con, table, name)
    return FilePart(
        str(part),
        str(quarantine_part),
        read + len(rejected) + len(raw.set_aside),
        quarantined + len(rejected),
        encoding,
        delimiter,
        unused,
        sorted(set(sources) | set(rule.derive)),
        set_aside,
        notes,
    )


def ignored_columns_text(columns: list[str]) -> str:
    """The run log's words for a file's columns that nothing reads."""
    return (
        f"columns not read 未读取的列: {', '.join(columns)} (no contract column of that name: map "
        "one under `columns` in a mapping profile if it holds a contract field)"
    )


def superseded_text(accounts: list[FileAccount]) -> str:
    """The run log's words for rows replaced by the same key elsewhere: per file, by which file."""
    parts = []
    for a in accounts:
        if not a.rows_superseded or not a.superseded_by:
            continue
        by = ", ".join(f"{f} ×{n}" for f, n in sorted(a.superseded_by.items(), key=lambda kv: (-kv[1], kv[0])))
        examples = f"; e.g. {', '.join(a.superseded_examples)}" if a.superseded_examples else ""
        parts.append(f"{a.file}: {a.rows_superseded} by {by}{examples}")
    if not parts:
        return ""
    return (
        "rows replaced by a later row with the same key (latest extract wins) 同一编号以最新导出为准: "
        + " | ".join(parts)
    )


def _unmapped_values_notes(con: duckdb.DuckDBPyConnection, table: contract.Table, name: str) -> list[str]:
    """Values outside a column's allowed set, by name and count (a vendor's stage the profile
    does not map): those rows are quarantined, and the note says what to add to ``values:``."""
    found = con.execute(
        f"select column_name, raw_value, count(*) as n from {name}_errors where starts_with(reason, 'not one of') "
        "group by all order by column_name, n desc, raw_value"
    ).fetchall()
    notes = []
    for column in dict.fromkeys(c for c, _, _ in found):
        values = [(v, n) for c, v, n in found if c == column]
        shown = ", ".join(f"{v} ×{n}" for v, n in values[:8]) + (" …" if len(values) > 8 else "")
        notes.append(
            f"{column}: {sum(n for _, n in values)} row(s) quarantined with values outside the allowed "
            f"{table.name}.{column} values ({shown}) — map them under `values: {{{column}: …}}` in the profile "
            "未映射的取值"
        )
    return notes


def _repeated_keys_note(con: duckdb.DuckDBPyConnection, table: contract.Table, name: str) -> list[str]:
    """Keys on more than one row of one file are reported, not merged silently (two people
    named 张伟 in one team have one id when the id is built from department and name)."""
    pk = ", ".join(q(c) for c in table.primary_key)
    key_text = " || ' / ' || ".join(f"coalesce(cast({q(c)} as varchar), '')" for c in table.primary_key)
    found = con.execute(
        f"select {key_text}, list(_line order by _line), count(*) over () from {name}_typed "
        f"where _record not in (select _record from {name}_errors) group by {pk} having count(*) > 1 "
        "order by min(_line) limit 3"
    ).fetchall()
    if not found:
        return []
    examples = "; ".join(f"{key} on rows {', '.join(map(str, lines[:4]))}" for key, lines, _ in found)
    return [
        f"{found[0][2]} {'/'.join(table.primary_key)} value(s) on more than one row ({examples}): the last "
        "row is kept and the others count as superseded; if they are different records, export a "
        "distinct id (工号 for people) 同一编号出现在多行"
    ]


def _extract_date(
    con: duckdb.DuckDBPyConnection,
    table: contract.Table,
    planned: PlannedFile,
    typed_table: str,
    errors_table: str,
) -> dt.date:
    """The day an extract describes: the date in its name (a monthly ``_2026-03`` extract: the
    month's last day), else the latest timestamp among its accepted rows (an undated export
    made after the last change it holds), else its modification date. Unlike the
    modification time, this does not depend on when the file was copied."""
    key = planned.extract_key
    if "T" not in key:
        if key.endswith("-99"):
            year, month = int(key[:4]), int(key[5:7])
            return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        return dt.date.fromisoformat(key[:10])
    stamps = [q(c.name) for c in table.columns if c.type == "timestamp"]
    if stamps:
        latest = con.execute(
            f"select max(cast(greatest({', '.join(stamps)}) as date)) from {typed_table} "
            f"where _record not in (select _record from {errors_table})"
        ).fetchone()[0]
        if latest is not None:
            return latest
    return dt.date.fromisoformat(key[:10])


def _work_dir(paths: Paths, table: str) -> Path:
    """UTF-8 copies of non-UTF-8 files: raw text (PII included), in the home's private working
    folder (0700, files 0600), removed when the table is done; what a killed run left there is
    removed at the next run's start (:func:`salesops.run_lock.remove_leftovers`)."""
    paths.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(paths.work_dir, 0o700)
    return paths.work_dir / table


def _latest_allowed(planned: PlannedFile, now: dt.datetime) -> str:
    """Facts may not lie after the extract: the date in the file's name when it has one, else
    the run (an undated file's key is its modification time). Two days of slack for time zones."""
    key = planned.extract_key
    if "T" in key:
        latest = now.date()
    elif key.endswith("-99"):  # a monthly extract (``_2026-03``): the month's last day
        year, month = int(key[:4]), int(key[5:7])
        latest = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    else:
        latest = dt.date.fromisoformat(key[:10])
    return f"timestamp '{latest + dt.timedelta(days=2)}'"


def _write(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    """Write atomically: readers of the previous file never see a half-written one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    con.execute(f"copy ({select_sql}) to {lit(str(tmp))} (format parquet, compression snappy)")
    os.replace(tmp, target)


# ---------------------------------------------------------------- registry and consolidation


def _registry_path(paths: Paths, table: str) -> Path:
    return paths.bronze / "_registry" / f"{table}.json"


def _read_registry(paths: Paths, table: str) -> dict | None:
    """The registry file as written, whatever its version (None when there is none)."""
    path = _registry_path(paths, table)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _withdraw(
    paths: Paths,
    table: str,
    registry: dict,
    previous: dict | None,
    planned: set[str],
    now: dt.datetime,
) -> tuple[list[dict], list[dict]]:
    """Take every file an earlier run read and this run does not plan out of ``registry`` (also
    the files of a registry of an earlier :data:`REGISTRY_VERSION`, which :func:`load_registry`
    starts afresh). Its parts (its rows and its quarantined raw text) are deleted by
    :func:`_remove_unreferenced_parts` once the registry without it is saved: a run failing
    before then withdraws it again. Returns what was withdrawn
    (:attr:`TableIngestResult.withdrawn`) and the run-log events."""
    outdated = previous["files"] if previous and previous.get("version") != REGISTRY_VERSION else {}
    kept_before = {a["file"]: a["rows_accepted"] for a in (previous or {}).get("accounts", [])}
    forgotten = withdraw.forgotten_by_file(paths)
    withdrawn: list[dict] = []
    events: list[dict] = []
    for label in sorted({*outdated, *registry["files"]} - planned):
        entry = registry["files"].pop(label, None) or outdated[label]
        item = {
            "file": label,
            "rows": int(entry["rows_read"]),
            "kept": int(kept_before.get(label, 0)),
            "quarantined": int(entry["rows_quarantined"]),
            "reason": withdraw.withdrawal_reason(paths, label, forgotten),
        }
        withdrawn.append(item)
        events.append(
            {
                "at": now.isoformat(timespec="seconds"),
                "table": table,
                "file": label,
                "action": "withdrawn",
                "rows": item["rows"],
                "kept": item["kept"],
                "quarantined": item["quarantined"],
                "reason": f"{item['reason']}: its rows are taken out of bronze 其数据已从 bronze 删除",
            }
        )
    return withdrawn, events


def _parts_dirs(paths: Paths, table: str) -> tuple[Path, Path]:
    return paths.bronze / "_parts" / table, paths.quarantine / "_parts" / table


def _remove_unreferenced_parts(paths: Paths, table: str, registry: dict) -> None:
    """Delete every part of ``table`` no registry entry points to (a withdrawn file's, one left
    by an interrupted run or an earlier registry version): no rows outlive their file."""
    in_use = {
        Path(e[key]).resolve()
        for e in registry["files"].values()
        for key in ("part", "quarantine_part")
    }
    for folder in _parts_dirs(paths, table):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and path.resolve() not in in_use:
                    path.unlink(missing_ok=True)


def load_registry(paths: Paths, table: str) -> dict:
    path = _registry_path(paths, table)
    if path.exists():
        registry = json.loads(path.read_text(encoding="utf-8"))
        if registry.get("version") == REGISTRY_VERSION:
            return registry
    return {"version": REGISTRY_VERSION, "files": {}}


def _save_registry(paths: Paths, table: str, registry: dict) -> None:
    path = _registry_path(paths, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(registry, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    os.replace(tmp, path)


def _log(paths: Paths, table: str, events: list[dict]) -> None:
    if not events:
        return
    path = paths.bronze / "_log" / f"{table}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")


def _check_one_schema(
    table: contract.Table, planned: list[PlannedFile], con: duckdb.DuckDBPyConnection, paths: Paths
) -> None:
    """Two files claiming one table under the same rule must have the same columns."""
    seen: dict[str, tuple[str, frozenset[str]]] = {}
    for f in planned:
        if f.path.suffix.lower() not in (".csv", ".tsv", ".txt"):
            continue
        source = reader.open_source(con, f.path, f.rule.options, _work_dir(paths, table.name))
        sources, _ = _column_sources(table, f.rule, source.header, f.path)
        columns = frozenset(sources)
        fp = f.rule.fingerprint()
        if fp in seen and seen[fp][1] != columns:
            other, other_columns = seen[fp]
            only_other = ", ".join(sorted(other_columns - columns)) or "none"
            only_this = ", ".join(sorted(columns - other_columns)) or "none"
            raise IngestError(
                f.path,
                f"this file and {other} both claim table {table.name} with different columns "
                f"(only in {other}: {only_other}; only in this file: {only_this})",
                "Export both with the same columns, or give each its own rule in a mapping profile",
            )
        seen.setdefault(fp, (f.relative, columns))


def ingest_table(
    table: contract.Table,
    paths: Paths,
    profile: Profile = CANONICAL,
    plan: Plan | None = None,
    now: dt.datetime | None = None,
) -> TableIngestResult:
    """Bring one table's landing files into bronze; return its row accounting and run log."""
    now = now or dt.datetime.now()
    plan = plan or plan_for(paths, profile)
    planned = plan.files[table.name]
    if table.name in DERIVED_TABLES or (profile.org is not None and table.name in org.ORG_DERIVED):
        if not planned:
            derived = _derive_table(table, paths, now, profile)
            if derived is not None:
                return derived
        _derived_state_file(paths, table.name).unlink(missing_ok=True)
    previous = _read_registry(paths, table.name)
    registry = load_registry(paths, table.name)
    # First, so that a copy of a withdrawn file is typed itself below, not skipped as its twin.
    withdrawn, events = _withdraw(
        paths, table.name, registry, previous, {f.label for f in planned}, now
    )
    if withdrawn:
        withdraw.request_compaction(paths)
    copies: list[tuple[str, str]] = []
    ignored_columns: dict[str, list[str]] = {}
    con = duck.own_database()
    pii.register(con)
    try:
        _check_one_schema(table, planned, con, paths)
        for f in planned:
            fingerprint = f"{REGISTRY_VERSION}-{f.rule.fingerprint()}-{reporting_timezone()}"
            if f.rule.format:
                # An adapter reads tables ingested before it (reps, customers, …): when they
                # change, the file is typed again.
                fingerprint += "-" + _bronze_state(paths, chat_formats.DEPENDS_ON[f.rule.format])
            entry = registry["files"].get(f.label)
            stat = f.path.stat()
            stat_key = f"{stat.st_size}-{stat.st_mtime_ns}"
            # Same size and modification time as when it was hashed: skip re-reading the bytes.
            if entry and entry.get("stat") == stat_key and entry["rule"] == fingerprint:
                sha = entry["sha256"]
            else:
                sha = reader.file_sha256(f.path)
                if f.sheet is not None:  # each sheet is its own source
                    sha = hashlib.sha256(f"{sha}#{f.sheet}".encode()).hexdigest()
            stamp = {
                "at": now.isoformat(timespec="seconds"),
                "table": table.name,
                "file": f.label,
            }
            if entry and entry["sha256"] == sha and entry["rule"] == fingerprint:
                events.append({**stamp, "action": "unchanged"})
                continue
            twin = next(
                (
                    k
                    for k, e in registry["files"].items()
                    if e["sha256"] == sha and e["rule"] == fingerprint and k != f.label
                ),
                None,
            )
            if twin:
                copies.append((f.label, twin))
                events.append(
                    {
                        **stamp,
                        "action": "skipped",
                        "reason": f"same content as {twin}, already ingested",
                    }
                )
                continue
            part_name = f"{sha[:16]}-{f.rule.fingerprint()[:8]}"
            result = type_file(con, table, f, paths, part_name, now)
            new_entry = {
                "ignored_columns": result.ignored_columns,
                "sha256": sha,
                "stat": stat_key,
                "rule": fingerprint,
                "extract_key": f.extract_key,
                "path": f.source_file,
                "part": result.part,
                "quarantine_part": result.quarantine_part,
                "rows_read": result.rows_read,
                "rows_quarantined": result.rows_quarantined,
                "encoding": result.encoding,
                "delimiter": result.delimiter,
                "set_aside": result.set_aside,
                "notes": result.notes,
                "ingested_at": stamp["at"],
            }
            if entry:
                events.append(
                    {
                        **stamp,
                        "action": "replaced",
                        "reason": f"{f.label} changed: this extract replaces its earlier version "
                        f"({entry['rows_read']} → {result.rows_read} rows)",
                    }
                )
                for old in (entry["part"], entry["quarantine_part"]):
                    if old not in (result.part, result.quarantine_part):
                        Path(old).unlink(missing_ok=True)
            else:
                events.append(
                    {
                        **stamp,
                        "action": "added",
                        "rows": result.rows_read,
                        "quarantined": result.rows_quarantined,
                    }
                )
            if result.ignored_columns:
                events[-1]["ignored_columns"] = result.ignored_columns
                events[-1]["reason"] = " ".join(
                    filter(None, [events[-1].get("reason"), ignored_columns_text(result.ignored_columns)])
                )
            registry["files"][f.label] = new_entry
        state = _consolidation_state(table, paths, registry)
        outputs_exist = all(p.exists() for p in _outputs(table, paths))
        if registry.get("consolidated_state") == state and outputs_exist and "accounts" in registry:
            accounts = [FileAccount(**a) for a in registry["accounts"]]
        else:
            accounts = consolidate(con, table, paths, registry)
            registry["consolidated_state"] = state
            registry["accounts"] = [asdict(a) for a in accounts]
            superseded = superseded_text(accounts)
            if superseded:
                events.append(
                    {
                        "at": now.isoformat(timespec="seconds"),
                        "table": table.name,
                        "file": f"bronze/{table.name}.parquet",
                        "action": "superseded",
                        "rows": sum(a.rows_superseded for a in accounts),
                        "reason": superseded,
                    }
                )
        # Columns no contract column reads, per file, as the file was last typed.
        ignored_columns = {
            label: e["ignored_columns"] for label, e in registry["files"].items() if e.get("ignored_columns")
        }
        failpoints.reach("ingest", table.name)  # the fault tests' kill during the ingest
        _save_registry(paths, table.name, registry)
        _remove_unreferenced_parts(paths, table.name, registry)
        # A copy of an ingested file is still accounted for: each of its rows is superseded
        # by the same row of the file it copies.
        for relative, twin in copies:
            n = registry["files"][twin]["rows_read"]
            set_aside = registry["files"][twin].get("set_aside", {})
            aside = sum(set_aside.values())
            accounts.append(FileAccount(relative, n, 0, 0, n - aside, aside, set_aside))
    finally:
        con.close()
        shutil.rmtree(_work_dir(paths, table.name), ignore_errors=True)
    _log(paths, table.name, events)
    result = TableIngestResult(
        table.name,
        accounts,
        str(paths.bronze / f"{table.name}.parquet"),
        str(paths.quarantine / f"{table.name}.parquet"),
        events,
        ignored_columns,
        conflicts=conflicting_rows(conflicts_path(paths, table.name)),
        withdrawn=withdrawn,
    )
    _write_accounts(paths, result)
    return result


def conflicting_rows(path: Path) -> int:
    """Kept rows of a table flagged in its conflicts file (a row in two pairs counts once)."""
    if not path.exists():
        return 0
    with duck.connect() as con:
        return con.execute(
            f"select count(distinct (file, line)) from read_parquet({lit(str(path))})"
        ).fetchall()[0][0]


def _derived_state_file(paths: Paths, table: str) -> Path:
    return paths.bronze / "_registry" / f"{table}.derived.json"


def _derivation(table: contract.Table, paths: Paths, profile: Profile):
    """How ``table`` is derived when no landing file has it: (input files, a function writing
    the rows into a temp table and returning its name or None, source label, reason); None when
    it is not derivable under this profile."""
    if table.name in DERIVED_TABLES:
        source = paths.bronze / f"{DERIVED_TABLES[table.name]}.parquet"
        history = history_path(paths, DERIVED_TABLES[table.name])

        def stage_history(con: duckdb.DuckDBPyConnection) -> str | None:
            if con.execute(f"select count(*) from read_parquet({lit(str(source))})").fetchone()[0] == 0:
                return None
            return derive_stage_history(con, source, history if history.exists() else None)

        reason = (
            f"no landing file has {table.name}: derived from {DERIVED_TABLES[table.name]} "
            "(current stage, created and closed dates, dated extracts); derived_from says what each row rests on"
        )
        return [source, history], stage_history, DERIVED_SOURCE_FILE, reason
    if profile.org is None or table.name not in org.ORG_DERIVED:
        return None
    inputs = [paths.bronze / f"{name}.parquet" for name in org.ORG_DERIVED[table.name]]
    reason = (
        f"no landing file has {table.name}: derived from the department paths in "
        f"{', '.join(org.ORG_DERIVED[table.name])} (profile `org:`)"
    )

    def from_paths(con: duckdb.DuckDBPyConnection) -> str | None:
        if table.name == "reps":
            sql = org.reps_sql(paths.bronze, profile.org)
            if sql is None:
                return None
            con.execute(f"create or replace temp table derived_rows as {sql}")
        else:
            rows = org.org_units_rows(con, paths.bronze, profile.org)
            con.execute(
                "create or replace temp table derived_rows (unit_id varchar, level varchar, parent_id varchar, "
                "name varchar, structured_since date, _source_file varchar, _source_line bigint)"
            )
            con.executemany(
                "insert into derived_rows values (?, ?, ?, ?, null, ?, ?)",
                [(*r, org.SOURCE_LABEL["org_units"], i) for i, r in enumerate(rows, start=1)],
            )
        if con.execute("select count(*) from derived_rows").fetchone()[0] == 0:
            return None
        return "derived_rows"

    return inputs, from_paths, org.SOURCE_LABEL[table.name], reason


def _derive_table(
    table: contract.Table, paths: Paths, now: dt.datetime, profile: Profile
) -> TableIngestResult | None:
    """Write ``table``'s bronze from the tables it derives from; None when they hold nothing."""
    derivation = _derivation(table, paths, profile)
    if derivation is None:
        return None
    inputs, build, label, reason = derivation
    if not any(p.exists() for p in inputs):
        return None
    state_file = _derived_state_file(paths, table.name)
    state = json.dumps(
        [(str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in inputs if p.exists()]
    )
    bronze = paths.bronze / f"{table.name}.parquet"
    accounts = paths.bronze / "_accounts" / f"{table.name}.json"
    if state_file.exists() and bronze.exists() and accounts.exists():
        previous = json.loads(state_file.read_text(encoding="utf-8"))
        if previous.get("state") == state:
            # What it derives from has not changed: nor has the derived table (idempotent).
            event = {
                "at": now.isoformat(timespec="seconds"),
                "table": table.name,
                "file": label,
                "action": "unchanged",
            }
            account = json.loads(accounts.read_text(encoding="utf-8"))
            unchanged = TableIngestResult(
                table.name,
                [],
                str(bronze),
                str(paths.quarantine / f"{table.name}.parquet"),
                [event],
                derived_rows=int(account.get("derived_rows", 0)),
            )
            if account.get("withdrawn"):  # said by the run that withdrew them, not again
                _write_accounts(paths, unchanged)
            return unchanged
    con = duck.own_database()
    try:
        rows = build(con)
        if rows is None:
            return None
        columns = ", ".join(q(c) for c in table.column_names)
        _write(
            con,
            f"select {columns}, _source_file, _source_line from {rows} order by _source_line",
            paths.bronze / f"{table.name}.parquet",
        )
        _write(con, EMPTY_QUARANTINE_SQL, paths.quarantine / f"{table.name}.parquet")
        _write(con, EMPTY_CONFLICTS_SQL, conflicts_path(paths, table.name))
        n = con.execute(f"select count(*) from {rows}").fetchone()[0]
    finally:
        con.close()
    event = {
        "at": now.isoformat(timespec="seconds"),
        "table": table.name,
        "file": label,
        "action": "derived",
        "rows": n,
        "reason": reason,
    }
    # The files an earlier run read for this table are withdrawn (none is planned now).
    registry = load_registry(paths, table.name)
    withdrawn, events = _withdraw(
        paths, table.name, registry, _read_registry(paths, table.name), set(), now
    )
    if withdrawn:
        withdraw.request_compaction(paths)
    _log(paths, table.name, [*events, event])
    _registry_path(paths, table.name).unlink(missing_ok=True)
    _remove_unreferenced_parts(paths, table.name, registry)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps({"state": state}), encoding="utf-8")
    result = TableIngestResult(
        table.name,
        [],
        str(bronze),
        str(paths.quarantine / f"{table.name}.parquet"),
        [*events, event],
        derived_rows=n,
        withdrawn=withdrawn,
    )
    _write_accounts(paths, result)
    return result


def _write_accounts(paths: Paths, result: TableIngestResult) -> None:
    folder = paths.bronze / "_accounts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{result.table}.json").write_text(
        json.dumps(result.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
    )


def history_path(paths: Paths, table: str) -> Path:
    """The extract history of a table in :data:`HISTORY_TABLES`."""
    return paths.bronze / "_history" / f"{table}.parquet"


def _outputs(table: contract.Table, paths: Paths) -> list[Path]:
    outputs = [
        paths.bronze / f"{table.name}.parquet",
        paths.quarantine / f"{table.name}.parquet",
        conflicts_path(paths, table.name),
    ]
    if table.name in HISTORY_TABLES:
        outputs.append(history_path(paths, table.name))
    return outputs


def empty_bronze_sql(table: contract.Table) -> str:
    cols = [f"cast(null as {c.duckdb_type}) as {q(c.name)}" for c in table.columns]
    return f"select {', '.join(cols)}, cast(null as varchar) as _source_file, cast(null as bigint) as _source_line where false"


EMPTY_CONFLICTS_SQL = (
    "select cast(null as varchar) as table_name, cast(null as varchar) as file, cast(null as bigint) as line, "
    "cast(null as varchar) as column_name, cast(null as varchar) as raw_value, cast(null as varchar) as other_table, "
    "cast(null as varchar) as other_file, cast(null as bigint) as other_line, cast(null as varchar) as key, "
    "cast(null as varchar) as reason where false"
)
"""Pairs of rows of two tables that contradict each other (:class:`contract.ReferenceRule` ``flag``)."""


def conflicts_path(paths: Paths, table: str) -> Path:
    return paths.bronze / "_conflicts" / f"{table}.parquet"


EMPTY_QUARANTINE_SQL = (
    "select cast(null as varchar) as table_name, cast(null as varchar) as file, cast(null as bigint) as line, "
    "cast(null as varchar) as column_name, cast(null as varchar) as raw_value, cast(null as varchar) as reason where false"
)


def _consolidation_state(table: contract.Table, paths: Paths, registry: dict) -> str:
    """Changes whenever the consolidated table could: a part, or a table a rule refers to."""
    parts = sorted((k, e["sha256"], e["rule"]) for k, e in registry["files"].items())
    referenced = []
    for rule in table.reference_rules:
        other = paths.bronze / f"{rule.table}.parquet"
        referenced.append((rule.table, other.stat().st_mtime_ns if other.exists() else None))
    payload = json.dumps([parts, referenced], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def consolidate(
    con: duckdb.DuckDBPyConnection, table: contract.Table, paths: Paths, registry: dict
) -> list[FileAccount]:
    entries = registry["files"]
    bronze = paths.bronze / f"{table.name}.parquet"
    quarantine = paths.quarantine / f"{table.name}.parquet"
    keeps_history = table.name in HISTORY_TABLES
    if not entries:
        _write(con, empty_bronze_sql(table), bronze)
        _write(con, EMPTY_QUARANTINE_SQL, quarantine)
        _write(con, EMPTY_CONFLICTS_SQL, conflicts_path(paths, table.name))
        if keeps_history:
            _write(
                con,
                f"select *, cast(null as date) as _extract_date from ({empty_bronze_sql(table)})",
                history_path(paths, table.name),
            )
        return []
    parts = "[" + ", ".join(lit(e["part"]) for e in entries.values()) + "]"
    q_parts = "[" + ", ".join(lit(e["quarantine_part"]) for e in entries.values()) + "]"
    con.execute(
        f"create or replace temp table all_rows as select * from read_parquet({parts}, union_by_name = true)"
    )
    con.execute(
        f"create or replace temp table all_quarantine as select * from read_parquet({q_parts}, union_by_name = true)"
    )
    con.execute(
        "create or replace temp table reference_errors (table_name varchar, file varchar, line bigint, "
        "column_name varchar, raw_value varchar, reason varchar)"
    )
    con.execute(f"create or replace temp table conflicts as {EMPTY_CONFLICTS_SQL}")
    for rule in table.reference_rules:
        other = paths.bronze / f"{rule.table}.parquet"
        if not other.exists():
            continue
        on = " and ".join(f"t.{q(a)} = r.{q(b)}" for a, b in rule.on)
        pairs = f"from all_rows t join read_parquet({lit(str(other))}) r on {on} where {rule.violation}"
        if rule.action == "quarantine":
            con.execute(
                f"insert into reference_errors select {lit(table.name)}, t._source_file, t._source_line, {lit(rule.column)}, "
                f"cast(t.{q(rule.column)} as varchar), {lit(rule.reason)} {pairs}"
            )
            continue
        # Flagged, not rejected: both rows stay, and the pair is listed for the quality report.
        keys = " || ', ' || ".join(f"cast(t.{q(a)} as varchar)" for a, _ in rule.on)
        con.execute(
            f"insert into conflicts select {lit(table.name)}, t._source_file, t._source_line, "
            f"{lit(rule.column)}, cast(t.{q(rule.column)} as varchar), {lit(rule.table)}, r._source_file, "
            f"r._source_line, {keys}, {lit(rule.reason)} {pairs}"
        )
    con.execute(
        "create or replace temp table valid_rows as select a.* from all_rows a anti join reference_errors e "
        "on a._source_file = e.file and a._source_line = e.line"
    )
    pk = ", ".join(q(c) for c in table.primary_key)
    con.execute(
        "create or replace temp table kept_rows as select * from valid_rows "
        f"qualify row_number() over (partition by {pk} "
        "order by _extract_date desc, _extract_key desc, _source_file desc, _source_line desc) = 1"
    )
    data_cols = ", ".join(q(c) for c in table.column_names)
    if keeps_history:
        # One row per key and extract date: two files of the same day resolve as above.
        _write(
            con,
            f"select {data_cols}, _source_file, _source_line, _extract_date from valid_rows "
            f"qualify row_number() over (partition by {pk}, _extract_date "
            "order by _extract_key desc, _source_file desc, _source_line desc) = 1 "
            f"order by {pk}, _extract_date",
            history_path(paths, table.name),
        )
    _write(
        con,
        f"select {data_cols}, _source_file, _source_line from kept_rows order by _source_file, _source_line",
        bronze,
    )
    _write(
        con,
        "select * from (select * from all_quarantine union all by name select * from reference_errors) order by file, line, column_name",
        quarantine,
    )
    # Flags of rows superseded by a later extract are moot: only kept rows are listed.
    _write(
        con,
        "select c.* from conflicts c semi join kept_rows k on c.file = k._source_file and c.line = k._source_line "
        "order by c.file, c.line, c.other_file, c.other_line",
        conflicts_path(paths, table.name),
    )
    # Which row replaced each superseded one: the kept row of its key (file and line).
    key_text = " || ' / ' || ".join(f"coalesce(cast(v.{q(c)} as varchar), '')" for c in table.primary_key)
    on_key = " and ".join(f"v.{q(c)} is not distinct from k.{q(c)}" for c in table.primary_key)
    superseded: dict[str, tuple[dict[str, int], list[str]]] = {}
    for file, by_file, n, examples in con.execute(
        f"select v._source_file, k._source_file, count(*), "
        f"list({key_text} || ' (line ' || v._source_line || ' → ' || "
        "case when k._source_file = v._source_file then '' else k._source_file || ' ' end || "
        "'line ' || k._source_line || ')' order by v._source_line) "
        f"from valid_rows v join kept_rows k on {on_key} "
        "where not (v._source_file = k._source_file and v._source_line = k._source_line) "
        "group by all order by 1, 3 desc, 2"
    ).fetchall():
        by, shown = superseded.setdefault(file, ({}, []))
        by[_entry_label(entries, by_file)] = int(n)
        shown += examples[: MAX_SUPERSEDED_EXAMPLES - len(shown)]
    counts = {
        file: (valid, kept, refs)
        for file, valid, kept, refs in con.execute(
            "select f, coalesce(v.n, 0), coalesce(k.n, 0), coalesce(r.n, 0) from (select distinct _source_file as f from all_rows) "
            "left join (select _source_file as f, count(*) as n from valid_rows group by 1) v using (f) "
            "left join (select _source_file as f, count(*) as n from kept_rows group by 1) k using (f) "
            "left join (select file as f, count(distinct line) as n from reference_errors group by 1) r using (f)"
        ).fetchall()
    }
    accounts = []
    for relative, e in entries.items():
        valid, kept, refs = counts.get(e["path"], (0, 0, 0))
        set_aside = e.get("set_aside", {})
        by, examples = superseded.get(e["path"], ({}, []))
        accounts.append(
            FileAccount(
                relative,
                e["rows_read"],
                kept,
                e["rows_quarantined"] + refs,
                valid - kept,
                sum(set_aside.values()),
                set_aside,
                e.get("notes", []),
                by,
                [_relabel(x, entries) for x in examples],
            )
        )
    return accounts


def _relabel(text: str, entries: dict) -> str:
    """``text`` with every file's full path written as its label (``crm/b.csv``)."""
    for label, e in sorted(entries.items(), key=lambda kv: -len(kv[1]["path"])):
        text = text.replace(e["path"], label)
    return text


def _entry_label(entries: dict, source_file: str) -> str:
    """A registry entry's label (``crm/b.csv``) from its rows' ``_source_file`` (the full path)."""
    return next((label for label, e in entries.items() if e["path"] == source_file), source_file)


def _bronze_state(paths: Paths, tables: tuple[str, ...]) -> str:
    """Changes when any of these bronze tables is rewritten."""
    state = []
    for name in tables:
        p = paths.bronze / f"{name}.parquet"
        state.append((name, p.stat().st_mtime_ns if p.exists() else None))
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()[:12]


def upstream_tables(name: str) -> tuple[str, ...]:
    """Bronze tables that must be ingested before ``name``: those its reference rules check,
    those it may be derived from, those a chat adapter reads (one definition, used by
    :func:`ingest_all` and the Dagster assets' dependencies)."""
    table = contract.table(name)
    found = [r.table for r in table.reference_rules]
    if name in DERIVED_TABLES:
        found.append(DERIVED_TABLES[name])
    found += org.ORG_DERIVED.get(name, ())
    if name == "chat_messages":
        found += [t for deps in chat_formats.DEPENDS_ON.values() for t in deps]
    return tuple(dict.fromkeys(found))


def ingest_order() -> list[str]:
    """Contract order, except that a table comes after every table in :func:`upstream_tables`."""
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        for dep in upstream_tables(name):
            visit(dep)
        done.append(name)

    for name in contract.TABLES:
        visit(name)
    return done


def ingest_all(
    paths: Paths, profile: Profile = CANONICAL, now: dt.datetime | None = None
) -> dict[str, TableIngestResult]:
    """Ingest every contract table, upstream tables first (:func:`ingest_order`)."""
    plan = plan_for(paths, profile)
    results = {
        name: ingest_table(contract.table(name), paths, profile, plan, now)
        for name in ingest_order()
    }
    return {name: results[name] for name in contract.TABLES}
