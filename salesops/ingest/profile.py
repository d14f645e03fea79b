"""Mapping profiles: how a source's files become landing-contract tables.

A profile is YAML. Files named after their table (``opportunities.csv``,
``opportunities_2026-03-31.csv``) in ``crm/``, ``chat/``, ``finance/`` need no profile: the
built-in *canonical* profile reads them as the contract describes. A profile adds rules for
other shapes (a Salesforce report, a HubSpot export, a spreadsheet)::

    profile: salesforce
    defaults:                        # read options for every rule (each may override)
      encoding: auto                 # auto = detected (charset-normalizer); utf-8, gb18030, …
      delimiter: auto                # auto = DuckDB's CSV sniffer; or ",", ";", "\\t", "|"
      date_formats: ["%m/%d/%Y"]     # strptime formats tried after ISO-8601
      timezone: America/Los_Angeles  # zone of naive timestamps in the file
      amount_unit: yuan              # yuan | wan_yuan (万元: × 10,000)
      probability_scale: percent     # auto | fraction (0–1) | percent (0–100)
    files:
      - match: "*opportunit*report*.csv"   # glob(s) on the path relative to the landing folder
        table: opportunities
        columns: {"Opportunity ID": opportunity_id, "Stage": stage}   # source header → contract column
        values: {stage: {"Prospecting": lead, "Closed Won": won}}     # per contract column, case-insensitive
        derive:                                                        # contract columns the file lacks
          status: {from: "Stage", values: {"Closed Won": won, "Closed Lost": lost}, default: open}
          lead_id: {from: "Opportunity ID"}
          customer_id: {from: ["Converted Account ID", "Company / Account"]}  # first non-empty
          changed_by: {constant: salesforce}
        unpivot:                     # wide "date entered <stage>" columns → one row per cell
          columns: '^Date entered "(?P<name>.+)"$'
          name: stage
          value: entered_at

Every key is checked when the profile loads; an unknown key or table is an error that
names the profile file and the key.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path, PurePosixPath

import yaml

from salesops import contract

ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "utf8": "utf-8", "utf-8-sig": "utf-8"}
AMOUNT_UNITS = {"yuan": 1, "wan_yuan": 10_000}
PROBABILITY_SCALES = ("auto", "fraction", "percent")
ISO_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
ISO_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class ReadOptions:
    encoding: str = "auto"
    delimiter: str = "auto"
    quote: str = '"'
    decimal_separator: str = "."
    thousands_separator: str = ","
    date_formats: tuple[str, ...] = ()
    """strptime formats tried after the ISO ones (e.g. ``%m/%d/%Y``, ``%d-%m-%Y``)."""
    excel_serial_dates: bool = True
    """A plain number in a date column is an Excel serial day (1900 date system)."""
    timezone: str = "Asia/Shanghai"
    amount_unit: str = "yuan"
    probability_scale: str = "auto"
    skip_rows: int = 0
    """Lines above the header (title rows of a report saved from Excel)."""

    def __post_init__(self) -> None:
        if self.amount_unit not in AMOUNT_UNITS:
            raise ProfileError(
                f"amount_unit must be one of {', '.join(AMOUNT_UNITS)}, not {self.amount_unit!r}"
            )
        if self.probability_scale not in PROBABILITY_SCALES:
            raise ProfileError(f"probability_scale must be one of {', '.join(PROBABILITY_SCALES)}")
        if self.decimal_separator == self.thousands_separator:
            raise ProfileError("decimal_separator and thousands_separator must differ")

    @property
    def amount_multiplier(self) -> int:
        return AMOUNT_UNITS[self.amount_unit]

    @property
    def python_encoding(self) -> str:
        return ENCODING_ALIASES.get(self.encoding.lower(), self.encoding)


@dataclass(frozen=True)
class Derive:
    source: str | None = None
    constant: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None
    fallbacks: tuple[str, ...] = ()
    """Further source columns, tried in order when ``source`` is empty (``from: [a, b]``)."""

    @property
    def sources(self) -> tuple[str, ...]:
        return ((self.source,) if self.source else ()) + self.fallbacks


@dataclass(frozen=True)
class Unpivot:
    columns: str
    """Regex on source headers; its ``name`` group (or the whole header) becomes the value of ``name``."""
    name: str
    value: str


@dataclass(frozen=True)
class FileRule:
    table: str
    match: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    derive: Mapping[str, Derive] = field(default_factory=dict)
    unpivot: Unpivot | None = None
    options: ReadOptions = field(default_factory=ReadOptions)

    def matches(self, relative_path: str) -> bool:
        name = PurePosixPath(relative_path).name
        return any(
            fnmatch.fnmatch(relative_path.lower(), m.lower())
            or fnmatch.fnmatch(name.lower(), m.lower())
            for m in self.match
        )

    def fingerprint(self) -> str:
        """Changes when the rule changes, so a file is typed again under a new mapping."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Profile:
    name: str = "canonical"
    description: str = "Files named after their landing-contract table (SPEC §3)."
    defaults: ReadOptions = field(default_factory=ReadOptions)
    rules: tuple[FileRule, ...] = ()
    source: str | None = None

    def canonical_rule(self, table: contract.Table) -> FileRule:
        return FileRule(table=table.name, options=self.defaults)


CANONICAL = Profile()


