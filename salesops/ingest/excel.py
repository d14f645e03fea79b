"""Excel workbooks (.xlsx, .xlsm, .xls, .xlsb, .ods) → rows of text in DuckDB, one sheet at a time.

Sales teams land what the CRM's "导出 Excel" button gives them, and what they then touched by
hand: a title row above the header (``商机列表  导出时间：…``), a two-row header with merged
group cells (金额 over 商机金额 | 已回款), a 合计 row under the data, formulas that broke
(``#REF!``). A sheet is read into the same shape as a CSV (:class:`~salesops.ingest.reader.RawRows`:
every value as text, ``_line`` = the row number the user sees in Excel), so typing,
quarantine and the run summary treat both alike:

* **Values are kept as text**, as fastexcel renders each cell: numbers in their shortest form
  (``12800``, ``0.0000001``), date cells as ``2026-03-05 00:00:00``, text exactly as typed
  (``¥12,800.00``, ``12.8万``, ``2026年3月5日``). Typing parses them, as it does for CSVs.
* **The header row is found**, not assumed: title rows above it are not data and are not
  counted; ``header_row``/``header_rows`` in a profile override the detection.
* **Totals rows are not records**: a 合计/Total row would double every sum downstream, so it
  is set aside and counted by kind, never silently dropped.
* **Formula errors stay visible**: a cell whose formula failed reads as its Excel literal
  (:data:`FORMULA_ERRORS`), so typing quarantines the row with the value the user can find.

The data are read once by fastexcel (Rust calamine, returning Arrow) and loaded into DuckDB
without a Python loop over the rows; Python looks only at the rows searched for the header
and at the cells that hold formula errors. Sheet names and visibility come from
python-calamine's workbook metadata, which is read without loading any sheet.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine

from salesops.ingest.errors import IngestError
from salesops.ingest.profile import ReadOptions
from salesops.ingest.reader import RawRows

EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
HEADER_SEARCH_ROWS = 30
"""The header is looked for in this many rows at the top of a sheet (below any title rows)."""
FORMULA_ERRORS: tuple[str, ...] = (
    "#REF!",
    "#DIV/0!",
    "#N/A",
    "#VALUE!",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#GETTING_DATA",
    "#ERROR!",
)
"""What a cell whose formula failed reads as; ``#ERROR!`` stands for any error calamine
reports that has no Excel literal of its own."""
_CALAMINE_ERRORS = {
    "Ref": "#REF!",
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Value": "#VALUE!",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "GettingData": "#GETTING_DATA",
}
TOTALS_KIND = "totals row 合计行"
TOTALS_LABELS = ("合计", "总计", "小计", "汇总", "total", "grandtotal", "subtotal", "sum")
"""Labels of a totals row, compared without whitespace (``合  计``, ``Grand Total``) and
case, with or without a trailing colon."""
EMPTY_SHEET_NOTE = "sheet '{sheet}' is empty: nothing to read 空工作表"
_SPACE = r"\s\x{3000}\x{00a0}"
"""Whitespace in an RE2 character class (DuckDB, Arrow), with the ideographic and no-break
spaces Excel users type: a cell of only these is empty."""
_NUMBER = re.compile(
    r"(?=\D*\d)[(+-]?[¥￥$€£]?\s*[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?\s*(%|‰|万元?|亿元?|元)?\)?",
)
_DATE = re.compile(
    r"(\d{4}\s*[-/.年]\s*\d{1,2}(\s*[-/.月]\s*\d{1,2}\s*日?)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
    r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?|\d{1,2}:\d{2}(:\d{2})?",
)
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")
_OPEN_FIX = (
    "Open it in Excel and save it again as .xlsx (文件 → 另存为 → Excel 工作簿), or export it again"
)


@dataclass(frozen=True)
class SheetMeta:
    name: str
    visible: bool
    """False for a hidden or very hidden sheet: the planner lists it as not read."""


def sheet_label(path: Path | str, sheet: str) -> str:
    """How one sheet of a workbook is named in errors, quarantine and the run summary."""
    return f"{path}#{sheet}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- opening


def _not_a_workbook(path: Path) -> IngestError | None:
    """Why the file is not a workbook at all, from its first bytes (before any parser's message).

    Some CRMs export an HTML table or tab-separated text under a ``.xls`` name; Excel opens
    those with a warning, a workbook parser cannot.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        return IngestError(
            path, f"the file cannot be opened ({exc.strerror})", "Check the path and permissions"
        )
    if not head:
        return IngestError(
            path, "the file is empty", "Export it again, or remove it from the landing folder"
        )
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
        return None  # a zip (xlsx, xlsm, xlsb, ods) or an OLE file (xls, or an encrypted xlsx)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    what = (
        "an HTML or XML page saved with an Excel name"
        if text.startswith(b"<")
        else "not an Excel workbook (it may be text, e.g. a CSV, saved with an Excel name)"
    )
    return IngestError(
        path, f"the file is {what}", _OPEN_FIX + "; a CSV/TSV can also be renamed to .csv"
    )


