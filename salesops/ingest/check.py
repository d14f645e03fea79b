"""``salesops profile check``: a dry run of a mapping profile on a folder of exports.

It answers, before a run, what the run would do with each file: which table it becomes
(or that it is ignored, or that nothing claims it), where each contract column comes from,
and how many rows would be quarantined and why. Each file is typed with the run's own code
(:func:`salesops.ingest.core.type_file`) into a throwaway folder; nothing under
``SALESOPS_HOME`` is touched. Counts are per file, before duplicate keys and checks against
other tables, which only the run's consolidation sees.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from salesops import contract, duck, pii
from salesops.config import Paths
from salesops.ingest import core, excel, org, reader
from salesops.ingest.derived import DERIVED_TABLES
from salesops.ingest.errors import IngestError
from salesops.ingest.profile import (
    CANONICAL,
    CONVERSION_COLUMNS,
    FileRule,
    Profile,
    ProfileError,
    load_profiles,
)

TOP_REASONS = 10
"""Quarantine reasons listed per file (the most frequent first)."""
MISSING_OPTIONAL = "missing (optional, will be empty)"
MISSING_REQUIRED = "MISSING (required)"


@dataclass
class ColumnSource:
    column: str
    source: str
    """A source header (quoted), ``constant "x"``, ``derived from "A"``, ``filled by the
    ingest …``, ``unpivot …``, or :data:`MISSING_OPTIONAL` / :data:`MISSING_REQUIRED`."""


@dataclass
class QuarantineReason:
    column: str | None
    reason: str
    rows: int


@dataclass
class FileCheck:
    file: str
    table: str
    rule: str
    """``files[i]`` of the profile, or ``canonical`` (claimed by its name)."""
    columns: list[ColumnSource] = field(default_factory=list)
    rows_read: int | None = None
    rows_accepted: int | None = None
    """Rows read minus rows quarantined (before duplicate keys and cross-table checks)."""
    rows_quarantined: int | None = None
    reasons: list[QuarantineReason] = field(default_factory=list)
    unused_columns: list[str] = field(default_factory=list)
    error: str | None = None
    """What would stop the run on this file (a missing required column, an unreadable file …)."""
    set_aside: dict[str, int] = field(default_factory=dict)
    """Rows that are not records (a totals row, a non-text chat message), by kind."""
    notes: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    landing: str
    profile: str
    profile_file: str | None
    files: list[FileCheck] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)
    """``{file, glob, reason}`` for files the profile's ``ignore`` matches (``glob`` is None for
    files outside crm/, chat/, finance/ that no rule reads, when there is no profile)."""
    unclaimed: list[dict] = field(default_factory=list)
    """``{file, problem, fix}`` for data files nothing claims: each would stop the run."""
    not_data: list[str] = field(default_factory=list)
    """Files whose type is not read at all (not .csv, .tsv, .txt, .jsonl, .parquet)."""
    derived: list[str] = field(default_factory=list)
    """Tables no file has that the run derives from another (a stage history from opportunities)."""
    unmatched_rules: list[str] = field(default_factory=list)
    """Rules whose ``match`` finds no file (not an error: that table is simply absent)."""
    errors: list[str] = field(default_factory=list)
    """Problems beyond one file: the profile itself, two files of one rule with different columns."""

    @property
    def ok(self) -> bool:
        """False when something would stop the run."""
        return not self.errors and not self.unclaimed and all(f.error is None for f in self.files)

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def _rule_label(profile: Profile, rule: FileRule) -> str:
    for i, r in enumerate(profile.rules):
        if r is rule:
            return profile.rule_label(i)
    return "canonical"


def _quoted(names) -> str:
    return ", ".join(f'"{n}"' for n in names)


def describe_column(
    column: contract.Column, rule: FileRule, sources: dict[str, str], header: list[str]
) -> str:
    """Where a contract column's values come from under ``rule``, for a file with ``header``."""
    options = rule.options
    if options.converts_currency and column.name in CONVERSION_COLUMNS:
        if column.name == "amount_original":
            return "filled by the ingest: the amount in the file's currency"
        where = (
            f'column "{options.currency_column}", else {options.currency}'
            if options.currency_column
            else options.currency
        )
        return f"filled by the ingest: currency code ({where})"
    if column.name in rule.derive:
        d = rule.derive[column.name]
        if d.constant is not None:
            return f'constant "{d.constant}"'
        details = []
        if d.values:
            details.append(f"{len(d.values)} value(s) mapped")
        if d.otherwise is not None:
            details.append(f'otherwise "{d.otherwise}"')
        if d.default is not None:
            details.append(f'empty → "{d.default}"')
        missing = [s for s in d.sources if s not in header]
        text = f"derived from {_quoted(d.sources)}" + (
            f" ({'; '.join(details)})" if details else ""
        )
        return text + (f" — {_quoted(missing)} not in the file" if missing else "")
    if rule.unpivot and column.name == rule.unpivot.name:
        return f"unpivot: the name in headers matching /{rule.unpivot.columns}/"
    if rule.unpivot and column.name == rule.unpivot.value:
        return f"unpivot: the cells of columns matching /{rule.unpivot.columns}/"
    if column.name in sources:
        mapped = rule.values.get(column.name)
        return f'"{sources[column.name]}"' + (f" ({len(mapped)} value(s) mapped)" if mapped else "")
    return MISSING_REQUIRED if column.required else MISSING_OPTIONAL


