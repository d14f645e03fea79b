"""SQL that turns one text column into its contract type, and the checks that quarantine a value.

Normalisation follows the file's :class:`ReadOptions`: value maps, thousands/decimal
separators, currency marks, 万/万元 amounts, foreign currencies (converted to yuan at the
profile's exchange rates), percentages, probability scale, date formats (ISO-8601 first,
then the column's own formats, then the profile's), Excel serial dates, time zones (naive
timestamps are converted from the profile's zone to Asia/Shanghai; ISO offsets are honoured).
A date before 1900 is a value without a real year (``1-01-01``) and is quarantined. Text
columns holding dates (:data:`DATE_TEXT_COLUMNS`) are written as YYYY-MM-DD when they read
as a date and kept as typed otherwise.

**Nothing is changed silently**: a number the warehouse type cannot hold (an amount of 10^20,
an integer beyond 64 bits, a float that overflows) is quarantined as out of range instead of
failing the run; an amount with more decimals than the contract keeps (``12.345`` yuan in a
DECIMAL(18,2)) is quarantined instead of rounded; a number in scientific notation
(``1.23457E+11``, Excel's display of a long number, often with digits cut) is quarantined
instead of read; an integer with decimals is quarantined instead of rounded.
"""

from __future__ import annotations

import math
import re
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
DECIMAL_PRECISION, DECIMAL_SCALE = (
    int(x) for x in re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", contract.DUCKDB_TYPES["decimal"]).groups()
)
"""The contract's amount type (DECIMAL(18,2)): 16 digits before the point, 2 after (cents)."""
DECIMAL_CEILING = 10 ** (DECIMAL_PRECISION - DECIMAL_SCALE)
BIGINT_CEILING = 2**63
OUT_OF_RANGE_REASON = (
    "out of range: {type} holds {limit} — check the value and its unit (分/元/万元) in the export "
    "数值超出范围，请核对导出文件中的数值和单位"
)
SUB_UNIT_REASON = (
    f"more than {DECIMAL_SCALE} decimals: an amount in yuan is kept to the cent and this one is "
    "not rounded — check the unit (分 vs 元) and the export's number format, or round it in the "
    f"source 金额小数超过{DECIMAL_SCALE}位（未自动四舍五入），请核对单位或在源系统中取整"
)
SCIENTIFIC_REASON = (
    "a number in scientific notation (Excel shows long numbers as 1.23E+11 and may cut digits): "
    "format the column as a number or text and export again 科学计数法，可能已丢失位数，请设为数值或文本格式后重新导出"
)
NOT_WHOLE_REASON = "not a whole number: an integer column is not rounded — fix the value in the export 不是整数"
FLOAT_NOISE = (1e-4, 1e-12)
"""Excess digits smaller than both a hundredth of a cent and a millionth of a millionth of the
amount are binary floating-point noise (``0.30000000000000004``, ``113.00000000000001`` from a
spreadsheet formula or a double column), not sub-cent data: such an amount is rounded to the
cent. A double holds about 16 significant digits, so its noise stays below 1e-15 of the value."""
SCIENTIFIC_PATTERN = r"[+-]?(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+"


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


def _cleaned_number(raw: str, options: ReadOptions) -> str:
    """The text without currency marks, units and spaces, separators made canonical."""
    cleaned = f"regexp_replace({raw}, '[¥￥$\\s]|CNY|RMB|元$', '', 'g')"
    if options.decimal_separator != ".":
        cleaned = f"replace(replace({cleaned}, {lit(options.thousands_separator)}, ','), {lit(options.decimal_separator)}, '.')"
    elif options.thousands_separator != ",":
        cleaned = f"replace({cleaned}, {lit(options.thousands_separator)}, ',')"
    return f"regexp_replace({cleaned}, '(万元|万|亿元|亿)$', '')"


def _number_text(raw: str, options: ReadOptions) -> str:
    """Text of a number in canonical form (``-1234.5``), or NULL when it is not one."""
    cleaned = _cleaned_number(raw, options)
    return f"(case when regexp_full_match({cleaned}, {lit(NUMBER_PATTERN)}) then replace({cleaned}, ',', '') end)"