def _open_error(path: Path, exc: Exception) -> IngestError:
    detail = (
        str(exc).splitlines()[0].removeprefix("calamine error: ")
        if str(exc)
        else type(exc).__name__
    )
    if isinstance(exc, python_calamine.PasswordError) or "password" in detail.lower():
        return IngestError(
            path,
            "the workbook is password-protected (encrypted)",
            "Save a copy without a password (文件 → 信息 → 保护工作簿 → 用密码进行加密, clear it) "
            "and put that copy in the landing folder",
        )
    return IngestError(
        path,
        f"the workbook cannot be opened: it is damaged or not a complete Excel file ({detail})",
        "Download/export it again",
    )


def list_sheets(path: Path) -> list[SheetMeta]:
    """Sheet names in workbook order, each with whether Excel shows it.

    Raises IngestError naming the file when it is password-protected, damaged or truncated,
    or not a workbook at all.
    """
    problem = _not_a_workbook(path)
    if problem is not None:
        raise problem
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # python-calamine raises its own, OSError and ValueError alike
        raise _open_error(path, exc) from None
    try:
        return [
            SheetMeta(m.name, m.visible == python_calamine.SheetVisibleEnum.Visible)
            for m in workbook.sheets_metadata
        ]
    finally:
        workbook.close()


def sheet_is_empty(path: Path, sheet: str) -> bool:
    """Whether a sheet holds no cell at all (loads it: used only to choose among a canonical
    workbook's unnamed sheets, e.g. an empty Sheet1 before the data)."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        rows = workbook.get_sheet_by_name(sheet).to_python()
    except Exception:  # an unreadable sheet is not empty: reading it reports the problem
        return False
    finally:
        workbook.close()
    return not any(str(v).strip() for row in rows for v in row)


def _load(path: Path, sheet: str) -> tuple[pa.RecordBatch, list[tuple[int, int, str]], list[int]]:
    """The sheet as text columns (row i = Excel row i + 1), its formula errors (row, column,
    literal) and each column's Excel column number (leading empty columns are not read)."""
    problem = _not_a_workbook(path)
    if problem is not None:
        raise problem
    try:
        workbook = fastexcel.read_excel(path)
    except fastexcel.FastExcelError as exc:
        raise _open_error(path, exc) from None
    try:
        # skip_rows=0 keeps leading empty rows, so batch rows stay aligned with Excel rows.
        loaded = workbook.load_sheet(sheet, header_row=None, dtypes="string", skip_rows=0)
        batch, cell_errors = loaded.to_arrow_with_errors()
    except fastexcel.SheetNotFoundError:
        raise IngestError(
            sheet_label(path, sheet),
            f"the workbook has no sheet named '{sheet}'",
            "Check the sheet name (the workbook may have been saved again with renamed sheets)",
        ) from None
    except fastexcel.FastExcelError as exc:
        detail = str(exc).splitlines()[0].removeprefix("calamine error: ")
        raise IngestError(
            sheet_label(path, sheet),
            f"the sheet cannot be read: it is damaged ({detail})",
            _OPEN_FIX,
        ) from None
    errors = [
        (e.position[0], e.position[1], _formula_error(e.detail))
        for e in (cell_errors.errors if cell_errors is not None else [])
    ]
    return batch, errors, [c.absolute_index + 1 for c in loaded.available_columns()]


def _formula_error(detail: str) -> str:
    """``Expected string but got 'Error(Ref)'`` → ``#REF!``."""
    found = re.search(r"Error\((\w+)\)", detail)
    return _CALAMINE_ERRORS.get(found.group(1), "#ERROR!") if found else "#ERROR!"


# --------------------------------------------------------------------------- header


def _is_label(text: str) -> bool:
    """A cell that can name a column: text that is not a number, date, boolean or formula error."""
    text = text.strip()
    return bool(text) and not (
        _NUMBER.fullmatch(text)
        or _DATE.fullmatch(text)
        or text in FORMULA_ERRORS
        or text in ("true", "false")
    )


def _clean(text: str) -> str:
    """A header cell as a column name: trimmed, line breaks inside the cell removed."""
    text = text.replace("\x00", "").strip()

    # "商机金额\n(元)" is one name wrapped in its cell; "Expected\nClose Date" keeps a space.
    def joined(m: re.Match) -> str:
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        latin = all(c.isascii() and c.isalnum() for c in before + after) and before and after
        return " " if latin else ""

    return _LINE_BREAK.sub(joined, text)


def _filled(row: list[str]) -> list[int]:
    return [i for i, v in enumerate(row) if v.strip()]


