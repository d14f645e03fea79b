"""A bronze table checked in parts gives the outcome of checking it whole, and a table the
run did not change is not checked again.

The parts split rows by a hash of the key, so a duplicated key must land in one part: the
fixture plants duplicates, nulls, values outside the set, out-of-range values and a broken
stage/status pair across 600 rows, and checks them whole and in 7 parts."""

from __future__ import annotations

import os

import great_expectations as gx
import pandas as pd
import pytest

from data_quality.suites.bronze import bronze_suite
from data_quality.validate import _frame, validate_frame, validate_parquet, validate_parquet_once
from salesops import contract

ROWS = 600
OPPORTUNITIES = contract.table("opportunities")


def planted_opportunities() -> pd.DataFrame:
    n = ROWS
    frame = pd.DataFrame(
        {
            "opportunity_id": [f"O{i}" for i in range(n)],
            "lead_id": [f"L{i}" for i in range(n)],
            "customer_id": [f"C{i % 50}" for i in range(n)],
            "owner_rep_id": [f"R{i % 7}" for i in range(n)],
            "product_line": ["P"] * n,
            "created_at": pd.to_datetime("2026-01-01") + pd.to_timedelta(range(n), unit="h"),
            "stage": ["quote"] * n,
            "status": ["open"] * n,
            "amount": [100.0 + i for i in range(n)],
            "forecast_amount": [None] * n,
            "expected_close_date": [None] * n,
            "probability": [0.4] * n,
            "requirement_doc_amount": [None] * n,
            "closed_at": pd.to_datetime([None] * n),
            "loss_reason_code": [None] * n,
            "loss_reason_text": [None] * n,
            "amount_original": [None] * n,
            "currency": [None] * n,
        }
    )
    for row in (5, 77, 301, 598):  # four keys used twice, far apart in the file
        frame.loc[row + 1 if row + 1 < n else row - 1, "opportunity_id"] = frame.loc[row, "opportunity_id"]
    frame.loc[[10, 200, 450], "owner_rep_id"] = None
    frame.loc[[12, 13, 590], "stage"] = "有意向"
    frame.loc[[40, 41], "probability"] = 50.0
    frame.loc[[60], "amount"] = -1.0
    frame.loc[[90, 91], "status"] = "won"  # stage quote, status won
    return frame


def by_expectation(outcome) -> dict:
    return {(r["expectation"], repr(sorted(r["kwargs"].items()))): r for r in outcome.results}


def test_checking_in_parts_gives_the_whole_tables_outcome(tmp_path):
    frame = planted_opportunities()
    path = tmp_path / "opportunities.parquet"
    frame.to_parquet(path, index=False)
    suite = bronze_suite(OPPORTUNITIES)

    whole = validate_frame(pd.read_parquet(path), suite, table="opportunities")
    parts = validate_parquet(path, suite, table="opportunities", partition_rows=ROWS // 7)

    assert not whole.success and not parts.success
    assert parts.rows == ROWS and parts.evaluated == whole.evaluated
    assert [r["expectation"] for r in parts.results] == [r["expectation"] for r in whole.results]
    failed = {f["expectation"] for f in parts.failures}
    assert {
        "expect_column_values_to_be_unique",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_to_be_in_set",
    } <= failed
    whole_results, part_results = by_expectation(whole), by_expectation(parts)
    assert whole_results.keys() == part_results.keys()
    for key, expected in whole_results.items():
        got = part_results[key]
        assert got["success"] == expected["success"], key
        for count in ("element_count", "missing_count", "unexpected_count"):
            assert got["observed"].get(count) == expected["observed"].get(count), (key, count)
        if expected["observed"].get("unexpected_percent") is None:
            assert got["observed"].get("unexpected_percent") is None, key
        else:
            assert got["observed"]["unexpected_percent"] == pytest.approx(expected["observed"]["unexpected_percent"])
        assert sorted(map(str, got["observed"].get("partial_unexpected_list", []))) == sorted(
            map(str, expected["observed"].get("partial_unexpected_list", []))
        ), key
    unique = next(r for r in parts.results if r["expectation"] == "expect_column_values_to_be_unique")
    assert unique["observed"]["unexpected_count"] == 8  # each of the 4 keys, both times


def test_a_table_that_fits_in_one_part_is_checked_as_a_frame(tmp_path):
    frame = planted_opportunities()
    path = tmp_path / "opportunities.parquet"
    frame.to_parquet(path, index=False)
    suite = bronze_suite(OPPORTUNITIES)
    assert validate_parquet(path, suite).results == validate_frame(pd.read_parquet(path), suite).results


def test_an_unchanged_table_reuses_its_outcome_and_a_changed_one_is_checked_again(tmp_path):
    path, store = tmp_path / "opportunities.parquet", tmp_path / "checked"
    clean = planted_opportunities().drop_duplicates("opportunity_id")
    clean["owner_rep_id"] = clean["owner_rep_id"].fillna("R0")
    clean["stage"], clean["status"], clean["probability"], clean["amount"] = "quote", "open", 0.4, 1.0
    clean.to_parquet(path, index=False)
    suite = bronze_suite(OPPORTUNITIES)

    first, reused = validate_parquet_once(path, suite, store, table="opportunities")
    assert first.success and not reused
    again, reused = validate_parquet_once(path, suite, store, table="opportunities")
    assert reused and again.to_dict() == first.to_dict()

    broken = clean.copy()
    broken.loc[broken.index[3], "amount"] = -5.0
    broken.to_parquet(path, index=False)  # the ingest writes a new file when the table changes
    changed, reused = validate_parquet_once(path, suite, store, table="opportunities")
    assert not reused and not changed.success
    assert {f["expectation"] for f in changed.failures} == {"expect_column_values_to_be_between"}

    stat = path.stat()
    fewer = gx.ExpectationSuite(
        name=suite.name,
        expectations=[
            e.copy() for e in bronze_suite(OPPORTUNITIES).expectations
            if e.configuration.type != "expect_column_values_to_be_between"
        ],
    )
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    other_suite, reused = validate_parquet_once(path, fewer, store, table="opportunities")
    assert not reused and other_suite.success


def test_a_table_is_read_as_duckdbs_own_frame(tmp_path):
    """The Arrow read gives the frame DuckDB's ``.df()`` gives (decimals as floats, dates as
    datetime64, nulls in every type), so the expectations see the same values."""
    import duckdb

    con = duckdb.connect()
    relation = con.sql(
        "select * from (values "
        "(1, 'a', cast(12.50 as decimal(18, 2)), date '2026-10-31', timestamp '2026-10-31 08:00:00', true), "
        "(null, null, null, null, null, null), "
        "(3, '预算', cast(0 as decimal(18, 2)), date '2024-02-29', timestamp '2024-02-29 23:59:59', false)"
        ") as t(n, text, amount, day, sent_at, flag)"
    )
    pd.testing.assert_frame_equal(_frame(relation), relation.df())


def test_gx_does_not_fingerprint_the_frames_it_checks(monkeypatch):
    """GX's batch fingerprint (a hash of every column) is skipped by a threshold setting; if
    GX renames the setting the fingerprint would run again, and this test fails."""
    from great_expectations.execution_engine import pandas_execution_engine

    def fingerprint(_frame):
        raise AssertionError("GX fingerprinted the frame: HASH_THRESHOLD is no longer its setting")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", fingerprint)
    frame = planted_opportunities()
    outcome = validate_frame(frame, bronze_suite(contract.table("opportunities")), table="opportunities")
    assert outcome.evaluated > 0
