"""The bad-input corpus: every case under ``cases/`` is a tiny landing folder and its expected outcome.

A case folder holds ``crm/``, ``chat/``, ``finance/`` (landing files), optionally a
``profile.yaml`` and an ``expected.yaml``::

    about: what a user would expect, in one line
    error: {contains: [text, ...]}          # ingest stops: the message names file, problem, fix
    tables:                                 # or: per table, the outcome
      opportunities:
        accepted: 2                         # rows in bronze
        superseded: 1                       # optional, default 0
        quarantine: [{line: 3, column: amount, reason_contains: "not a valid decimal"}]
                                            #   (optional raw_value: the quarantined text, exactly)
        conflicts: [{line: 2, column: closed_at, other_table: leads, other_line: 2, reason_contains: …}]
        values: [{opportunity_id: O1, amount: 125000}]   # typed bronze values, by primary key
        read: {crm/x.csv: 4}                # optional: rows read when no independent count is feasible
        set_aside: {totals row 合计行: 1}    # optional: rows set aside by kind, all files (default none)
        notes_contain: [text, ...]          # optional: each text is in some note of the table's files
        last_header_row: {crm/x.xlsx#Sheet1: 3}   # workbooks: Excel row of the header's last row
                                            #   (title and two-row headers; default 1)
    sheets_not_read: [crm/x.xlsx#说明]       # workbook sheets the run lists as not read (default none)
    rerun:                                  # optional second ingest_all on the same home
      replace: {crm/x_2026-03-31.csv: rerun/x_2026-03-31.csv}
      events: [{table: t, file: crm/x.csv, action: unchanged, reason_contains: ...}]
      bronze_identical: true
      tables: {...}

Binary files (GBK, UTF-16, NUL bytes, garbage, a multi-megabyte field, Excel workbooks) are
written into the copy by :mod:`make_cases` at test time. Every landing file of every case is
accounted for: rows read = accepted + quarantined + superseded + set aside, and rows read
matches an independent count (records parsed by Python's ``csv`` module, non-blank lines of a
JSONL file; for a workbook sheet, labelled ``crm/x.xlsx#Sheet1``, the rows below
``last_header_row`` holding a non-blank cell, as python-calamine reads them). Every sheet of a
workbook is either read or listed in ``sheets_not_read``.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import python_calamine
import yaml

from salesops import contract
from salesops.config import Paths
from salesops.ingest import CANONICAL, IngestError, ingest_all, load_profile, plan_landing
from salesops.ingest.excel import EXCEL_SUFFIXES

HERE = Path(__file__).parent
CASES = HERE / "cases"
NOW = dt.datetime(2026, 4, 15, 12, 0, 0)
"""Fixed clock: undated files carry this modification time, and 'future' means after it."""
LANDING_FOLDERS = ("crm", "chat", "finance")
csv.field_size_limit(2**30)

_spec = importlib.util.spec_from_file_location("ingest_corpus_make_cases", HERE / "make_cases.py")
make_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_cases)

CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.yaml").exists())


def test_corpus_is_large_enough_and_small_on_disk():
    assert len(CASE_NAMES) >= 30
    size = sum(p.stat().st_size for p in CASES.rglob("*") if p.is_file())
    assert size < 5 * 2**20
    assert set(make_cases.GENERATORS) <= set(CASE_NAMES)


def _copy_landing(case: Path, landing: Path, mapping: dict[str, str] | None = None) -> None:
    for folder in LANDING_FOLDERS:
        if (case / folder).is_dir():
            shutil.copytree(case / folder, landing / folder, dirs_exist_ok=True)
    for target, source in (mapping or {}).items():
        (landing / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(case / source, landing / target)


def _stamp(landing: Path) -> None:
    """Every file gets the fixed clock as its modification time (extract order of undated files)."""
    ts = NOW.timestamp()
    for p in landing.rglob("*"):
        if p.is_file():
            os.utime(p, (ts, ts))


def _landing_files(landing: Path) -> list[str]:
    return sorted(p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file())


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def split_label(label: str) -> tuple[str, str | None]:
    """``crm/x.xlsx#Sheet1`` → (``crm/x.xlsx``, ``Sheet1``); a file that is not a workbook → (label, None)."""
    for i, char in enumerate(label):
        if char == "#" and label[:i].lower().endswith(EXCEL_SUFFIXES):
            return label[:i], label[i + 1 :]
    return label, None


def _sheet_rows(path: Path, sheet: str) -> list[list]:
    """The sheet's cells from A1 (row i = Excel row i + 1), as python-calamine reads them."""
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    finally:
        workbook.close()


