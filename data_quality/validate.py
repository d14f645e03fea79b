"""Run a Great Expectations suite on a frame with an ephemeral context.

A suite never reports success it did not check: a suite without expectations raises, and an
expectation that could not run (a missing column, a type the metric cannot compare, …) is
recorded as a failure carrying GX's error message, so the check fails and the report says why.

The outcome is plain JSON-safe data (:meth:`ValidationOutcome.to_dict`), so each check can
write it next to the others of its run and :mod:`data_quality.report` can render them.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
import pyarrow as pa
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine

from salesops import duck

OBSERVED_KEYS: tuple[str, ...] = (
    "observed_value",
    "element_count",
    "missing_count",
    "unexpected_count",
    "unexpected_percent",
    "partial_unexpected_list",
)
"""What of a GX result is kept: enough to say what was seen, without row-index lists."""

PARTITION_ROWS = 250_000
"""A bronze table larger than this is validated in parts of about this many rows, so the
check's memory stays flat whatever the table's size: a pandas frame of every row of the
largest table took about 2 GiB at scale 1, and parts of a million rows still lifted the run's
process to 5.4 GiB at scale 10 (GX computes each expectation on copies of the columns)."""
EXAMPLES_KEPT = 20
"""Unexpected values listed per expectation (GX's own ``partial_unexpected_list`` length)."""
_UNIQUENESS = {
    "expect_column_values_to_be_unique": "column",
    "expect_compound_columns_to_be_unique": "column_list",
}

# GX fingerprints every pandas batch under 1 GB (pandas' hash_pandas_object over all columns,
# then md5) into a batch marker this project never reads; on bronze chat at scale 1 that was
# 2.8 s of a 3.7 s validation. A threshold of 0 skips it; the expectations are computed the
# same. tests/data_quality/test_validate_parquet.py fails if GX renames the setting.
pandas_execution_engine.HASH_THRESHOLD = 0


@dataclass
class ValidationOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[dict] = field(default_factory=list)
    """The expectations that failed or could not run: ``expectation``, ``kwargs``,
    ``observed``, ``description``, ``error`` (None unless it could not run)."""
    results: list[dict] = field(default_factory=list)
    """Every expectation, passed or not, in suite order, with the same keys plus ``success``."""
    table: str | None = None
    rows: int | None = None
    warnings: list[dict] = field(default_factory=list)
    """Findings that do not fail the suite: rows kept but flagged as contradicting another
    table (``file``, ``line``, ``column``, ``value``, ``other_table``, ``other_file``,
    ``other_line``, ``key``, ``reason``)."""
    ingest: dict = field(default_factory=dict)
    """What the ingest did to the table's rows (:func:`data_quality.runs.ingest_account`):
    row counts, the columns of each file nothing reads, the rows superseded by the same key."""

    @property
    def errors(self) -> list[dict]:
        """The expectations that could not run."""
        return [f for f in self.failures if f.get("error")]

    def summary(self) -> str:
        if self.success:
            return f"{self.suite}: {self.evaluated} expectations passed"
        lines = [f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed"]
        for f in self.failures:
            seen = f"could not run: {f['error']}" if f.get("error") else f["observed"]
            lines.append(f"  - {f['expectation']} {f['kwargs']} → {seen}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationOutcome:
        return cls(
            suite=data["suite"],
            success=bool(data["success"]),
            evaluated=int(data["evaluated"]),
            failures=list(data.get("failures") or []),
            results=list(data.get("results") or []),
            table=data.get("table"),
            rows=data.get("rows"),
            warnings=list(data.get("warnings") or []),
            ingest=dict(data.get("ingest") or {}),
        )


def _error_message(exception_info: dict | None) -> str | None:
    """GX's error for an expectation that could not run, in either shape it reports it.

    Top level: ``{"raised_exception": True, "exception_message": …}``. A metric that failed
    (e.g. a missing column): ``{"MetricConfigurationID(…)": {"raised_exception": True, …}}``.
    """
    if not exception_info:
        return None
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message") or "unknown error")
    for value in exception_info.values():
        if (
            isinstance(value, dict)
            and value.get("raised_exception", True)
            and (value.get("exception_message") or value.get("exception_traceback"))
        ):
            return str(value.get("exception_message") or "unknown error")
    return None


def validate_frame(
    frame: pd.DataFrame, suite: gx.ExpectationSuite, table: str | None = None
) -> ValidationOutcome:
    if not suite.expectations:
        raise ValueError(f"suite {suite.name} has no expectations: refusing to report a pass")
    context = gx.get_context(mode="ephemeral")
    # no tqdm bar per suite ("Calculating Metrics") on the run's console or in its log
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name="frames")
    asset = source.add_dataframe_asset(name=suite.name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
        batch_parameters={"dataframe": frame}
    )
    result = batch.validate(suite)
    if len(result.results) != len(suite.expectations):
        raise RuntimeError(
            f"{suite.name}: GX returned {len(result.results)} results for {len(suite.expectations)} expectations"
        )
    ordered = list(result.results)
    ids = [e.id for e in suite.expectations]
    by_id = {r.expectation_config.id: r for r in result.results}
    if all(ids) and len(set(ids)) == len(ids) and set(by_id) == set(ids):
        ordered = [by_id[i] for i in ids]  # suite order, not GX's
    results = []
    for r in ordered:
        as_json = r.to_json_dict()  # JSON-safe kwargs and values (timestamps, decimals, tuples)
        config = as_json["expectation_config"]
        error = _error_message(r.exception_info)
        results.append(
            {
                "expectation": config["type"],
                "kwargs": {k: v for k, v in config["kwargs"].items() if k != "batch_id"},
                "description": config.get("description"),
                "success": bool(r.success) and error is None,
                "observed": {
                    k: v for k, v in (as_json.get("result") or {}).items() if k in OBSERVED_KEYS
                },
                "error": error,
            }
        )
    failures = [{k: v for k, v in r.items() if k != "success"} for r in results if not r["success"]]
    success = bool(result.success) and not failures
    return ValidationOutcome(
        suite.name, success, len(results), failures, results, table=table, rows=len(frame)
    )


_MASKED_WHEN_NULL = {
    pa.bool_(): pd.BooleanDtype(),
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.uint8(): pd.UInt8Dtype(),
    pa.uint16(): pd.UInt16Dtype(),
    pa.uint32(): pd.UInt32Dtype(),
    pa.uint64(): pd.UInt64Dtype(),
}


def _frame(relation) -> pd.DataFrame:
    """A DuckDB result as the pandas frame DuckDB's own ``.df()`` gives (decimals as floats,
    dates as datetime64[us], an integer or boolean column with nulls as pandas' masked type),
    through Arrow: ``.df()`` builds a Python object per text value (7.3 s for bronze chat at
    scale 1, against 0.24 s through Arrow)."""
    table = relation.to_arrow_table()
    fields = []
    for column in table.schema:
        if pa.types.is_decimal(column.type):
            column = column.with_type(pa.float64())
        elif pa.types.is_date(column.type):
            column = column.with_type(pa.timestamp("us"))
        fields.append(column)
    table = table.cast(pa.schema(fields))
    frame = table.to_pandas()
    for name, values in zip(table.column_names, table.columns, strict=True):
        if values.type in _MASKED_WHEN_NULL and values.null_count:
            frame[name] = values.to_pandas(types_mapper=_MASKED_WHEN_NULL.get)
    return frame


def _partition_columns(suite: gx.ExpectationSuite) -> list[str] | None:
    """Columns whose hash splits the table so that every uniqueness expectation of the suite
    sees all rows of a key in one part: the columns common to every key it checks. ``None``
    when two keys share no column (the table is then checked whole)."""
    keys = []
    for expectation in suite.expectations:
        config = expectation.configuration
        argument = _UNIQUENESS.get(config.type)
        if argument:
            value = config.kwargs[argument]
            keys.append({value} if isinstance(value, str) else set(value))
    if not keys:
        return []
    common = set.intersection(*keys)
    return sorted(common) if common else None


def _merge_observed(parts: list[dict]) -> dict:
    """One expectation's observed values over the parts of a table, as GX reports them for
    the whole: counts summed, the percentage recomputed over the same base (non-missing
    values when GX reports a missing count, every value otherwise), examples concatenated."""
    merged: dict[str, Any] = {}
    for key in ("element_count", "missing_count", "unexpected_count"):
        if any(key in p for p in parts):
            merged[key] = sum(int(p.get(key) or 0) for p in parts)
    if any("unexpected_percent" in p for p in parts):
        base = merged.get("element_count", 0) - merged.get("missing_count", 0)
        merged["unexpected_percent"] = (
            100 * merged.get("unexpected_count", 0) / base if base else None
        )
    if any("partial_unexpected_list" in p for p in parts):
        examples = [v for p in parts for v in p.get("partial_unexpected_list") or []]
        merged["partial_unexpected_list"] = examples[:EXAMPLES_KEPT]
    observed = [p["observed_value"] for p in parts if p.get("observed_value") is not None]
    if observed:
        merged["observed_value"] = observed[0]
    return {k: merged[k] for k in OBSERVED_KEYS if k in merged}


def validate_parquet(
    path: Path | str,
    suite: gx.ExpectationSuite,
    table: str | None = None,
    partition_rows: int = PARTITION_ROWS,
) -> ValidationOutcome:
    """Run ``suite`` on a Parquet table, in parts when it has more than ``partition_rows`` rows.

    The parts split the rows by a hash of the key columns (:func:`_partition_columns`), so a
    duplicated key is always within one part and each part is an ordinary GX validation; the
    outcome is the parts' results merged expectation by expectation (it passes only when every
    part passes, with counts over the whole table). A table that fits in one part is validated
    exactly as :func:`validate_frame` validates it."""
    con = duck.own_database()
    try:
        source = f"read_parquet({_sql_literal(str(path))})"
        rows = con.execute(f"select count(*) from {source}").fetchall()[0][0]
        columns = _partition_columns(suite)
        parts = max(1, math.ceil(rows / partition_rows)) if columns is not None else 1
        if parts == 1:
            return validate_frame(_frame(con.sql(f"select * from {source}")), suite, table=table)
        if columns:
            part_of = f"hash({', '.join(_identifier(c) for c in columns)}) % {parts}"
            select = f"select * from {source}"
        else:  # no key to keep together: parts by row position
            part_of = f"file_row_number % {parts}"
            select = f"select * exclude (file_row_number) from read_parquet({_sql_literal(str(path))}, file_row_number = true)"
        outcomes = []
        for part in range(parts):
            frame = _frame(con.sql(f"{select} where {part_of} = {part}"))
            outcomes.append(validate_frame(frame, suite, table=table))
            del frame  # one part in memory at a time, not two while the next one is read
    finally:
        con.close()
    return _merge_outcomes(outcomes, suite, table, rows)


def _merge_outcomes(
    outcomes: list[ValidationOutcome], suite: gx.ExpectationSuite, table: str | None, rows: int
) -> ValidationOutcome:
    results = []
    for per_part in zip(*(o.results for o in outcomes), strict=True):
        first = per_part[0]
        error = next((r["error"] for r in per_part if r["error"]), None)
        results.append(
            {
                **first,
                "success": all(r["success"] for r in per_part) and error is None,
                "observed": _merge_observed([r["observed"] for r in per_part]),
                "error": error,
            }
        )
    failures = [{k: v for k, v in r.items() if k != "success"} for r in results if not r["success"]]
    return ValidationOutcome(
        suite.name, not failures, len(results), failures, results, table=table, rows=rows
    )


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _outcome_key(path: Path, suite: gx.ExpectationSuite, partition_rows: int) -> str:
    """What a stored outcome depends on: the table file as written (size, change time, inode:
    the ingest writes a new file whenever the table changes), the suite's expectations, the
    part size and the GX version."""
    stat = path.stat()
    payload = {
        "file": [stat.st_size, stat.st_mtime_ns, stat.st_ino],
        "suite": [e.configuration.to_json_dict() for e in suite.expectations],
        "partition_rows": partition_rows,
        "gx": gx.__version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def validate_parquet_once(
    path: Path | str,
    suite: gx.ExpectationSuite,
    reuse_dir: Path | str,
    table: str | None = None,
    partition_rows: int = PARTITION_ROWS,
) -> tuple[ValidationOutcome, bool]:
    """:func:`validate_parquet`, or the stored outcome of the same suite on the same file
    (``reuse_dir/<suite>.json``): a table the day's run did not change is not checked again.
    Returns the outcome and whether it was reused."""
    path, store = Path(path), Path(reuse_dir) / f"{suite.name}.json"
    key = _outcome_key(path, suite, partition_rows)
    try:
        stored = json.loads(store.read_text(encoding="utf-8"))
        if stored.get("key") == key:
            return ValidationOutcome.from_dict(stored["outcome"]), True
    except (OSError, ValueError, KeyError, TypeError):
        pass  # nothing stored, or unreadable: check again
    outcome = validate_parquet(path, suite, table=table, partition_rows=partition_rows)
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(".tmp")
    tmp.write_text(
        json.dumps({"key": key, "outcome": outcome.to_dict()}, ensure_ascii=False, default=str),
        encoding="utf-8",
    )
    tmp.replace(store)
    return outcome, False
