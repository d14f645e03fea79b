"""Mapping profiles: how a source's files become landing-contract tables.

A profile is YAML. Files named after their table (``opportunities.csv``,
``opportunities_2026-03-31.csv``) in ``crm/``, ``chat/``, ``finance/`` need no profile: the
built-in *canonical* profile reads them as the contract describes. A profile adds rules for
other shapes (a Salesforce report, a HubSpot export, a spreadsheet)::

    profile: salesforce
    ignore: ["data_dictionary.csv", "*products*.csv"]   # not data: listed by the run, never read
    defaults:                        # read options for every rule (a rule's `options:` override them)
      encoding: auto                 # auto = detected (charset-normalizer); utf-8, gb18030, …
      delimiter: auto                # auto = sniffed; or ",", ";", "\\t", "|"
      date_formats: ["%m/%d/%Y"]     # strptime formats tried after ISO-8601; each needs a year
      timezone: America/Los_Angeles  # zone of naive timestamps in the file
      amount_unit: yuan              # yuan | wan_yuan (万元: × 10,000)
      currency: USD                  # ISO code of the file's amounts (default CNY), converted
      exchange_rates: {USD: 7.12}    #   to yuan at these rates (yuan per unit)
      probability_scale: percent     # auto | fraction (0–1) | percent (0–100)
    files:
      - match: "*opportunit*report*.csv"   # glob(s) on the path relative to the landing folder, or the name
        table: opportunities
        columns: {"Opportunity ID": opportunity_id, "Stage": stage}   # source header → contract column
        values: {stage: {"Prospecting": lead, "Closed Won": won}}     # per contract column, case-insensitive
        derive:                                                        # contract columns the file lacks
          status: {from: "Stage", values: {"Closed Won": won, "Closed Lost": lost}, otherwise: open}
          lead_id: {from: "Opportunity ID"}
          customer_id: {from: ["Converted Account ID", "Company / Account"]}  # first non-empty
          product_line: {from: "Product Family", default: 未分类}            # only where it is empty
        constants: {owner_rep_id: R001}     # same as derive: {owner_rep_id: {constant: R001}}
        options:
          column_date_formats: {expected_close_date: ["%d.%m.%Y"]}   # before date_formats, this column only
        unpivot:                     # wide "date entered <stage>" columns → one row per cell
          columns: '^Date entered "(?P<name>.+)"$'
          name: stage
          value: entered_at
        mask: [loss_reason_code]     # contract columns masked like free text (personal data)
    not_personal: [order_no]         # columns holding identifiers: not scanned before publishing

In ``derive``, ``values`` maps source values (case-insensitive); a non-empty value it does
not list becomes ``otherwise`` when that is given, else stays itself (mapped through the
rule's ``values`` for that column, if any); ``default`` fills only rows whose source is
empty. ``constant`` (or the rule's ``constants:``) sets every row.

Every key is checked when the profile loads; an unknown key or table is an error that
names the profile file and the key. The README's "profile reference" lists every key.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path, PurePosixPath

import yaml

from salesops import contract

ENCODING_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "utf8": "utf-8", "utf-8-sig": "utf-8"}
AMOUNT_UNITS = {"yuan": 1, "wan_yuan": 10_000, "yi_yuan": 100_000_000}
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
ISO_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d")
"""Tried for every date: ISO-8601, and the forms Chinese exports write (``2026/3/5``,
``2026年3月5日``, ``2026.3.5``); every one has a four-digit year first, so none is ambiguous."""
BASE_CURRENCY = "CNY"
CURRENCY_ALIASES = {"RMB": "CNY"}
DATE_TEXT_COLUMNS = ("expected_close_date",)
"""Text columns whose values that read as a date are written as YYYY-MM-DD (others kept as typed)."""
CONVERSION_COLUMNS = ("amount_original", "currency")
"""Contract columns (opportunities) the ingest fills when a file's amounts are converted:
``amount`` as the file gave it, and the row's currency code."""


class ProfileError(ValueError):
    pass


def _check_date_format(fmt: object, key: str) -> None:
    """A format without a year would read ``1-01`` as a day of year 1900 (or 1): refused."""
    if not isinstance(fmt, str) or not fmt.strip():
        raise ProfileError(f'{key}: give strptime formats such as "%m/%d/%Y", not {fmt!r}')
    if "%Y" not in fmt and "%y" not in fmt:
        raise ProfileError(
            f"{key}: {fmt!r} has no year (%Y or %y); a date without a year cannot be read "
            "safely — export the year too"
        )