def sheet_names(path: Path) -> list[str]:
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    try:
        return list(workbook.sheet_names)
    finally:
        workbook.close()


def independent_count(path: Path, sheet: str | None = None, last_header_row: int = 1) -> int:
    """Data rows of a landing file (or of one sheet of a workbook), counted without the engine."""
    if sheet is not None:
        # python-calamine reads a formula-error cell as empty: a row holding nothing else needs `read:`.
        rows = _sheet_rows(path, sheet)[last_header_row:]
        return sum(1 for row in rows if any(str(v).strip() for v in row if v is not None))
    text = _decode(path.read_bytes())
    if path.suffix == ".jsonl":
        return sum(1 for line in text.splitlines() if line.strip())
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first.count)
    records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if r]
    return len(records) - 1


_DUCKDB = duckdb.connect()
"""One database for the checks' queries (creating one costs about 20 ms, and a case runs dozens)."""


def _rows(path: str, sql: str) -> list[tuple]:
    with _DUCKDB.cursor() as con:
        return con.sql(sql.replace("from t", f"from read_parquet('{path}')")).fetchall()


def _same(actual, wanted) -> bool:
    if wanted is None or actual is None:
        return actual is wanted
    if isinstance(actual, Decimal | float | int) and not isinstance(actual, bool):
        return Decimal(str(actual)) == Decimal(str(wanted))
    if isinstance(actual, dt.datetime | dt.date):
        return (
            actual.isoformat(sep=" ") == str(wanted)
            if isinstance(actual, dt.datetime)
            else actual.isoformat() == str(wanted)
        )
    return str(actual) == str(wanted)


def check_tables(
    results, expected: dict, landing: Path, case: str, not_read: list[str] | None = None
) -> None:
    accounted: list[str] = []
    for name, result in results.items():
        want = expected.get(name)
        table = contract.table(name)
        for acc in result.files:
            accounted.append(acc.file)
            assert acc.rows_set_aside == sum(acc.set_aside.values()), f"{case}: {acc}"
            assert acc.rows_read == (
                acc.rows_accepted + acc.rows_quarantined + acc.rows_superseded + acc.rows_set_aside
            ), f"{case}: {acc.file} does not add up: {acc}"
            overrides = (want or {}).get("read", {})
            count = overrides.get(acc.file)
            if count is None:
                file, sheet = split_label(acc.file)
                header = (want or {}).get("last_header_row", {}).get(acc.file, 1)
                count = independent_count(landing / file, sheet, header)
            assert acc.rows_read == count, (
                f"{case}: {acc.file} read {acc.rows_read} rows, the file has {count}"
            )
        quarantine = _rows(
            result.quarantine_path,
            "select file, line, column_name, reason, raw_value from t "
            "order by line, coalesce(column_name, ''), file",
        )
        distinct_rows = len({(f, line) for f, line, *_ in quarantine})
        assert result.rows_quarantined == distinct_rows, f"{case}: {name} quarantine count vs rows"
        accepted = _rows(result.bronze_path, "select count(*) from t")[0][0]
        # a table derived because no file has it (a stage history from opportunities) adds rows no file holds
        assert accepted == result.rows_accepted + result.derived_rows, f"{case}: {name} bronze rows vs accepted"
        if want is None:
            assert result.rows_read == 0, f"{case}: unexpected rows for {name}: {result.to_dict()}"
            continue
        assert result.rows_accepted == want["accepted"], (
            f"{case}: {name} accepted: {result.to_dict()}"
        )
        assert result.rows_superseded == want.get("superseded", 0), f"{case}: {name} superseded"
        set_aside: dict[str, int] = {}
        for acc in result.files:
            for kind, n in acc.set_aside.items():
                set_aside[kind] = set_aside.get(kind, 0) + n
        assert set_aside == want.get("set_aside", {}), f"{case}: {name} set aside {set_aside}"
        notes = [note for acc in result.files for note in acc.notes]
        for text in want.get("notes_contain", []):
            assert any(text in note for note in notes), f"{case}: {name} {text!r} not in {notes}"
        got = [(line, column, reason, raw) for _, line, column, reason, raw in quarantine]
        wanted = sorted(
            want.get("quarantine", []), key=lambda w: (w["line"], w.get("column") or "")
        )
        assert len(got) == len(wanted), f"{case}: {name} quarantine {got} != {wanted}"
        for (line, column, reason, raw), w in zip(got, wanted, strict=True):
            assert line == w["line"] and column == w.get("column"), (
                f"{case}: {name} {got} != {wanted}"
            )
            assert w["reason_contains"] in reason, f"{case}: {name} line {line}: {reason!r}"
            if "raw_value" in w:
                assert raw == w["raw_value"], f"{case}: {name} line {line}: raw value {raw!r}"
        conflicts = _rows(
            str(Path(result.bronze_path).parent / "_conflicts" / f"{name}.parquet"),
            "select line, column_name, other_table, other_line, reason from t order by line, other_line",
        )
        assert [c[:4] for c in conflicts] == [
            (w["line"], w["column"], w["other_table"], w["other_line"]) for w in want.get("conflicts", [])
        ], f"{case}: {name} conflicts {conflicts}"
        for c, w in zip(conflicts, want.get("conflicts", []), strict=True):
            assert w["reason_contains"] in c[4], f"{case}: {name} conflict {c}"
        for w in want.get("values", []):
            key = {k: w[k] for k in table.primary_key}
            where = " and ".join(f"cast({k} as varchar) = '{v}'" for k, v in key.items())
            cols = [c for c in w if c not in key]
            found = _rows(result.bronze_path, f"select {', '.join(cols)} from t where {where}")
            assert len(found) == 1, f"{case}: {name} {key}: {len(found)} bronze rows"
            for c, actual in zip(cols, found[0], strict=True):
                assert _same(actual, w[c]), (
                    f"{case}: {name} {key}.{c} = {actual!r}, expected {w[c]!r}"
                )
    not_read = not_read or []
    files = sorted({split_label(label)[0] for label in [*accounted, *not_read]})
    assert files == _landing_files(landing), f"{case}: not every file accounted for"
    # Every sheet of a workbook is read, or listed by the run as not read: none is skipped silently.
    sheets = {
        f"{file}#{sheet}"
        for file in files
        if file.lower().endswith(EXCEL_SUFFIXES)
        for sheet in sheet_names(landing / file)
    }
    read = {label for label in accounted if split_label(label)[1] is not None}
    assert read.isdisjoint(not_read) and read | set(not_read) == sheets, (
        f"{case}: sheets read {sorted(read)}, not read {not_read}, in the workbooks {sorted(sheets)}"
    )