def number_parts(column: contract.Column, raw: str, options: ReadOptions) -> dict[str, str]:
    """SQL of what typing and checking a number read from its text ``raw``: ``cleaned`` (no
    marks, units or spaces), ``number`` (canonical text, NULL when not a number) and, for an
    amount, ``multiplier`` (yuan per unit of the cell) and ``shift`` (its power of ten). The
    ingest computes them once per cell (:func:`typed` and :func:`range_checks` take the
    columns holding them); without them each expression is written out in place."""
    cleaned = _cleaned_number(raw, options)
    parts = {
        "cleaned": cleaned,
        "number": f"(case when regexp_full_match({cleaned}, {lit(NUMBER_PATTERN)}) then replace({cleaned}, ',', '') end)",
    }
    if column.type == "decimal":
        parts["multiplier"] = _amount_multiplier(raw, options, column.name)
        parts["shift"] = (
            f"(case when regexp_matches({raw}, '(万元|万)$') then 4 "
            f"when regexp_matches({raw}, '(亿元|亿)$') then 8 "
            f"else {round(math.log10(options.column_multiplier(column.name)))} end)"
        )
    return parts


def _amount_multiplier(raw: str, options: ReadOptions, column: str) -> str:
    """A cell that says 万 (亿) is in 万 (亿) whatever the profile's unit; others are in the
    column's unit (``column_amount_units``), else the profile's ``amount_unit``."""
    return (
        f"(case when regexp_matches({raw}, '(万元|万)$') then 10000 "
        f"when regexp_matches({raw}, '(亿元|亿)$') then 100000000 "
        f"else {options.column_multiplier(column)} end)"
    )


def _amount_magnitude(p: Mapping[str, str], rate: str | None) -> str:
    """SQL double: the size of the amount in yuan (inf for a number too long for a double)."""
    converted = f" * cast({rate} as double)" if rate else ""
    return f"abs(try_cast({p['number']} as double) * {p['multiplier']}{converted})"


def _amount_guard(p: Mapping[str, str], rate: str | None) -> str:
    """SQL true when the amount is small enough to compute exactly without an overflow error
    (a double's estimate, with room for its rounding: the exact cast decides the edge).
    Unknown (no exchange rate for the row's currency) passes: that row is reported on its currency."""
    return f"coalesce({_amount_magnitude(p, rate)} < {2 * DECIMAL_CEILING}, true)"


def _amount_out_of_range(p: Mapping[str, str], value: str, rate: str | None) -> str:
    """SQL true when the amount (``value``: typed, NULL when it does not fit) exceeds the contract's type."""
    return (
        f"{p['number']} is not null and (not {_amount_guard(p, rate)} "
        f"or ({value} is null and {_amount_magnitude(p, rate)} is not null))"
    )


def _sub_unit(p: Mapping[str, str]) -> str:
    """SQL true when the file's figure, in yuan (× its 万/亿/unit, a power of ten), has digits
    below the cent that are not floating-point noise (:data:`FLOAT_NOISE`).

    Why quarantine rather than round: a currency amount with sub-cent digits (``12.345``) says
    the unit or the number format is not what the export claims (fen read as yuan, a price per
    unit, a locale's separator); rounding it would hide that. ``1.2345万`` is 12345 yuan and
    fine. A conversion from another currency necessarily produces sub-cent digits: the rate's
    rounding is not checked (the file's own figure is, and ``amount_original`` keeps it)."""
    decimals = f"length(rtrim(regexp_extract({p['number']}, '\\.(\\d+)$', 1), '0'))"
    yuan = f"(try_cast({p['number']} as double) * {p['multiplier']})"
    absolute, relative = FLOAT_NOISE
    noise = f"least({absolute}, greatest(abs({yuan}), 1) * {relative})"
    return (
        f"coalesce({decimals} - {p['shift']} > {DECIMAL_SCALE} "
        f"and abs({yuan} - round({yuan}, {DECIMAL_SCALE})) > {noise}, false)"
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
    parts: Mapping[str, str] | None = None,
) -> str:
    """Expression of the column's contract type from its text expression ``raw``; a decimal
    is multiplied by ``rate`` (SQL, yuan per unit of the row's currency) when given; ``parts``:
    :func:`number_parts` already computed (column names)."""
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
        p = parts or number_parts(column, raw, options)
        text = p["number"]
        if t == "decimal":
            # Out of range is NULL here (and quarantined by `range_checks`), never an overflow error.
            number = f"try_cast((case when {_amount_guard(p, rate)} then {text} end) as decimal(38, 6))"
            converted = f" * {rate}" if rate else ""
            return f"try_cast({number} * {p['multiplier']}{converted} as {column.duckdb_type})"
        if t == "integer":
            number = f"try_cast({text} as decimal(38, 6))"
            return f"(case when {number} = trunc({number}) then try_cast({number} as bigint) end)"
        if column.name == "probability":
            scale = (
                "100.0"
                if probability_percent
                else f"(case when regexp_matches({raw}, '%$') then 100.0 else 1.0 end)"
            )
            return f"(try_cast({_number_text(f'rtrim({raw}, chr(37))', options)} as double) / {scale})"
        return f"try_cast({text} as double)"
    if t == "timestamp":
        return _timestamp(raw, options, convert_zone=True, column=column.name)
    if t == "date":
        return f"cast({_timestamp(raw, options, convert_zone=False, column=column.name)} as date)"
    if t == "period":
        month = f"regexp_extract({raw}, '^(\\d{{4}})[-/]?(0?[1-9]|1[0-2])([-/]\\d{{1,2}})?$', ['y', 'm'])"
        return f"(case when {month}.y <> '' then {month}.y || '-' || lpad({month}.m, 2, '0') end)"
    raise ValueError(t)