def header_key(name: str) -> str:
    """How a profile's source column names meet a file's header: full-width and half-width
    forms alike (NFKC: ``商机金额（元）`` = ``商机金额(元)``), case and every space or line break
    ignored — an Excel header cell often wraps ``商机金额\n(元)``."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def glob_matches(relative_path: str, pattern: str) -> bool:
    """A ``match``/``ignore`` glob: on the path relative to the landing folder, or the file name."""
    name = PurePosixPath(relative_path).name
    return fnmatch.fnmatch(relative_path.lower(), pattern.lower()) or fnmatch.fnmatch(
        name.lower(), pattern.lower()
    )


@dataclass(frozen=True)
class ReadOptions:
    encoding: str = "auto"
    delimiter: str = "auto"
    quote: str = '"'
    decimal_separator: str = "."
    thousands_separator: str = ","
    date_formats: tuple[str, ...] = ()
    """strptime formats tried after the ISO ones (e.g. ``%m/%d/%Y``, ``%d-%m-%Y``); each
    must contain a year (``%Y`` or ``%y``)."""
    column_date_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per contract column: formats tried before ``date_formats`` for that column only."""
    excel_serial_dates: bool = True
    """A plain number in a date column is an Excel serial day (1900 date system)."""
    timezone: str = "Asia/Shanghai"
    amount_unit: str = "yuan"
    column_amount_units: Mapping[str, str] = field(default_factory=dict)
    """Per contract column: its unit when it differs from ``amount_unit`` (``{amount: wan_yuan}``)."""
    currency: str = BASE_CURRENCY
    """ISO code of the file's amounts; other than CNY, they are converted at ``exchange_rates``."""
    exchange_rates: Mapping[str, float] = field(default_factory=dict)
    """Yuan per unit of each currency (``{USD: 7.12}``)."""
    currency_column: str | None = None
    """Source column holding each row's currency code (empty cells: ``currency``)."""
    probability_scale: str = "auto"
    skip_rows: int = 0
    """Lines above the header (title rows of a report saved from Excel)."""
    header_row: int | None = None
    """Workbooks: the sheet row (1-based, as Excel numbers it) holding the header; None =
    detected (the first row that looks like a header, below any title rows)."""
    header_rows: int | None = None
    """Workbooks: 1 or 2 header rows (a two-row header with merged group cells above the
    column names); None = detected."""

    def __post_init__(self) -> None:
        for where, unit in [("amount_unit", self.amount_unit)] + [
            (f"column_amount_units.{c}", u) for c, u in self.column_amount_units.items()
        ]:
            if unit not in AMOUNT_UNITS:
                raise ProfileError(
                    f"{where} must be one of {', '.join(AMOUNT_UNITS)}, not {unit!r}"
                )
        if self.header_row is not None and not (
            isinstance(self.header_row, int) and not isinstance(self.header_row, bool) and self.header_row >= 1
        ):
            raise ProfileError(f"header_row: give the sheet row number (1, 2, …) of the header, not {self.header_row!r}")
        if self.header_rows not in (None, 1, 2):
            raise ProfileError(f"header_rows: 1 or 2, not {self.header_rows!r}")
        if self.probability_scale not in PROBABILITY_SCALES:
            raise ProfileError(f"probability_scale must be one of {', '.join(PROBABILITY_SCALES)}")
        if self.decimal_separator == self.thousands_separator:
            raise ProfileError("decimal_separator and thousands_separator must differ")
        for f in self.date_formats:
            _check_date_format(f, "date_formats")
        for column, formats in self.column_date_formats.items():
            for f in formats:
                _check_date_format(f, f"column_date_formats.{column}")
        for code, rate in self.exchange_rates.items():
            if not re.fullmatch(r"[A-Z]{3}", code):
                raise ProfileError(
                    f"exchange_rates: {code!r} is not an ISO currency code (three letters, e.g. USD)"
                )
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
                raise ProfileError(
                    f"exchange_rates.{code}: give the yuan per unit as a positive number, not {rate!r}"
                )
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ProfileError(
                f"currency: {self.currency!r} is not an ISO currency code (three letters, e.g. USD)"
            )
        if self.currency != BASE_CURRENCY and self.currency not in self.exchange_rates:
            raise ProfileError(
                f"currency: amounts in {self.currency} need a rate: add "
                f"`exchange_rates: {{{self.currency}: <yuan per {self.currency}>}}`"
            )

    @property
    def converts_currency(self) -> bool:
        """Amounts are not (all) in yuan: each is converted, and opportunities keep the original."""
        return self.currency != BASE_CURRENCY or self.currency_column is not None

    @property
    def amount_multiplier(self) -> int:
        return AMOUNT_UNITS[self.amount_unit]

    def column_multiplier(self, column: str) -> int:
        """Yuan per unit of the column's amounts (``column_amount_units``, else ``amount_unit``)."""
        return AMOUNT_UNITS[self.column_amount_units.get(column, self.amount_unit)]

    @property
    def python_encoding(self) -> str:
        return ENCODING_ALIASES.get(self.encoding.lower(), self.encoding)