def _bronze_snapshot(results) -> dict[str, list]:
    return {
        name: sorted(map(repr, _rows(r.bronze_path, "select * from t")))
        + sorted(map(repr, _rows(r.quarantine_path, "select * from t")))
        for name, r in results.items()
    }


@pytest.mark.parametrize("case_name", CASE_NAMES)
def test_case(case_name: str, tmp_path: Path) -> None:
    case = CASES / case_name
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    paths = Paths(tmp_path / "home").ensure()
    landing = paths.landing
    landing.mkdir(parents=True, exist_ok=True)
    _copy_landing(case, landing)
    if case_name in make_cases.GENERATORS:
        make_cases.GENERATORS[case_name](landing)
    _stamp(landing)
    profile = load_profile(case / "profile.yaml") if (case / "profile.yaml").exists() else CANONICAL

    if "error" in expected:
        with pytest.raises(IngestError) as err:
            ingest_all(paths, profile, now=NOW)
        message = str(err.value)
        for text in expected["error"]["contains"]:
            assert text in message, f"{case_name}: {text!r} not in {message!r}"
        assert err.value.file.startswith(str(landing)), "the error names the landing file"
        return

    not_read = sorted(
        ignored.file
        for ignored in plan_landing(landing, profile).ignored
        if split_label(ignored.file)[1] is not None
    )
    assert not_read == sorted(expected.get("sheets_not_read", [])), f"{case_name}: {not_read}"
    results = ingest_all(paths, profile, now=NOW)
    check_tables(results, expected.get("tables", {}), landing, case_name, not_read)
    rerun = expected.get("rerun")
    if rerun is None:
        return
    before = _bronze_snapshot(results)
    _copy_landing(case, landing, rerun.get("replace"))
    _stamp(landing)
    again = ingest_all(paths, profile, now=NOW)
    events = [e for r in again.values() for e in r.events]
    for w in rerun.get("events", []):
        match = [e for e in events if e["table"] == w["table"] and e["file"] == w["file"]]
        assert [e["action"] for e in match] == [w["action"]], f"{case_name}: events {events}"
        if "reason_contains" in w:
            assert w["reason_contains"] in match[0]["reason"], match[0]
    if rerun.get("bronze_identical"):
        assert _bronze_snapshot(again) == before
        assert {e["action"] for e in events} == {"unchanged"}, events
    check_tables(
        again, rerun.get("tables", expected.get("tables", {})), landing, case_name, not_read
    )
