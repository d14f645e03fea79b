"""Bytes on disk → rows of text in DuckDB, with every malformed row kept and located.

* Encoding: a profile's, or detected with charset-normalizer; non-UTF-8 files are
  transcoded to a UTF-8 working copy (DuckDB reads UTF-8 natively; BOMs are dropped).
* CSV dialect: a profile's delimiter, or DuckDB's own sniffer (``sniff_csv``). Rows are
  read with ``store_rejects``: a malformed row (too few/many fields, an unterminated quote,
  an over-long line) is not lost but returned with its physical line and DuckDB's reason.
* JSONL: read line by line, so a line that is not valid JSON is located and quarantined
  instead of skipped.
* Byte-order marks inside a file (two exports joined with ``cat``: the second one's BOM at
  the start of a line, or before a value) are removed from the working copy, never kept in an
  id or a value, and a note names their lines; the second export's header line is set aside
  (counted as a repeated header row), not quarantined as a bad record.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from charset_normalizer import from_bytes

from salesops.ingest.errors import IngestError
from salesops.ingest.profile import ENCODING_ALIASES, ReadOptions

MAX_LINE_BYTES = 64 * 2**20
"""A single field may be several megabytes (pasted mails, transcripts); lines beyond this are quarantined."""
SAMPLE_BYTES = 2**20
csv.field_size_limit(MAX_LINE_BYTES)  # Python's csv parses the same multi-megabyte fields
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
BOM = "\ufeff"
BOM_BYTES = BOM.encode("utf-8")
BOM_NOTE = (
    "{n} byte-order mark(s) (U+FEFF) inside the file, on line(s) {lines} (two exports joined "
    "into one?): removed, never kept in a value 文件中间的字节顺序标记已移除"
)
REPEATED_HEADER_KIND = "repeated header row 重复表头行"
REPEATED_HEADER_NOTE = (
    "the header row is repeated on line(s) {lines} (two exports joined into one file?): set "
    "aside, the rows around it are read 文件中重复的表头行未作为数据读取"
)
MAX_NOTE_LINES = 5


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class TextSource:
    """A readable UTF-8 view of one landing file."""

    path: Path
    utf8_path: Path
    encoding: str
    delimiter: str | None
    header: list[str]
    notes: list[str] = field(default_factory=list)
    """Bilingual lines about what reading changed (byte-order marks removed)."""


@dataclass
class RawRows:
    """Rows of one file as VARCHAR columns named by the file's header, plus the rows DuckDB rejected."""

    table: str
    """DuckDB temp table: ``_record`` (1-based), ``_line`` (physical line), then the header's columns."""
    rejects: list[tuple[int, str, str]]
    """(line, raw text, reason) for rows that could not be parsed."""
    header: list[str]
    set_aside: list[tuple[int, str]] = field(default_factory=list)
    """(line, kind) of rows that are not records and are not loaded, each counted by kind in the
    run summary: a totals row (合计) of a workbook, a robot or non-text chat message, a recalled
    message. rows read = rows in ``table`` + ``rejects`` + ``set_aside``."""
    notes: list[str] = field(default_factory=list)
    """Bilingual lines for the run summary about this file (an empty sheet, a match rate)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(path: Path, options: ReadOptions) -> str:
    if options.encoding.lower() != "auto":
        return options.python_encoding
    with open(path, "rb") as f:
        sample = f.read(SAMPLE_BYTES)
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:  # a multi-byte character cut by the sample boundary
            return "utf-8"
    results = from_bytes(sample)
    best = results.best()
    # On a short GBK file the detector hardly tells GB18030 from Korean cp949 or Japanese (all
    # near zero chaos); the exports this product reads are Chinese, so GB18030 wins near-ties
    # instead of silently mangling every name. Real Korean/Japanese text scores clearly worse.
    chinese = next((r for r in results if r.encoding in ("gb18030", "gbk", "gb2312")), None)
    if best is not None and chinese is not None and chinese.chaos <= best.chaos + 0.1:
        best = chinese
    if best is None:
        raise IngestError(
            path,
            "the file is not text in any encoding that could be detected",
            "Check that it is a CSV/JSONL export (not a spreadsheet or archive), or set `encoding` in a mapping profile",
        )
    return ENCODING_ALIASES.get(best.encoding.replace("_", "-").lower(), best.encoding)


def _bom_note(lines: list[int]) -> list[str]:
    if not lines:
        return []
    shown = ", ".join(map(str, sorted(set(lines))[:MAX_NOTE_LINES])) + (
        " …" if len(set(lines)) > MAX_NOTE_LINES else ""
    )
    return [BOM_NOTE.format(n=len(lines), lines=shown)]


def _inner_bom_lines(data: bytes) -> list[int]:
    """Lines (1-based) holding a UTF-8 byte-order mark after the file's very first bytes."""
    lines, start = [], 1 if data.startswith(BOM_BYTES) else 0
    position = data.find(BOM_BYTES, start)
    while position != -1:
        lines.append(data.count(b"\n", 0, position) + 1)
        position = data.find(BOM_BYTES, position + 1)
    return lines


