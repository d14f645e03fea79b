"""Per-run data-quality results on disk: one JSON per validated table, one index.html per run.

Layout (``reports`` is :attr:`salesops.config.Paths.reports`)::

    reports/data_quality/<run_id>/<table>.json   one ValidationOutcome per check
    reports/data_quality/<run_id>/index.html     rendered from every JSON present

Checks of one run execute in parallel processes and share nothing but this folder. Each
check writes its own JSON, then regenerates the index from all JSONs present; a writer that
finds the set of JSONs changed while it rendered renders again, so the last index written
always includes every result written before it (no lock, no shared state).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from data_quality.report import atomic_write_text, write_run_report
from data_quality.validate import ValidationOutcome
from salesops import duck

SUBFOLDER = "data_quality"
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MAX_RENDERS = 20


def _safe_name(value: str, what: str) -> str:
    if not _SAFE.match(value) or ".." in value:
        raise ValueError(f"{what} {value!r} cannot name a report file: use letters, digits, . _ -")
    return value


def run_folder(reports: Path, run_id: str) -> Path:
    return Path(reports) / SUBFOLDER / _safe_name(run_id, "run id")


def report_title(run_id: str) -> str:
    return f"数据质量报告 Data quality report · {run_id}"


def _listing(folder: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(
        sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.json") if p.is_file())
    )


def load_outcomes(folder: Path) -> list[ValidationOutcome]:
    """Every outcome stored in a run folder; an unreadable file shows as a failed suite."""
    outcomes = []
    for path in sorted(folder.glob("*.json")):
        try:
            outcomes.append(ValidationOutcome.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            error = f"unreadable result file {path.name}: {exc}"
            failure = {"expectation": "read_result_file", "kwargs": {}, "observed": {}, "description": None, "error": error}
            outcomes.append(ValidationOutcome(path.stem, False, 0, [failure], table=path.stem))
    return outcomes


def refresh_index(folder: Path, run_id: str) -> Path:
    """Render ``index.html`` from the JSONs in ``folder`` until they stop changing underneath."""
    for _ in range(_MAX_RENDERS):
        before = _listing(folder)
        index = write_run_report(load_outcomes(folder), folder, run_id, report_title(run_id))
        if _listing(folder) == before:
            return index
    return index


def conflict_warnings(path: Path) -> list[dict]:
    """The flagged pairs of ``bronze/_conflicts/<table>.parquet`` as report warnings."""
    if not Path(path).exists():
        return []
    with duck.connect() as con:
        rows = con.execute(
            "select file, line, column_name, raw_value, other_table, other_file, other_line, key, reason "
            "from read_parquet(?) order by file, line, other_line",
            [str(path)],
        ).fetchall()
    keys = ("file", "line", "column", "value", "other_table", "other_file", "other_line", "key", "reason")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def ingest_account(bronze: Path, table: str) -> dict:
    """What the ingest did to ``table``'s rows, from ``bronze/_accounts/<table>.json``: rows
    read, kept, quarantined, superseded, set aside; per file, the columns nothing reads and
    the rows superseded (by which file, with example keys). Empty when there is no account."""
    path = Path(bronze) / "_accounts" / f"{table}.json"
    if not path.exists():
        return {}
    account = json.loads(path.read_text(encoding="utf-8"))
    files = account.get("files") or []
    return {
        **{k: int(account.get(k, 0)) for k in ("rows_read", "rows_accepted", "rows_quarantined", "rows_superseded", "rows_set_aside")},
        "ignored_columns": dict(account.get("ignored_columns") or {}),
        "superseded": [
            {
                "file": f["file"],
                "rows": int(f["rows_superseded"]),
                "by": dict(f.get("superseded_by") or {}),
                "examples": list(f.get("superseded_examples") or []),
            }
            for f in files
            if f.get("rows_superseded")
        ],
    }


def record_outcome(outcome: ValidationOutcome, reports: Path, run_id: str, name: str | None = None) -> Path:
    """Store ``outcome`` as ``<name>.json`` in the run's folder and return the refreshed index.

    ``name`` defaults to the outcome's table (else its suite name).
    """
    folder = run_folder(reports, run_id)
    stem = _safe_name(name or outcome.table or outcome.suite, "result name")
    text = json.dumps(outcome.to_dict(), ensure_ascii=False, indent=1, default=str)
    atomic_write_text(folder / f"{stem}.json", text)
    return refresh_index(folder, run_id)