def _is_label_row(row: list[str]) -> bool:
    cells = _filled(row)
    return bool(cells) and all(_is_label(row[i]) for i in cells)


def _is_two_row(top: list[str], below: list[str]) -> bool:
    """Whether ``below`` names the columns under merged group cells of ``top``.

    The lower row must fill a blank inside the upper row's width and be all names. It must
    also leave some upper name's column blank (a cell merged down over both rows) or repeat a
    name (金额 under each of two groups): a first data row of text that happens to fill a
    blank header cell would otherwise be taken for a header row and lost.
    """
    width = max(_filled(top) + _filled(below), default=-1) + 1
    top_cells, below_cells = set(_filled(top)), set(_filled(below))
    if not any(i not in top_cells for i in below_cells) or not _is_label_row(below):
        return False
    names = [below[i].strip() for i in below_cells]
    merged_down = any(i in top_cells and i not in below_cells for i in range(width))
    return merged_down or len(set(names)) < len(names)


def _detect_header(grid: list[list[str]]) -> int | None:
    """Index of the first row that looks like the column names, below any title rows."""
    widest = max((len(_filled(row)) for row in grid), default=0)
    for i, row in enumerate(grid):
        cells = _filled(row)
        if len(cells) >= 2 and 2 * len(cells) >= widest and _is_label_row(row):
            return i
    return None


def _two_row_names(top: list[str], below: list[str]) -> list[str]:
    """Each column by its lower cell, else its upper one; duplicates as ``group/name``.

    A group's name (金额) fills rightwards across the blanks of its merged cell; a cell merged
    down over both rows (nothing below it) starts no group.
    """
    names, groups, group = [], [], ""
    for upper, lower in zip(top, below, strict=True):
        if upper:
            group = upper if lower else ""
        groups.append(upper or group)
        names.append(lower or upper)
    repeated = {n for n in names if n and names.count(n) > 1}
    return [
        f"{g}/{lower}" if n in repeated and lower and g else n
        for n, g, lower in zip(names, groups, below, strict=True)
    ]


def _header(
    grid: list[list[str]], options: ReadOptions, label: str, sheet: str
) -> tuple[int, int] | None:
    """(index of the first header row, number of header rows), or None when none is found."""
    if options.header_row is not None:
        top = options.header_row - 1
        if top >= len(grid) or not _filled(grid[top]):
            raise IngestError(
                label,
                f"header_row {options.header_row} of sheet '{sheet}' is empty or below its last row",
                "Set `header_row:` to the Excel row number of the column names",
            )
        if options.header_rows is not None:
            return top, options.header_rows
        below = grid[top + 1] if top + 1 < len(grid) else []
        return top, 2 if below and _is_two_row(grid[top], below) else 1
    top = _detect_header(grid[:HEADER_SEARCH_ROWS])
    if top is None:
        return None
    if options.header_rows == 1:
        return top, 1
    # A header whose upper row holds only a few group names (计划 | | 实际 | ) is found at its
    # lower row, which is the wider one: the group row above it belongs to the header.
    above = grid[top - 1] if top > 0 else []
    if len(_filled(above)) >= 2 and _is_label_row(above) and _is_two_row(above, grid[top]):
        return top - 1, 2
    if options.header_rows == 2:
        return top, 2
    below = grid[top + 1] if top + 1 < len(grid) else []
    return top, 2 if below and _is_two_row(grid[top], below) else 1


def _is_title_only(grid: list[list[str]], height: int) -> bool:
    """A sheet holding no table: at most a title and one more line (an export time), one cell each."""
    rows = [row for row in grid if _filled(row)]
    return height <= len(grid) and len(rows) <= 2 and all(len(_filled(r)) == 1 for r in rows)


# --------------------------------------------------------------------------- rows


def _with_errors(
    column: pa.Array, errors: list[tuple[int, str]], offset: int, length: int
) -> pa.Array:
    """The column with each formula-error cell (rows relative to the sheet) set to its literal."""
    errors = sorted((row - offset, text) for row, text in errors if offset <= row < offset + length)
    if not errors:
        return column
    mask = np.zeros(length, dtype=bool)
    mask[[row for row, _ in errors]] = True
    return pc.replace_with_mask(
        column, pa.array(mask), pa.array([text for _, text in errors], type=column.type)
    )


def _holds_data(column: pa.Array) -> bool:
    return pc.any(pc.match_substring_regex(column, f"[^{_SPACE}]")).as_py() is True