@dataclass(frozen=True)
class Derive:
    source: str | None = None
    constant: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    """Source value (case-folded) → contract value."""
    default: str | None = None
    """The value where the source is empty (never replaces a value the file has)."""
    fallbacks: tuple[str, ...] = ()
    """Further source columns, tried in order when ``source`` is empty (``from: [a, b]``)."""
    otherwise: str | None = None
    """The value for a non-empty source value ``values`` does not list (else it is kept)."""
    join: str | None = None
    """Join the non-empty values of all ``from`` columns with this separator instead of taking
    the first (``{from: [所属部门, 负责人], join: "/"}`` keys a rep by name within a department)."""

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
    mask: tuple[str, ...] = ()
    """Contract columns masked at ingest like free text (personal data in a column the
    contract does not mark ``free_text``), see :mod:`salesops.pii`."""
    sheets: tuple[str, ...] = ()
    """Workbooks: globs of the sheet names this rule reads (empty = every visible sheet)."""
    format: str | None = None
    """A built-in adapter for a source whose records are not rows of the table
    (:mod:`salesops.ingest.chat_formats`: ``wecom_archive``, ``chat_sheet``)."""
    format_options: Mapping[str, object] = field(default_factory=dict)

    def reads_sheet(self, sheet: str) -> bool:
        return not self.sheets or any(
            fnmatch.fnmatch(sheet.casefold(), g.casefold()) for g in self.sheets
        )

    def matches(self, relative_path: str) -> bool:
        return any(glob_matches(relative_path, m) for m in self.match)

    def fingerprint(self) -> str:
        """Changes when the rule changes, so a file is typed again under a new mapping."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class OrgPaths:
    """``org:``: the org tree is in the exports as department paths (``华东大区/上海分公司/销售一部``)."""

    levels: tuple[str, ...]
    """org_units.level of the first, second, … segment of a path (deeper segments: the last)."""
    separator: str = "/"
    root: str | None = None
    """The HQ unit every path hangs under (level ``hq``); None = paths start below HQ."""


@dataclass(frozen=True)
class Profile:
    name: str = "canonical"
    description: str = "Files named after their landing-contract table (SPEC §3)."
    defaults: ReadOptions = field(default_factory=ReadOptions)
    rules: tuple[FileRule, ...] = ()
    source: str | None = None
    not_personal: tuple[str, ...] = ()
    """Column names that hold identifiers, not personal data: exempt from the publish scan."""
    ignore: tuple[str, ...] = ()
    """Globs of files that are not data (a data dictionary, a price list): listed, never read."""
    org: OrgPaths | None = None
    """Org units (and reps) built from department paths when the landing has no such file."""
    rule_labels: tuple[str, ...] = ()
    """How to name each rule to the user (``files[2]``, or ``wecom_archive files[0]`` when
    several profiles are combined); empty = ``files[i]``."""

    def rule_label(self, index: int) -> str:
        return self.rule_labels[index] if self.rule_labels else f"files[{index}]"

    def ignored_by(self, relative_path: str) -> str | None:
        """The ``ignore`` glob that matches this landing file, if any."""
        return next((g for g in self.ignore if glob_matches(relative_path, g)), None)

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
        values["date_formats"] = _formats(values["date_formats"], f"{where}: date_formats")
    # Mappings add to (and override keys of) the defaults' mapping instead of replacing it.
    if "column_date_formats" in values:
        given = _mapping(values["column_date_formats"], f"{where}: column_date_formats")
        values["column_date_formats"] = {
            **base.column_date_formats,
            **{
                str(k).strip(): _formats(v, f"{where}: column_date_formats.{k}")
                for k, v in given.items()
            },
        }
    if "column_amount_units" in values:
        given = _mapping(values["column_amount_units"], f"{where}: column_amount_units")
        values["column_amount_units"] = {
            **base.column_amount_units,
            **{str(k).strip(): str(v) for k, v in given.items()},
        }
    if "exchange_rates" in values:
        given = _mapping(values["exchange_rates"], f"{where}: exchange_rates")
        values["exchange_rates"] = {
            **base.exchange_rates,
            **{_currency_code(k): v for k, v in given.items()},
        }
    if "currency" in values:
        values["currency"] = _currency_code(values["currency"])
    if "currency_column" in values:
        column = values["currency_column"]
        if column is not None and not (isinstance(column, str) and column.strip()):
            raise ProfileError(f"{where}: currency_column: give the source column's name")
        values["currency_column"] = column.strip() if column else None
    if values.get("delimiter") == "\\t":
        values["delimiter"] = "\t"
    try:
        return replace(base, **values)
    except (TypeError, ProfileError) as exc:
        raise ProfileError(f"{where}: {exc}") from None


def _formats(raw, where: str) -> tuple[str, ...]:
    formats = [raw] if isinstance(raw, str) else raw
    if not isinstance(formats, list):
        raise ProfileError(f"{where}: give a strptime format or a list of them, not {raw!r}")
    return tuple(formats)


def _mapping(raw, where: str) -> Mapping:
    if not isinstance(raw, Mapping):
        raise ProfileError(f"{where}: give a mapping ({{key: value, …}}), not {raw!r}")
    return raw


def _currency_code(raw) -> str:
    code = str(raw).strip().upper()
    return CURRENCY_ALIASES.get(code, code)


def _check_date_columns(given: Mapping, table: contract.Table | None, where: str) -> None:
    """``column_date_formats`` names date, timestamp or date-text columns (of the rule's table)."""
    tables = [table] if table else list(contract.TABLES.values())
    for name in given:
        name = str(name).strip()
        if not any(
            name in t.column_names
            and (t.column(name).type in ("date", "timestamp") or name in DATE_TEXT_COLUMNS)
            for t in tables
        ):
            owner = f"of {table.name}" if table else "of any contract table"
            raise ProfileError(
                f"{where}: column_date_formats.{name}: not a date or timestamp column {owner}"
            )


def _scalar(raw, where: str) -> str:
    if raw is None or isinstance(raw, Mapping | list):
        raise ProfileError(f"{where}: give one value, not {raw!r}")
    return str(raw)


DERIVE_KEYS = ("constant", "default", "from", "join", "otherwise", "values")


def _derive(table: contract.Table, column: str, spec, where: str) -> Derive:
    if not isinstance(spec, Mapping) or not ({"from", "constant"} & set(spec)):
        raise ProfileError(f"{where}: give `from: <source column>` or `constant: <value>`")
    unknown = set(spec) - set(DERIVE_KEYS)
    if unknown:
        raise ProfileError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(DERIVE_KEYS)}"
        )
    if "constant" in spec:
        others = sorted(set(spec) - {"constant"})
        if others:
            raise ProfileError(
                f"{where}: `constant` sets every row; it does not combine with {', '.join(others)}"
            )
        value = _scalar(spec["constant"], f"{where}: constant")
        _check_enum(table, column, [value], where)
        return Derive(constant=value)
    sources = spec["from"]
    sources = [sources] if isinstance(sources, str) else sources
    if (
        not isinstance(sources, list)
        or not sources
        or not all(isinstance(s, str) and s.strip() for s in sources)
    ):
        raise ProfileError(f"{where}: `from` must be a source column or a list of them")
    values = _mapping(spec.get("values") or {}, f"{where}: values")
    otherwise = None if spec.get("otherwise") is None else _scalar(spec["otherwise"], where)
    default = None if spec.get("default") is None else _scalar(spec["default"], where)
    _check_enum(table, column, [*values.values(), otherwise, default], where)
    join = spec.get("join")
    if join is not None and not (isinstance(join, str) and join):
        raise ProfileError(f"{where}: join: give the separator, e.g. \"/\", not {join!r}")
    if join is not None and len(sources) < 2:
        raise ProfileError(f"{where}: join needs two or more `from` columns")
    return Derive(
        join=join,
        source=sources[0].strip(),
        fallbacks=tuple(s.strip() for s in sources[1:]),
        values={str(k).strip().casefold(): str(v) for k, v in values.items()},
        default=default,
        otherwise=otherwise,
    )


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
    known |= {"mask", "sheets", "format", "format_options"}
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
    derive_raw = _mapping(raw.get("derive") or {}, f"{where} derive")
    _check_columns(table, derive_raw, f"{where} derive")
    for col, spec in derive_raw.items():
        derive[col] = _derive(table, col, spec, f"{where} derive.{col}")
    # `constants: {col: value}` is shorthand for `derive: {col: {constant: value}}`.
    constants = _mapping(raw.get("constants") or {}, f"{where} constants")
    _check_columns(table, constants, f"{where} constants")
    for col, value in constants.items():
        if col in derive:
            raise ProfileError(f"{where} constants.{col}: {col} is also under `derive`; keep one")
        derive[col] = _derive(table, col, {"constant": value}, f"{where} constants.{col}")
    options = _options(raw.get("options") or {}, defaults, f"{where} options")
    _check_date_columns(
        (raw.get("options") or {}).get("column_date_formats") or {}, table, f"{where} options"
    )
    if options.converts_currency:
        filled = sorted(set(CONVERSION_COLUMNS) & (set(columns.values()) | set(derive)))
        if filled:
            raise ProfileError(
                f"{where}: {', '.join(filled)} is filled by the ingest when amounts are converted "
                f"(currency {options.currency}"
                + (f", currency_column {options.currency_column!r}" if options.currency_column else "")
                + "); remove it from `columns`/`derive`/`constants`"
            )
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
    amount_units = (raw.get("options") or {}).get("column_amount_units") or {}
    for name in amount_units:
        if str(name).strip() not in table.column_names or table.column(str(name).strip()).type != "decimal":
            raise ProfileError(
                f"{where} options: column_amount_units.{name}: not an amount (decimal) column of {table.name}"
            )
    fmt, format_options = _format(raw, table, where)
    matches = raw["match"]
    return FileRule(
        sheets=_names(raw.get("sheets"), f"{where} sheets"),
        format=fmt,
        format_options=format_options,
        table=table.name,
        match=tuple([matches] if isinstance(matches, str) else matches),
        columns=columns,
        values=values,
        derive=derive,
        unpivot=unpivot,
        options=options,
        mask=_mask(table, raw.get("mask"), f"{where} mask"),
    )


