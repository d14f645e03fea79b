"""SQL that turns one text column into its contract type, and the checks that quarantine a value.

Normalisation follows the file's :class:`ReadOptions`: value maps, thousands/decimal
separators, currency marks, 万/万元 amounts, foreign currencies (converted to yuan at the
profile's exchange rates), percentages, probability scale, date formats (ISO-8601 first,
then the column's own formats, then the profile's), Excel serial dates, time zones (naive
timestamps are converted from the profile's zone to Asia/Shanghai; ISO offsets are honoured).
A date before 1900 is a value without a real year (``1-01-01``) and is quarantined. Text
columns holding dates (:data:`DATE_TEXT_COLUMNS`) are written as YYYY-MM-DD when they read
as a date and kept as typed otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from salesops import contract
from salesops.config import reporting_timezone
from salesops.ingest.excel import FORMULA_ERRORS
from salesops.ingest.profile import (
    BASE_CURRENCY,
    CURRENCY_ALIASES,
    DATE_TEXT_COLUMNS,
    ISO_DATE_FORMATS,
    ISO_TIMESTAMP_FORMATS,
    ReadOptions,
)

FORMULA_ERROR_REASON = (
    "an Excel formula error (#REF!, #DIV/0!, #N/A …) instead of a value: fix the formula in "
    "the workbook, or copy and paste values"
)
NUMBER_PATTERN = r"-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?"
EXCEL_SERIAL_PATTERN = r"\d{5}(\.\d+)?"
"""Excel day numbers 10000–99999 (1927–2173); a four-digit number in a date column is a year, not 1905."""
PLAIN_ISO_PATTERN = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?"
TZ_SUFFIX_PATTERN = r".*\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-](0\d|1[0-4]):?[0-5]\d)$"
"""A time of day followed by a real UTC offset (not the ``-2026`` that ends ``07-03-2026``)."""
EARLIEST_YEAR = 1900
"""A date before this has no real year: ``1-01-01`` or a day typed without its year."""
NO_YEAR_REASON = "no year (or a year before 1900)"
NO_RATE_REASON = "no exchange rate for this currency: add it under exchange_rates (yuan per unit)"


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
    cleaned = f"regexp_replace({cleaned}, '(万元|万|亿元|亿)$', '')"
    return f"(case when regexp_full_match({cleaned}, {lit(NUMBER_PATTERN)}) then replace({cleaned}, ',', '') end)"


def _amount_multiplier(raw: str, options: ReadOptions, column: str) -> str:
    """A cell that says 万 (亿) is in 万 (亿) whatever the profile's unit; others are in the
    column's unit (``column_amount_units``), else the profile's ``amount_unit``."""
    return (
        f"(case when regexp_matches({raw}, '(万元|万)$') then 10000 "
        f"when regexp_matches({raw}, '(亿元|亿)$') then 100000000 "
        f"else {options.column_multiplier(column)} end)"
    )


def currency_code(options: ReadOptions, source: str | None) -> str:
    """SQL: the row's currency code — the ``currency_column`` cell (``source``), else the file's."""
    if options.currency_column is None or source is None:
        return lit(options.currency)
    code = f"upper(nullif(trim({source}), ''))"
    aliases = " ".join(f"when {lit(k)} then {lit(v)}" for k, v in CURRENCY_ALIASES.items())
    return f"coalesce((case {code} {aliases} else {code} end), {lit(options.currency)})"


def exchange_rate(options: ReadOptions, code: str) -> str:
    """SQL: yuan per unit of the currency ``code`` (SQL), NULL when the profile gives no rate."""
    rates = {BASE_CURRENCY: 1, **options.exchange_rates}

    def value(rate: float) -> str:
        return f"cast({lit(format(Decimal(str(rate)), 'f'))} as decimal(18, 8))"

    if options.currency_column is None:
        return value(rates[options.currency])
    cases = " ".join(f"when {lit(c)} then {value(r)}" for c, r in rates.items())
    return f"(case {code} {cases} end)"


def _timestamp_formats(options: ReadOptions, column: str | None = None) -> list[str]:
    formats = list(ISO_TIMESTAMP_FORMATS)
    own = options.column_date_formats.get(column, ()) if column else ()
    for f in (*ISO_DATE_FORMATS, *own, *options.date_formats):
        if "%H" in f or "%I" in f:
            formats.append(f)
        else:
            formats += [f"{f} %H:%M:%S", f"{f} %H:%M", f"{f} %I:%M %p", f"{f} %I:%M:%S %p", f]
    return list(dict.fromkeys(formats))


def _timestamp(
    raw: str, options: ReadOptions, convert_zone: bool, column: str | None = None
) -> str:
    formats = "[" + ", ".join(lit(f) for f in _timestamp_formats(options, column)) + "]"
    naive = f"try_strptime({raw}, {formats})"
    zone = reporting_timezone()
    if convert_zone and options.timezone != zone:
        naive = f"(({naive}) at time zone {lit(options.timezone)}) at time zone {lit(zone)}"
    # Plain ISO-8601 (no offset) is most values: one anchored pattern and DuckDB's own cast.
    plain_iso = f"try_cast({raw} as timestamp)"
    if convert_zone and options.timezone != zone:
        plain_iso = f"(({plain_iso}) at time zone {lit(options.timezone)}) at time zone {lit(zone)}"
    parts = [
        f"when regexp_full_match({raw}, {lit(PLAIN_ISO_PATTERN)}) then {plain_iso}",
        f"when regexp_full_match({raw}, {lit(TZ_SUFFIX_PATTERN)}) then "
        f"cast(try_cast({raw} as timestamptz) at time zone {lit(zone)} as timestamp)"
    ]
    if options.excel_serial_dates:
        parts.append(
            f"when regexp_full_match({raw}, {lit(EXCEL_SERIAL_PATTERN)}) and try_cast({raw} as double) between 1 and 2958465 "
            f"then timestamp '1899-12-30' + to_microseconds(cast(round(try_cast({raw} as double) * 86400000000) as bigint))"
        )
    return f"(case {' '.join(parts)} else {naive} end)"


def typed(
    column: contract.Column,
    raw: str,
    options: ReadOptions,
    probability_percent: bool,
    rate: str | None = None,
) -> str:
    """Expression of the column's contract type from its text expression ``raw``; a decimal
    is multiplied by ``rate`` (SQL, yuan per unit of the row's currency) when given."""
    t = column.type
    if t == "string":
        if column.name in DATE_TEXT_COLUMNS:
            # A date in any accepted format is written YYYY-MM-DD; anything else (尽快, a date
            # before 1900) stays as typed.
            day = f"cast({_timestamp(raw, options, False, column.name)} as date)"
            floor = f"date '{EARLIEST_YEAR - 1}-12-31'"
            return (
                f"coalesce(strftime(nullif(greatest({day}, {floor}), {floor}), '%Y-%m-%d'), {raw})"
            )
        return raw
    if t in ("decimal", "integer", "float"):
        number = f"try_cast({_number_text(raw, options)} as decimal(38, 6))"
        if t == "decimal":
            converted = f" * {rate}" if rate else ""
            return f"cast({number} * {_amount_multiplier(raw, options, column.name)}{converted} as {column.duckdb_type})"
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
        return _timestamp(raw, options, convert_zone=True, column=column.name)
    if t == "date":
        return f"cast({_timestamp(raw, options, convert_zone=False, column=column.name)} as date)"
    if t == "period":
        month = f"regexp_extract({raw}, '^(\\d{{4}})[-/]?(0?[1-9]|1[0-2])([-/]\\d{{1,2}})?$', ['y', 'm'])"
        return f"(case when {month}.y <> '' then {month}.y || '-' || lpad({month}.m, 2, '0') end)"
    raise ValueError(t)


def checks(
    column: contract.Column,
    raw: str,
    value: str,
    latest_allowed: str | None,
    no_rate: str | None = None,
) -> list[tuple[str, str]]:
    """(violation condition, reason) pairs; ``latest_allowed`` is a timestamp SQL literal for
    future checks; ``no_rate`` is SQL true where the row's currency has no exchange rate (that
    row's amounts are reported once, on the currency, not as invalid numbers)."""
    found: list[tuple[str, str]] = []
    if not column.nullable:
        found.append((f"{raw} is null", "empty value in a required column"))
    found.append((f"contains({raw}, chr(0))", "contains a NUL byte"))
    formula_error = f"coalesce(trim({raw}) in ({', '.join(lit(e) for e in FORMULA_ERRORS)}), false)"
    found.append((formula_error, FORMULA_ERROR_REASON))
    if column.type != "string":
        invalid = f"{raw} is not null and {value} is null and not {formula_error}"
        if column.type == "period":
            no_year = f"not regexp_matches({raw}, '\\d{{4}}')"
            found.append(
                (f"{invalid} and {no_year}", "not a valid period: no 4-digit year (write YYYY-MM)")
            )
            invalid = f"{invalid} and not {no_year}"
        if column.type == "decimal" and no_rate:
            invalid = f"{invalid} and not coalesce({no_rate}, false)"
        found.append((invalid, f"not a valid {column.type}"))
    if column.type in ("date", "timestamp"):
        earliest = f"{column.type} '{EARLIEST_YEAR}-01-01'"
        found.append((f"{value} < {earliest}", f"not a valid {column.type}: {NO_YEAR_REASON}"))
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