def read_sheet(
    con: duckdb.DuckDBPyConnection, path: Path, sheet: str, options: ReadOptions, name: str
) -> RawRows:
    """One sheet into the DuckDB temp table ``name``: ``_record``, ``_line``, then one VARCHAR per column.

    ``_line`` is the Excel row number. Rows above the header are not data; fully empty rows
    are skipped (as blank CSV lines are); totals rows go to ``set_aside``.
    """
    label = sheet_label(path, sheet)
    batch, errors, excel_columns = _load(path, sheet)
    height, width = batch.num_rows, batch.num_columns
    # One row more than searched: the lower row of a two-row header found at the last one.
    searched = min(height, max(HEADER_SEARCH_ROWS, options.header_row or 0) + 1)
    head = batch.slice(0, searched)
    columns = [head.column(j).to_pylist() for j in range(width)]
    grid = [[columns[j][i] or "" for j in range(width)] for i in range(searched)]
    for row, column, text in errors:
        if row < searched:
            grid[row][column] = text  # counts as a value, never as a name (see _is_label)

    empty = RawRows(name, [], [], notes=[EMPTY_SHEET_NOTE.format(sheet=sheet)])
    if not any(_filled(row) for row in grid) and height <= searched:
        con.execute(f"create or replace temp table {name} (_record bigint, _line bigint)")
        return empty
    found = _header(grid, options, label, sheet)
    if found is None:
        if _is_title_only(grid, height):
            con.execute(f"create or replace temp table {name} (_record bigint, _line bigint)")
            return empty
        raise IngestError(
            label,
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows of sheet '{sheet}'",
            "Set `header_row:` (the Excel row number of the column names) in the profile's options",
        )
    top, rows = found
    upper = [_clean(v) for v in grid[top]]
    if rows == 2:
        lower = [_clean(v) for v in grid[top + 1]] if top + 1 < len(grid) else [""] * width
        names = _two_row_names(upper, lower)
    else:
        names = upper
    first = min(top + rows, height)
    data = batch.slice(first)
    by_column: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for row, column, text in errors:
        by_column[column].append((row, text))

    header: list[str] = []
    arrays: list[pa.Array] = []
    for j in range(width):
        values = data.column(j)
        if values.type != pa.string():  # a column of nothing but formula errors has no type
            values = values.cast(pa.string())
        values = _with_errors(values, by_column.get(j, []), first, data.num_rows)
        if names[j]:
            header.append(names[j])
        elif _holds_data(values):
            header.append(f"_blank_{excel_columns[j]}")
        else:
            continue  # neither a name nor a value: a formatted but unused column
        arrays.append(values)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        where = f"row {top + 1}" if rows == 1 else f"rows {top + 1}–{top + 2}"
        raise IngestError(
            label,
            f"the header ({where} of sheet '{sheet}') names column(s) {', '.join(duplicates)} more than once",
            "Rename the duplicates in the workbook, or map one of them under `columns` in a profile",
        )
    return _load_rows(con, name, header, arrays, first, data.num_rows)


def _load_rows(
    con: duckdb.DuckDBPyConnection,
    name: str,
    header: list[str],
    arrays: list[pa.Array],
    first: int,
    count: int,
) -> RawRows:
    """The data rows into ``name``, without the empty and totals rows; ``_record`` counts the rest.

    DuckDB finds the rows to leave out (a handful), numpy numbers the others: ``_record`` and
    ``_line`` travel as Arrow columns, so the copy into DuckDB needs neither a sort nor a
    window, and does not depend on the order rows are scanned in.
    """
    cells = [f"c{j}" for j in range(len(arrays))]
    lines = np.arange(first + 1, first + 1 + count, dtype=np.int64)
    table = pa.Table.from_arrays([pa.array(lines), *arrays], names=["_line", *cells])
    not_empty = f"regexp_matches(concat({', '.join(cells)}), '[^{_SPACE}]')" if cells else "false"
    leading = [f"nullif(regexp_replace({c}, '[{_SPACE}]', '', 'g'), '')" for c in cells[:2]]
    first_text = f"coalesce({', '.join(leading)})" if leading else "null"
    is_totals = (
        f"coalesce(regexp_full_match({first_text}, '(?i)({'|'.join(TOTALS_LABELS)})[:：]?'), false)"
    )
    view = f"{name}_sheet"
    con.register(view, table)
    try:
        left_out = con.execute(
            f"select _line, {not_empty} from {view} where not {not_empty} or {is_totals} "
            "order by _line"
        ).fetchall()
        keep = np.ones(count, dtype=bool)
        keep[[line - first - 1 for line, _ in left_out]] = False
        table = table.append_column("_record", pa.array(np.cumsum(keep))).append_column(
            "_keep", pa.array(keep)
        )
        con.register(view, table)
        selected = "".join(f", {c} as {_q(h)}" for c, h in zip(cells, header, strict=True))
        con.execute(
            f"create or replace temp table {name} as "
            f"select _record, _line{selected} from {view} where _keep"
        )
    finally:
        con.unregister(view)
    totals = [(int(line), TOTALS_KIND) for line, filled in left_out if filled]
    return RawRows(name, [], header, set_aside=totals)