def _format(raw: Mapping, table: contract.Table, where: str) -> tuple[str | None, Mapping]:
    """``format:`` (a built-in adapter) and its ``format_options:``, checked against the adapter."""
    fmt = raw.get("format")
    options = dict(_mapping(raw.get("format_options") or {}, f"{where} format_options"))
    if fmt is None:
        if options:
            raise ProfileError(f"{where}: format_options needs a `format`")
        return None, {}
    from salesops.ingest import (
        chat_formats,  # the adapters import the reader, which imports this module
    )

    if fmt not in chat_formats.FORMATS:
        raise ProfileError(
            f"{where}: unknown format {fmt!r}; known: {', '.join(sorted(chat_formats.FORMATS))}"
        )
    if table.name != "chat_messages":
        raise ProfileError(f"{where}: format {fmt!r} writes chat_messages, not {table.name}")
    unknown = set(options) - set(chat_formats.format_option_keys(fmt))
    if unknown:
        raise ProfileError(
            f"{where} format_options: unknown key(s) {', '.join(sorted(unknown))}; known: "
            + ", ".join(chat_formats.format_option_keys(fmt))
        )
    return str(fmt), options


def _names(raw, where: str) -> tuple[str, ...]:
    """A column name or a list of them."""
    names = [raw] if isinstance(raw, str) else raw or []
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise ProfileError(f"{where}: give a column name or a list of them, not {raw!r}")
    return tuple(n.strip() for n in names)