def _options(raw: Mapping, base: ReadOptions, where: str) -> ReadOptions:
    known = {f.name for f in fields(ReadOptions)}
    unknown = set(raw) - known
    if unknown:
        raise ProfileError(
            f"{where}: unknown option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    values = dict(raw)
    if "date_formats" in values:
        formats = values["date_formats"]
        values["date_formats"] = tuple([formats] if isinstance(formats, str) else formats)
    if values.get("delimiter") == "\\t":
        values["delimiter"] = "\t"
    try:
        return replace(base, **values)
    except (TypeError, ProfileError) as exc:
        raise ProfileError(f"{where}: {exc}") from None


def _check_columns(table: contract.Table, names, where: str) -> None:
    for name in names:
        if name not in table.column_names:
            raise ProfileError(
                f"{where}: {name!r} is not a column of {table.name} ({', '.join(table.column_names)})"
            )


def _check_enum(table: contract.Table, column: str, values, where: str) -> None:
    """A value map or derivation may only produce values the contract allows (typos fail early)."""
    if column not in table.column_names:
        return
    c = table.column(column)
    if not c.enum or c.enum_is_open:
        return
    bad = sorted({str(v) for v in values if v is not None and str(v) not in c.enum})
    if bad:
        raise ProfileError(
            f"{where}: {', '.join(map(repr, bad))} is not a valid {table.name}.{column} "
            f"(one of: {', '.join(c.enum)})"
        )


def _rule(raw: Mapping, defaults: ReadOptions, where: str) -> FileRule:
    known = {"match", "table", "columns", "values", "derive", "constants", "unpivot", "options"}
    unknown = set(raw) - known
    if unknown:
        raise ProfileError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    if "table" not in raw or "match" not in raw:
        raise ProfileError(f"{where}: every file rule needs `match` (a glob) and `table`")
    try:
        table = contract.table(raw["table"])
    except KeyError as exc:
        raise ProfileError(f"{where}: {exc.args[0]}") from None
    columns = {str(k).strip(): v for k, v in (raw.get("columns") or {}).items()}
    _check_columns(table, columns.values(), f"{where} columns")
    values = {
        col: {str(k).strip().casefold(): str(v) for k, v in m.items()}
        for col, m in (raw.get("values") or {}).items()
    }
    _check_columns(table, values, f"{where} values")
    derive: dict[str, Derive] = {}
    for col, m in values.items():
        _check_enum(table, col, m.values(), f"{where} values.{col}")
    for col, spec in (raw.get("derive") or {}).items():
        if not isinstance(spec, Mapping) or not ({"from", "constant"} & set(spec)):
            raise ProfileError(
                f"{where} derive.{col}: give `from: <source column>` or `constant: <value>`"
            )
        unknown = set(spec) - {"from", "constant", "values", "default"}
        if unknown:
            raise ProfileError(
                f"{where} derive.{col}: unknown key(s) {', '.join(sorted(unknown))}; "
                "known: constant, default, from, values"
            )
        _check_enum(
            table,
            col,
            [*(spec.get("values") or {}).values(), spec.get("default"), spec.get("constant")],
            f"{where} derive.{col}",
        )
        sources = spec.get("from")
        sources = [sources] if isinstance(sources, str) or sources is None else list(sources)
        if not all(isinstance(s, str) and s.strip() for s in sources) or (
            "from" in spec and not sources
        ):
            raise ProfileError(
                f"{where} derive.{col}: `from` must be a source column or a list of them"
            )
        derive[col] = Derive(
            source=sources[0].strip() if sources else None,
            fallbacks=tuple(s.strip() for s in sources[1:]),
            constant=None if spec.get("constant") is None else str(spec["constant"]),
            values={
                str(k).strip().casefold(): str(v) for k, v in (spec.get("values") or {}).items()
            },
            default=None if spec.get("default") is None else str(spec["default"]),
        )
    for col, value in (raw.get("constants") or {}).items():
        derive[col] = Derive(constant=str(value))
    _check_columns(table, derive, f"{where} derive")
    unpivot = None
    if raw.get("unpivot"):
        u = raw["unpivot"]
        unknown = set(u) - {"columns", "name", "value"} if isinstance(u, Mapping) else set()
        if unknown:
            raise ProfileError(
                f"{where} unpivot: unknown key(s) {', '.join(sorted(unknown))}; known: columns, name, value"
            )
        try:
            unpivot = Unpivot(columns=u["columns"], name=u["name"], value=u["value"])
            re.compile(unpivot.columns)
        except (KeyError, TypeError, re.error) as exc:
            raise ProfileError(
                f"{where} unpivot: needs `columns` (a valid regex), `name` and `value` ({exc})"
            ) from None
        _check_columns(table, [unpivot.name, unpivot.value], f"{where} unpivot")
    matches = raw["match"]
    return FileRule(
        table=table.name,
        match=tuple([matches] if isinstance(matches, str) else matches),
        columns=columns,
        values=values,
        derive=derive,
        unpivot=unpivot,
        options=_options(raw.get("options") or {}, defaults, f"{where} options"),
    )


def load_profile(path: Path) -> Profile:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc})") from None
    unknown = set(raw) - {"profile", "description", "defaults", "files"}
    if unknown:
        raise ProfileError(
            f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))} (profile, description, defaults, files)"
        )
    defaults = _options(raw.get("defaults") or {}, ReadOptions(), f"{path}: defaults")
    rules = tuple(
        _rule(r, defaults, f"{path}: files[{i}]") for i, r in enumerate(raw.get("files") or [])
    )
    return Profile(
        name=str(raw.get("profile") or Path(path).stem),
        description=str(raw.get("description") or ""),
        defaults=defaults,
        rules=rules,
        source=str(path),
    )