def _check_file(
    con: duckdb.DuckDBPyConnection,
    profile: Profile,
    planned: core.PlannedFile,
    paths: Paths,
    part_name: str,
    now: dt.datetime,
) -> FileCheck:
    table = contract.table(planned.table)
    rule = planned.rule
    result = FileCheck(planned.label, table.name, _rule_label(profile, rule))
    try:
        if rule.format:  # an adapter writes the contract's columns itself
            header = list(table.column_names)
        elif planned.sheet is not None:
            header = excel.read_sheet(
                con, planned.path, planned.sheet, rule.options, f"{part_name}_keys"
            ).header
        else:
            source = reader.open_source(
                con, planned.path, rule.options, core._work_dir(paths, "check")
            )
            header = source.header
            if not header:  # JSONL: the keys of its records
                header = reader.read_rows(con, source, rule.options, f"{part_name}_keys").header
        rule = core._resolve_headers(rule, header)
        sources, unused = core._column_sources(table, rule, header, planned.source_file)
    except IngestError as exc:
        result.error = str(exc)
        return result
    if rule.options.converts_currency:
        unused = [h for h in unused if h != rule.options.currency_column]
    result.columns = [
        ColumnSource(c.name, describe_column(c, rule, sources, header)) for c in table.columns
    ]
    result.unused_columns = unused
    try:
        part = core.type_file(con, table, planned, paths, part_name, now)
    except IngestError as exc:
        result.error = str(exc)
        return result
    result.rows_read = part.rows_read
    result.rows_quarantined = part.rows_quarantined
    result.set_aside = part.set_aside
    result.notes = part.notes
    result.rows_accepted = part.rows_read - part.rows_quarantined - sum(part.set_aside.values())
    result.reasons = [
        QuarantineReason(column, reason, rows)
        for column, reason, rows in con.execute(
            "select column_name, reason, count(distinct line) as n from read_parquet(?) "
            "group by all order by n desc, column_name nulls first, reason limit ?",
            [part.quarantine_part, TOP_REASONS],
        ).fetchall()
    ]
    return result


def check_landing(
    landing: Path,
    profile_file: Path | list[Path] | None = None,
    now: dt.datetime | None = None,
) -> CheckReport:
    """Dry-run ``profile_file`` (several: combined; None: the canonical file names) on the
    exports in ``landing``."""
    now = now or dt.datetime.now()
    landing = Path(landing)
    files = [profile_file] if isinstance(profile_file, str | Path) else list(profile_file or [])
    report = CheckReport(
        str(landing), CANONICAL.name, ", ".join(str(f) for f in files) if files else None
    )
    try:
        profile = load_profiles([Path(f) for f in files]) if files else CANONICAL
    except ProfileError as exc:
        report.errors.append(str(exc))
        return report
    report.profile = profile.name
    if not landing.is_dir():
        report.errors.append(f"{landing}: not a folder")
        return report
    plan = core.plan_landing(landing, profile, strict=False)
    not_data = [i for i in plan.ignored if i.glob is None and i.is_not_data]
    report.ignored = [
        {"file": i.file, "glob": i.glob, "reason": i.reason}
        for i in plan.ignored
        if i not in not_data
    ]
    report.not_data = [i.file for i in not_data]
    report.unclaimed = [
        {
            "file": str(Path(e.file).relative_to(landing).as_posix()),
            "problem": e.problem,
            "fix": e.fix,
        }
        for e in plan.unclaimed
    ]
    report.derived = [
        f"{table} ← derived from {source} 由 {source} 推导 (no file has it)"
        for table, source in DERIVED_TABLES.items()
        if not plan.files[table] and plan.files[source]
    ]
    if profile.org is not None:
        report.derived += [
            f"{table} ← derived from the department paths in {', '.join(sources)} 由部门路径推导 "
            "(no file has it; profile `org:`)"
            for table, sources in org.ORG_DERIVED.items()
            if not plan.files[table]
        ]
    used = {id(f.rule) for planned in plan.files.values() for f in planned}
    report.unmatched_rules = [
        f"{profile.rule_label(i)} ({', '.join(r.match)} → {r.table})"
        for i, r in enumerate(profile.rules)
        if id(r) not in used
    ]
    con = duck.own_database()
    pii.register(con)
    try:
        with tempfile.TemporaryDirectory(prefix="salesops-profile-check-") as tmp:
            paths = Paths(Path(tmp), landing).ensure()
            n = 0
            for name, planned in plan.files.items():
                try:
                    core._check_one_schema(contract.table(name), planned, con, paths)
                except IngestError as exc:
                    report.errors.append(str(exc))
                for f in planned:
                    n += 1
                    report.files.append(_check_file(con, profile, f, paths, f"check_{n}", now))
    finally:
        con.close()
    return report