def _mask(table: contract.Table, raw, where: str) -> tuple[str, ...]:
    """``mask:``: contract columns of text masked at ingest like the contract's free text."""
    names = _names(raw, where)
    _check_columns(table, names, where)
    for name in names:
        if table.column(name).type != "string":
            raise ProfileError(
                f"{where}: {name!r} is a {table.column(name).type} column of {table.name}; "
                "only text (string) columns can be masked"
            )
    return names


def load_profile(path: Path) -> Profile:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc})") from None
    top = ("profile", "description", "defaults", "files", "ignore", "not_personal", "org")
    unknown = set(raw) - set(top)
    if unknown:
        raise ProfileError(
            f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))} ({', '.join(top)})"
        )
    defaults = _options(raw.get("defaults") or {}, ReadOptions(), f"{path}: defaults")
    _check_date_columns(
        (raw.get("defaults") or {}).get("column_date_formats") or {}, None, f"{path}: defaults"
    )
    ignore = raw.get("ignore") or []
    ignore = [ignore] if isinstance(ignore, str) else ignore
    if not isinstance(ignore, list) or not all(isinstance(g, str) and g.strip() for g in ignore):
        raise ProfileError(
            f"{path}: ignore: give a list of globs (e.g. [\"data_dictionary.csv\", \"*products*.csv\"])"
        )
    rules = tuple(
        _rule(r, defaults, f"{path}: files[{i}]") for i, r in enumerate(raw.get("files") or [])
    )
    return Profile(
        name=str(raw.get("profile") or Path(path).stem),
        description=str(raw.get("description") or ""),
        defaults=defaults,
        rules=rules,
        source=str(path),
        not_personal=_names(raw.get("not_personal"), f"{path}: not_personal"),
        ignore=tuple(g.strip() for g in ignore),
        org=_org(raw.get("org"), f"{path}: org"),
    )