def range_checks(
    column: contract.Column,
    raw: str,
    value: str,
    options: ReadOptions,
    rate: str | None = None,
    figure: bool = True,
    parts: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """(condition, reason) pairs for a number the column's type cannot hold as written: out of
    range, written in scientific notation, more decimals than an amount keeps, an integer with
    decimals. ``rate`` (SQL) converts the row's currency to yuan; ``figure=False`` skips the
    decimals check of the file's own figure (``amount_original`` repeats ``amount``'s text,
    which is checked once, on ``amount``)."""
    t = column.type
    if t not in ("decimal", "integer", "float"):
        return []
    p = parts or number_parts(column, raw, options)
    scientific = f"coalesce(regexp_full_match({p['cleaned']}, {lit(SCIENTIFIC_PATTERN)}), false)"
    found = [(f"{raw} is not null and {scientific}", SCIENTIFIC_REASON)]
    text = p["number"]
    if t == "decimal":
        limit = f"at most {DECIMAL_PRECISION - DECIMAL_SCALE} digits before the point"
        found.append(
            (
                _amount_out_of_range(p, value, rate),
                OUT_OF_RANGE_REASON.format(type=column.duckdb_type, limit=limit),
            )
        )
        if figure:
            found.append((f"{value} is not null and {_sub_unit(p)}", SUB_UNIT_REASON))
    elif t == "integer":
        number = f"try_cast({text} as decimal(38, 6))"  # exact: a double cannot tell 2^63 - 1 from 2^63
        out = f"{text} is not null and coalesce(abs({number}) >= {BIGINT_CEILING}, true)"
        found.append((out, OUT_OF_RANGE_REASON.format(type="BIGINT", limit="whole numbers below 2^63")))
        found.append((f"{value} is null and not ({out}) and {number} <> trunc({number})", NOT_WHOLE_REASON))
    else:
        found.append(
            (
                f"{value} is not null and not isfinite({value})",
                OUT_OF_RANGE_REASON.format(type="DOUBLE", limit="numbers below about 1.8e308"),
            )
        )
    return found


def checks(
    column: contract.Column,
    raw: str,
    value: str,
    latest_allowed: str | None,
    no_rate: str | None = None,
    ranges: list[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """(violation condition, reason) pairs; ``latest_allowed`` is a timestamp SQL literal for
    future checks; ``no_rate`` is SQL true where the row's currency has no exchange rate (that
    row's amounts are reported once, on the currency, not as invalid numbers); ``ranges`` are
    :func:`range_checks` (a value they name is not also called invalid)."""
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
        for condition, _ in ranges or []:
            invalid = f"{invalid} and not coalesce({condition}, false)"
        found.append((invalid, f"not a valid {column.type}"))
        found += ranges or []
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
    finite = f" and isfinite({value})" if column.type == "float" else ""
    if column.min_value is not None:
        found.append((f"{value} < {column.min_value}{finite}", f"below the minimum {column.min_value:g}"))
    if column.max_value is not None:
        found.append((f"{value} > {column.max_value}{finite}", f"above the maximum {column.max_value:g}"))
    if column.type in ("date", "timestamp") and not column.future_ok and latest_allowed:
        found.append((f"{value} > {latest_allowed}", "in the future (after the extract date)"))
    return found