def _private_folder(folder: Path) -> None:
    """A working copy holds the raw text (personal data included) before masking: only the
    run's user may list or read its folder."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)


def _private_file(name: str, flags: int) -> int:
    """``open(..., opener=)`` for working copies: created 0600 whatever the umask."""
    fd = os.open(name, flags, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def utf8_copy(path: Path, encoding: str, work_dir: Path) -> tuple[Path, list[int]]:
    """The file itself when it is UTF-8 with no byte-order mark inside it, else a UTF-8
    working copy without any; and the lines whose marks were removed."""
    if encoding in ("utf-8", "ascii"):
        data = path.read_bytes()
        lines = _inner_bom_lines(data)
        if not lines:
            return path, []
        _private_folder(work_dir)
        target = work_dir / f"{hashlib.sha256(data).hexdigest()[:16]}.nobom{path.suffix}"
        if not target.exists():
            tmp = target.with_suffix(target.suffix + ".tmp")
            with open(tmp, "wb", opener=_private_file) as out:
                out.write(data.replace(BOM_BYTES, b""))
            tmp.replace(target)
        return target, lines
    _private_folder(work_dir)
    target = work_dir / f"{file_sha256(path)[:16]}.utf8{path.suffix}"
    lines: list[int] = []
    tmp = target.with_suffix(target.suffix + ".tmp")
    copied = target.exists()  # a copy made earlier: read again only to find the marks
    try:
        with (
            open(path, encoding=encoding, newline="") as src,
            open(
                os.devnull if copied else tmp,
                "w",
                encoding="utf-8",
                newline="",
                opener=None if copied else _private_file,
            ) as out,
        ):
            newlines = 0
            for chunk in iter(lambda: src.read(2**20), ""):
                if BOM in chunk:
                    offset = 0
                    while (offset := chunk.find(BOM, offset)) != -1:
                        lines.append(newlines + chunk.count("\n", 0, offset) + 1)
                        offset += 1
                    chunk = chunk.replace(BOM, "")
                newlines += chunk.count("\n")
                out.write(chunk)
    except (UnicodeDecodeError, LookupError) as exc:
        tmp.unlink(missing_ok=True)
        raise IngestError(
            path,
            f"the file cannot be decoded as {encoding} ({exc})",
            "Set the right `encoding` in a mapping profile (e.g. gb18030 for GBK exports, utf-16)",
        ) from None
    if not copied:
        tmp.replace(target)
    return target, lines


def _check_not_empty(path: Path) -> None:
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise IngestError(
            path, "the file is empty", "Export it again, or remove it from the landing folder"
        )
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise IngestError(
            path,
            "this is an Excel workbook (or another archive), not a CSV",
            "In Excel choose Save As → CSV UTF-8 (逗号分隔), or export CSV from the CRM",
        )


def _delimiter_from_header(path: Path, options: ReadOptions) -> str | None:
    """The candidate that splits the header into most columns that the following records agree with.

    The header decides, not a statistical sniff over rows: a few broken rows, a cut final
    line or one multi-megabyte field must not turn a comma file into a one-column file.
    """
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        for _ in range(options.skip_rows):
            f.readline()
        sample = f.read(SAMPLE_BYTES)
    best, best_score = None, (0, 0)
    for candidate in DELIMITER_CANDIDATES:
        kwargs = {"quotechar": options.quote} if options.quote else {"quoting": csv.QUOTE_NONE}
        records: list[list[str]] = []
        try:
            for record in csv.reader(
                io.StringIO(sample, newline=""), delimiter=candidate, **kwargs
            ):
                if record:
                    records.append(record)
                if len(records) > 50:
                    break
        except csv.Error:
            pass
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        score = (sum(len(r) == width for r in records[1:]), width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def sniff_delimiter(con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions) -> str:
    if options.delimiter != "auto":
        return options.delimiter
    from_header = _delimiter_from_header(path, options)
    if from_header:
        return from_header
    try:
        (delimiter,) = con.execute(
            f"select Delimiter from sniff_csv({_lit(str(path))}, sample_size = 20480, strict_mode = false, "
            f"skip = {options.skip_rows}, max_line_size = {MAX_LINE_BYTES})"
        ).fetchone()
    except duckdb.Error as exc:
        raise IngestError(
            path,
            f"the CSV dialect cannot be detected ({str(exc).splitlines()[0]})",
            "Set `delimiter` (and `encoding`) in a mapping profile",
        ) from None
    return delimiter


def read_header(path: Path, delimiter: str, quote: str, skip_rows: int) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        for _ in range(skip_rows):
            f.readline()
        reader = csv.reader(f, delimiter=delimiter, quotechar=quote)
        try:
            header = next(reader)
        except (StopIteration, csv.Error):
            header = []
    header = [h.replace("\x00", "").replace(BOM, "").strip() for h in header]
    if not any(header):
        raise IngestError(path, "the file has no header row", "Add a header row naming the columns")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise IngestError(
            path,
            f"the header names column(s) {', '.join(duplicates)} more than once",
            "Rename the duplicates in the export, or map one of them under `columns` in a profile",
        )
    return [h or f"_blank_{i}" for i, h in enumerate(header, start=1)]


def open_source(
    con: duckdb.DuckDBPyConnection, path: Path, options: ReadOptions, work_dir: Path
) -> TextSource:
    if not path.exists() or not path.is_file():
        raise IngestError(path, "the file cannot be opened", "Check the path and permissions")
    _check_not_empty(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            header = [
                d[0]
                for d in con.execute(
                    f"select * from read_parquet({_lit(str(path))}) limit 0"
                ).description
            ]
        except duckdb.Error as exc:
            raise IngestError(
                path,
                f"the Parquet file cannot be read ({str(exc).splitlines()[0]})",
                "Export it again",
            ) from None
        return TextSource(path, path, "parquet", None, header)
    encoding = detect_encoding(path, options)
    utf8, bom_lines = utf8_copy(path, encoding, work_dir)
    notes = _bom_note(bom_lines)
    if suffix == ".jsonl":
        return TextSource(path, utf8, encoding, None, [], notes)
    delimiter = sniff_delimiter(con, utf8, options)
    return TextSource(
        path,
        utf8,
        encoding,
        delimiter,
        read_header(utf8, delimiter, options.quote, options.skip_rows),
        notes,
    )


def _record_lines(
    path: Path, delimiter: str, quote: str, skip_rows: int, count: int
) -> list[int] | None:
    """Physical start line of each data record, or None when every record is one line."""
    with open(path, "rb") as f:
        data = f.read()
    newlines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    blank = len(re.findall(rb"\n[ \t]*\r?\n", data))
    if blank == 0 and newlines == skip_rows + 1 + count:
        return None
    starts: list[int] = []
    text = io.StringIO(data.decode("utf-8-sig", errors="replace"), newline="")
    for _ in range(skip_rows):
        text.readline()
    reader = csv.reader(text, delimiter=delimiter, quotechar=quote, strict=False)
    previous = skip_rows
    try:
        for record in reader:
            if record:
                starts.append(previous + 1)
            previous = skip_rows + reader.line_num
    except csv.Error:
        return None
    return starts[1:]  # drop the header


def read_csv_rows(
    con: duckdb.DuckDBPyConnection, source: TextSource, options: ReadOptions, name: str
) -> RawRows:
    columns = "{" + ", ".join(f"{_lit(h)}: 'VARCHAR'" for h in source.header) + "}"
    quote = options.quote or ""
    rejects_table, rejects_scan = f"{name}_rejects", f"{name}_scan"
    relation = (
        f"read_csv({_lit(str(source.utf8_path))}, header = true, auto_detect = false, columns = {columns}, "
        f"delim = {_lit(source.delimiter)}, quote = {_lit(quote)}, escape = {_lit(quote)}, skip = {options.skip_rows}, "
        f"max_line_size = {MAX_LINE_BYTES}, store_rejects = true, rejects_table = {_lit(rejects_table)}, "
        f"rejects_scan = {_lit(rejects_scan)}, rejects_limit = 0, strict_mode = true)"
    )
    try:
        con.execute(
            f"create or replace temp table {name} as select row_number() over () as _record, * from {relation}"
        )
    except duckdb.Error as exc:
        raise IngestError(
            source.path,
            f"the file cannot be parsed as CSV ({str(exc).splitlines()[0]})",
            "Check the delimiter, quoting and encoding, or set them in a mapping profile",
        ) from None
    # DuckDB reports one reject per error (a row 8 fields short is 8 rejects): keep one per line,
    # the first error type, with the message that gives the row's real field count.
    # DuckDB's `line` counts records (a quoted multi-line value is one), so the physical line
    # is counted from the byte offset where the rejected row starts.
    found = con.execute(
        f"select line, line_byte_position, csv_line, error_type, error_message from {rejects_table} "
        "order by line, column_idx"
    ).fetchall()
    data = source.utf8_path.read_bytes() if found else b""
    by_line: dict[int, tuple[str, str, str]] = {}
    for line, position, raw, error_type, message in found:
        line = int(line) if position is None else data.count(b"\n", 0, int(position)) + 1
        first = by_line.get(line)
        if first is None or (first[0] == error_type == "TOO MANY COLUMNS"):
            by_line[line] = (error_type, message, (raw or "").rstrip("\r\n"))
    rejects = [
        (line, text, f"malformed CSV row ({error_type.lower()}: {message})")
        for line, (error_type, message, text) in by_line.items()
    ]
    count = con.execute(f"select count(*) from {name}").fetchone()[0]
    lines = _record_lines(
        source.utf8_path, source.delimiter, quote or '"', options.skip_rows, count + len(rejects)
    )
    if lines is None:
        # Every record is one line: fill the line numbers the rejected rows leave free.
        rejected = sorted(line for line, _, _ in rejects)
        con.execute(f"create or replace temp table {name}_rejected (line bigint)")
        if rejected:
            con.executemany(f"insert into {name}_rejected values (?)", [(x,) for x in rejected])
        con.execute(
            f"create or replace temp table {name}_lines as "
            f"with recursive_free as (select range as line from range({options.skip_rows + 2}, {options.skip_rows + 2 + count + len(rejected) + 1})) "
            f"select row_number() over (order by line) as _record, line as _line from recursive_free "
            f"where line not in (select line from {name}_rejected)"
        )
    else:
        rejected_lines = {line for line, _, _ in rejects}
        kept = [line for line in lines if line not in rejected_lines][:count]
        con.execute(f"create or replace temp table {name}_lines (_record bigint, _line bigint)")
        if kept:
            con.executemany(
                f"insert into {name}_lines values (?, ?)", list(enumerate(kept, start=1))
            )
    con.execute(
        f"create or replace temp table {name} as select r._record, coalesce(l._line, r._record + {options.skip_rows + 1}) as _line, "
        f"r.* exclude (_record) from {name} r left join {name}_lines l using (_record)"
    )
    rows = RawRows(name, rejects, source.header)
    if options.skip_rows or _header_line_repeats(source.utf8_path):
        _set_aside_repeated_headers(con, rows)
    return rows


def _header_line_repeats(path: Path) -> bool:
    """Whether the file's first line appears again at the start of a line (a cheap byte search
    that spares most files the row-by-row comparison)."""
    with open(path, "rb") as f:
        first = f.readline().rstrip(b"\r\n").removeprefix(BOM_BYTES)
        if not first.strip():
            return True  # an unusual layout: let the row comparison decide
        return any((b"\n" + first) in chunk for chunk in _overlapping_chunks(f, len(first) + 1))


def _overlapping_chunks(f, overlap: int, size: int = 2**24):
    """The rest of a file in chunks that overlap by ``overlap`` bytes (a match is never cut)."""
    previous = b"\n"
    for chunk in iter(lambda: f.read(size), b""):
        yield previous + chunk
        previous = chunk[-overlap:]


def _set_aside_repeated_headers(con: duckdb.DuckDBPyConnection, rows: RawRows) -> None:
    """A row that repeats the header (every value its column's name or empty, at least two
    names) is the header of a second export joined below the first: set aside, not a record."""
    named = [h for h in rows.header if not h.startswith("_blank_")]
    if not named:
        return
    same = [f"(coalesce(trim({_q(h)}), '') = {_lit(h)})::int" for h in named]
    empty = [f"(coalesce(trim({_q(h)}), '') = '')::int" for h in rows.header]
    at_least = min(2, len(named))
    where = f"{' + '.join(same)} >= {at_least} and {' + '.join(same)} + {' + '.join(empty)} >= {len(rows.header)}"
    lines = [
        line
        for (line,) in con.execute(
            f"select _line from {rows.table} where {where} order by _line"
        ).fetchall()
    ]
    if not lines:
        return
    con.execute(f"delete from {rows.table} where {where}")
    rows.set_aside += [(line, REPEATED_HEADER_KIND) for line in lines]
    shown = ", ".join(map(str, lines[:MAX_NOTE_LINES])) + (
        " …" if len(lines) > MAX_NOTE_LINES else ""
    )
    rows.notes.append(REPEATED_HEADER_NOTE.format(lines=shown))


def strip_value_boms(con: duckdb.DuckDBPyConnection, rows: RawRows) -> None:
    """Byte-order marks inside the values of a workbook sheet or a Parquet file (a text file's
    are removed when it is read): removed, and a note names their lines."""
    columns = [_q(h) for h in rows.header]
    if not columns:
        return
    holds = " or ".join(f"coalesce(contains({c}, {_lit(BOM)}), false)" for c in columns)
    lines = [
        line
        for (line,) in con.execute(
            f"select _line from {rows.table} where {holds} order by _line"
        ).fetchall()
    ]
    if not lines:
        return
    sets = ", ".join(f"{c} = replace({c}, {_lit(BOM)}, '')" for c in columns)
    con.execute(f"update {rows.table} set {sets} where {holds}")
    rows.notes += _bom_note(lines)


def read_jsonl_rows(con: duckdb.DuckDBPyConnection, source: TextSource, name: str) -> RawRows:
    path = _lit(str(source.utf8_path))
    # One parse per line: a line that is not a JSON object is kept (and quarantined) with its number.
    con.execute(
        f"create or replace temp table {name}_lines as select _line, line, "
        "case when json_type(j) = 'OBJECT' then j end as j from ("
        f"select row_number() over () as _line, line, try_cast(line as json) as j from "
        f"read_csv({path}, header = false, auto_detect = false, columns = {{'line': 'VARCHAR'}}, delim = '\x1e', "
        f"quote = '', escape = '', max_line_size = {MAX_LINE_BYTES}, strict_mode = false))"
    )
    rejects = [
        (int(line), text, "malformed JSON line (not a JSON object)")
        for line, text in con.execute(
            f"select _line, line from {name}_lines where trim(coalesce(line, '')) <> '' and j is null order by _line"
        ).fetchall()
    ]
    key_lists = con.execute(
        f"select distinct json_keys(j) from {name}_lines where j is not null"
    ).fetchall()
    keys = sorted({k for (ks,) in key_lists for k in ks})
    paths = "[" + ", ".join(_lit("$." + _json_path_key(k)) for k in keys) + "]"
    extracts = ", ".join(f'v[{i}] as "{k}"' for i, k in enumerate(keys, start=1))
    con.execute(
        f"create or replace temp table {name} as select row_number() over (order by _line) as _record, _line"
        f"{', ' + extracts if extracts else ''} from (select _line, json_extract_string(j, {paths}) as v "
        f"from {name}_lines where j is not null)"
    )
    return RawRows(name, rejects, keys)


def _json_path_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def read_parquet_rows(con: duckdb.DuckDBPyConnection, source: TextSource, name: str) -> RawRows:
    cols = ", ".join(f'cast("{h}" as varchar) as "{h}"' for h in source.header)
    con.execute(
        f"create or replace temp table {name} as select row_number() over () as _record, row_number() over () as _line, {cols} "
        f"from read_parquet({_lit(str(source.path))})"
    )
    return RawRows(name, [], source.header)


def read_rows(
    con: duckdb.DuckDBPyConnection, source: TextSource, options: ReadOptions, name: str
) -> RawRows:
    suffix = source.path.suffix.lower()
    if suffix == ".parquet":
        rows = read_parquet_rows(con, source, name)
        strip_value_boms(con, rows)
    elif suffix == ".jsonl":
        rows = read_jsonl_rows(con, source, name)
    else:
        rows = read_csv_rows(con, source, options, name)
    rows.notes = [*source.notes, *rows.notes]
    return rows