def _org(raw, where: str) -> OrgPaths | None:
    if raw is None:
        return None
    raw = _mapping(raw, where)
    unknown = set(raw) - {"levels", "separator", "root"}
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: levels, separator, root")
    levels = raw.get("levels")
    allowed = [lv for lv in contract.ORG_LEVELS if lv != "hq"]
    if not isinstance(levels, list) or not levels or any(lv not in allowed for lv in levels):
        raise ProfileError(
            f"{where}: levels: the org_units level of each path segment, from the top, e.g. "
            f"[region, city, team] (each one of {', '.join(allowed)}), not {levels!r}"
        )
    separator = raw.get("separator", "/")
    if not isinstance(separator, str) or not separator:
        raise ProfileError(f"{where}: separator: give the character between units, e.g. \"/\"")
    root = raw.get("root")
    return OrgPaths(
        levels=tuple(levels), separator=separator, root=None if root is None else str(root)
    )


def combine(profiles: list[Profile]) -> Profile:
    """Several profiles in one run (a CRM's workbooks and a chat archive): their rules, ignore
    globs and identifier columns together; each rule keeps its own profile's defaults."""
    if len(profiles) == 1:
        return profiles[0]
    orgs = {p.org for p in profiles if p.org is not None}
    if len(orgs) > 1:
        raise ProfileError(
            "two profiles give different `org:` settings: keep `org:` in one of them "
            f"({', '.join(p.source or p.name for p in profiles if p.org)})"
        )
    return Profile(
        name="+".join(p.name for p in profiles),
        description="; ".join(p.description for p in profiles if p.description),
        defaults=profiles[0].defaults,
        rules=tuple(r for p in profiles for r in p.rules),
        rule_labels=tuple(f"{p.name} files[{i}]" for p in profiles for i in range(len(p.rules))),
        source=os.pathsep.join(p.source or p.name for p in profiles),
        not_personal=tuple(dict.fromkeys(n for p in profiles for n in p.not_personal)),
        ignore=tuple(dict.fromkeys(g for p in profiles for g in p.ignore)),
        org=next(iter(orgs), None),
    )


def load_profiles(paths: list[Path] | tuple[Path, ...] | str) -> Profile:
    """One profile, or several combined (:func:`combine`); a string is os.pathsep-separated."""
    if isinstance(paths, str):
        paths = [Path(p) for p in paths.split(os.pathsep) if p]
    return combine([load_profile(Path(p)) for p in paths])
