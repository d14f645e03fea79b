"""SQL that turns one text column into its contract type, and the checks that quarantine a value.

Normalisation follows the file's :class:`ReadOptions`: value maps, thousands/decimal
separators, currency marks, 万/万元 amounts, percentages, probability scale, date formats
(ISO-8601 first, then the profile's), Excel serial dates, time zones (naive timestamps are
converted from the profile's zone to Asia/Shanghai; ISO offsets are honoured).
"""

from __future__ import annotations

from collections.abc import Mapping

from salesops import contract
from salesops.ingest.profile import ISO_DATE_FORMATS, ISO_TIMESTAMP_FORMATS, ReadOptions

WAREHOUSE_TZ = "Asia/Shanghai"
NUMBER_PATTERN = r"-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?"
EXCEL_SERIAL_PATTERN = r"\d{5}(\.\d+)?"
"""Excel day numbers 10000–99999 (1927–2173); a four-digit number in a date column is a year, not 1905."""
PLAIN_ISO_PATTERN = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"
TZ_SUFFIX_PATTERN = r".*\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-](0\d|1[0-4]):?[0-5]\d)$"
"""A time of day followed by a real UTC offset (not the ``-2026`` that ends ``07-03-2026``)."""


def lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def mapped(raw: str, values: Mapping[str, str]) -> str:
    """Apply a value map (keys already case-folded) to a text expression."""
    if not values:
        return raw
    cases = " ".join(f"when {lit(k)} then {lit(v)}" for k, v in values.items())
    return f"(case lower({raw}) {cases} else {raw} end)"


def _number_text(raw: str, options: ReadOptions) -> str:
    """Text of a number in canonical form (``-1234.5``), or NULL when it is not one."""
    cleaned = f"regexp_replace({raw}, '[¥￥$\\s]|CNY|RMB|元$', '', 'g')"
    if options.decimal_separator != ".":
        cleaned = f"replace(replace({cleaned}, {lit(options.thousands_separator)}, ','), {lit(options.decimal_separator)}, '.')"
    elif options.thousands_separator != ",":
        cleaned = f"replace({cleaned}, {lit(options.thousands_separator)}, ',')"
    cleaned = f"regexp_replace({cleaned}, '(万元|万)$', '')"
    return f"(case when regexp_full_match({cleaned}, {lit(NUMBER_PATTERN)}) then replace({cleaned}, ',', '') end)"


def _amount_multiplier(raw: str, options: ReadOptions) -> str:
    """A cell that says 万 is in 万 whatever the profile's unit; others are in the profile's unit."""
    return f"(case when regexp_matches({raw}, '(万元|万)$') then 10000 else {options.amount_multiplier} end)"


def _timestamp_formats(options: ReadOptions) -> list[str]:
    formats = list(ISO_TIMESTAMP_FORMATS)
    for f in (*ISO_DATE_FORMATS, *options.date_formats):
        if "%H" in f or "%I" in f:
            formats.append(f)
        else:
            formats += [f"{f} %H:%M:%S", f"{f} %H:%M", f"{f} %I:%M %p", f"{f} %I:%M:%S %p", f]
    return list(dict.fromkeys(formats))


def _timestamp(raw: str, options: ReadOptions, convert_zone: bool) -> str:
    formats = "[" + ", ".join(lit(f) for f in _timestamp_formats(options)) + "]"
    naive = f"try_strptime({raw}, {formats})"
    if convert_zone and options.timezone != WAREHOUSE_TZ:
        naive = f"(({naive}) at time zone {lit(options.timezone)}) at time zone {lit(WAREHOUSE_TZ)}"
    # Plain ISO-8601 (no offset) is most values: one anchored pattern and DuckDB's own cast.
    plain_iso = f"try_cast({raw} as timestamp)"
    if convert_zone and options.timezone != WAREHOUSE_TZ:
        plain_iso = f"(({plain_iso}) at time zone {lit(options.timezone)}) at time zone {lit(WAREHOUSE_TZ)}"
    parts = [
        f"when regexp_full_match({raw}, {lit(PLAIN_ISO_PATTERN)}) then {plain_iso}",
        f"when regexp_full_match({raw}, {lit(TZ_SUFFIX_PATTERN)}) then "
        f"cast(try_cast({raw} as timestamptz) at time zone {lit(WAREHOUSE_TZ)} as timestamp)"
    ]
    if options.excel_serial_dates:
        parts.append(
            f"when regexp_full_match({raw}, {lit(EXCEL_SERIAL_PATTERN)}) and try_cast({raw} as double) between 1 and 2958465 "
            f"then timestamp '1899-12-30' + to_microseconds(cast(round(try_cast({raw} as double) * 86400000000) as bigint))"
        )
    return f"(case {' '.join(parts)} else {naive} end)"


def typed(
    column: contract.Column, raw: str, options: ReadOptions, probability_percent: bool
) -> str:
    """Expression of the column's contract type from its text expression ``raw``."""
    t = column.type
    if t == "string":
        return raw
    if t in ("decimal", "integer", "float"):
        number = f"try_cast({_number_text(raw, options)} as decimal(38, 6))"
        if t == "decimal":
            return f"cast({number} * {_amount_multiplier(raw, options)} as {column.duckdb_type})"
        if t == "integer":
            return f"try_cast({number} as bigint)"
        if column.name == "probability":
            scale = (
                "100.0"
                if probability_percent
                else f"(case when regexp_matches({raw}, '%$') then 100.0 else 1.0 end)"
            )
            return f"(cast({_number_text(f'rtrim({raw}, chr(37))', options)} as double) / {scale})"
        return f"cast({number} as double)"
    if t == "timestamp":
        return _timestamp(raw, options, convert_zone=True)
    if t == "date":
        return f"cast({_timestamp(raw, options, convert_zone=False)} as date)"
    if t == "period":
        month = f"regexp_extract({raw}, '^(\\d{{4}})[-/]?(0?[1-9]|1[0-2])([-/]\\d{{1,2}})?$', ['y', 'm'])"
        return f"(case when {month}.y <> '' then {month}.y || '-' || lpad({month}.m, 2, '0') end)"
    raise ValueError(t)


def checks(
    column: contract.Column,
    raw: str,
    value: str,
    latest_allowed: str | None,
) -> list[tuple[str, str]]:
    """(violation condition, reason) pairs; ``latest_allowed`` is a timestamp SQL literal for future checks."""
    found: list[tuple[str, str]] = []
    if not column.nullable:
        found.append((f"{raw} is null", "empty value in a required column"))
    found.append((f"contains({raw}, chr(0))", "contains a NUL byte"))
    if column.type != "string":
        found.append((f"{raw} is not null and {value} is null", f"not a valid {column.type}"))
    if column.enum and not column.enum_is_open:
        allowed = ", ".join(lit(v) for v in column.enum)
        found.append(
            (
                f"{value} is not null and {value} not in ({allowed})",
                f"not one of: {', '.join(column.enum)}",
            )
        )
    if column.min_value is not None:
        found.append((f"{value} < {column.min_value}", f"below the minimum {column.min_value:g}"))
    if column.max_value is not None:
        found.append((f"{value} > {column.max_value}", f"above the maximum {column.max_value:g}"))
    if column.type in ("date", "timestamp") and not column.future_ok and latest_allowed:
        found.append((f"{value} > {latest_allowed}", "in the future (after the extract date)"))
    return found