def render(report: CheckReport) -> list[str]:
    """The report as text lines, headings in English and Chinese."""
    lines = [
        f"Profile 映射配置: {report.profile}"
        + (
            f" ({report.profile_file})"
            if report.profile_file
            else " (files named after their table)"
        ),
        f"Landing folder 落地目录: {report.landing}",
    ]
    if report.files:
        lines += ["", "Files → tables 文件 → 表"]
    for f in report.files:
        lines.append(f"  {f.file} → {f.table}  [{f.rule}]")
        if f.rows_read is not None:
            lines.append(
                f"    rows read 读取 {f.rows_read:,} · would be accepted 将接收 {f.rows_accepted:,} · "
                f"would be quarantined 将隔离 {f.rows_quarantined:,}"
                + (f" · set aside 未载入 {sum(f.set_aside.values()):,}" if f.set_aside else "")
            )
            lines += [f"      {n:>6,}  {kind}" for kind, n in sorted(f.set_aside.items())]
            lines += [f"    note 说明: {note}" for note in f.notes]
        if f.columns:
            lines.append("    columns 列 (contract ← source 合同列 ← 来源):")
            width = max(len(c.column) for c in f.columns)
            lines += [f"      {c.column:<{width}}  ← {c.source}" for c in f.columns]
        if f.unused_columns:
            lines.append(f"    not used 未使用的列: {', '.join(f.unused_columns)}")
        if f.reasons:
            lines.append("    would be quarantined 将隔离 (rows 行 · column 列 · reason 原因):")
            lines += [f"      {r.rows:>6,}  {r.column or '(row)'}: {r.reason}" for r in f.reasons]
        if f.error:
            lines.append(f"    ERROR 错误 (stops the run 将中止运行): {f.error}")
    if report.ignored:
        lines += ["", "Ignored, not read 已忽略(不读取)"]
        lines += [f"  {i['file']}  ({i['reason']})" for i in report.ignored]
    if report.not_data:
        lines += ["", "Not a data file type, not read 非数据文件(不读取)"]
        lines += [f"  {name}" for name in report.not_data]
    if report.derived:
        lines += ["", "Derived tables 推导的表"]
        lines += [f"  {d}" for d in report.derived]
    if report.unmatched_rules:
        lines += ["", "Rules that match no file 未匹配任何文件的规则"]
        lines += [f"  {r}" for r in report.unmatched_rules]
    if report.unclaimed:
        lines += ["", "Unclaimed files — would stop the run 未被认领的文件(将中止运行)"]
        lines += [f"  {u['file']}: {u['problem']}. {u['fix']}" for u in report.unclaimed]
    if report.errors:
        lines += ["", "Errors — would stop the run 错误(将中止运行)"]
        lines += [f"  {e}" for e in report.errors]
    problems = (
        len(report.errors) + len(report.unclaimed) + sum(f.error is not None for f in report.files)
    )
    lines += [
        "",
        "Result 结果: OK — the run would read these files 可以运行"
        if report.ok
        else f"Result 结果: {problems} problem(s) would stop the run 运行将中止",
    ]
    return lines
