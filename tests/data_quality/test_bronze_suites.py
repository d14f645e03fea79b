"""Every bronze suite passes a clean frame and fails a broken one; a suite that cannot run fails."""

from __future__ import annotations

import pandas as pd
import pytest

from data_quality.suites.bronze import bronze_suite
from data_quality.validate import validate_frame
from salesops import contract


def clean_opportunities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2"],
            "lead_id": ["L1", "L2"],
            "customer_id": ["C1", "C2"],
            "owner_rep_id": ["R1", "R1"],
            "product_line": ["P", "P"],
            "created_at": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "stage": ["quote", "won"],
            "status": ["open", "won"],
            "amount": [100.0, 200.0],
            "forecast_amount": [None, None],
            "expected_close_date": ["尽快", None],
            "probability": [0.4, 1.0],
            "requirement_doc_amount": [None, None],
            "closed_at": pd.to_datetime([None, "2026-02-01"]),
            "loss_reason_code": [None, None],
            "loss_reason_text": [None, None],
            "amount_original": [None, None],
            "currency": [None, None],
        }
    )


def test_clean_frame_passes():
    outcome = validate_frame(clean_opportunities(), bronze_suite(contract.table("opportunities")))
    assert outcome.success, outcome.summary()
    assert outcome.evaluated >= len(contract.table("opportunities").columns)


@pytest.mark.parametrize(
    ("column", "value", "expectation"),
    [
        ("stage", "有意向", "expect_column_values_to_be_in_set"),
        ("probability", 50.0, "expect_column_values_to_be_between"),
        ("amount", -1.0, "expect_column_values_to_be_between"),
        ("opportunity_id", "O2", "expect_column_values_to_be_unique"),
        ("owner_rep_id", None, "expect_column_values_to_not_be_null"),
    ],
)
def test_broken_frame_fails_on_the_right_expectation(column, value, expectation):
    frame = clean_opportunities()
    frame.loc[0, column] = value
    outcome = validate_frame(frame, bronze_suite(contract.table("opportunities")))
    assert not outcome.success
    assert expectation in {f["expectation"] for f in outcome.failures}


def test_missing_column_fails():
    outcome = validate_frame(clean_opportunities().drop(columns=["stage"]), bronze_suite(contract.table("opportunities")))
    assert not outcome.success


def test_composite_key_and_period_rules():
    frame = pd.DataFrame(
        {
            "period": ["2026-01", "2026-01", "2026-13"],
            "unit_id": ["HQ", "HQ", "R1"],
            "level": ["hq", "hq", "rep"],
            "kind": ["assigned", "assigned", "committed"],
            "amount": [100.0, 100.0, 10.0],
            "signed_at": pd.to_datetime([None, None, None]),
        }
    )
    outcome = validate_frame(frame, bronze_suite(contract.table("targets")))
    failed = {f["expectation"] for f in outcome.failures}
    assert {"expect_compound_columns_to_be_unique", "expect_column_values_to_match_regex"} <= failed


def test_every_table_has_a_suite_that_runs_on_an_empty_bronze_frame():
    for table in contract.TABLES.values():
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in table.column_names})
        assert validate_frame(frame, bronze_suite(table)).success, table.name


def test_a_suite_without_expectations_refuses_to_pass():
    import great_expectations as gx

    with pytest.raises(ValueError, match="no expectations"):
        validate_frame(clean_opportunities(), gx.ExpectationSuite(name="empty", expectations=[]))


def test_table_rule_closed_before_created_fails():
    frame = clean_opportunities()
    frame.loc[1, "closed_at"] = pd.Timestamp("2025-12-31")
    outcome = validate_frame(frame, bronze_suite(contract.table("opportunities")))
    assert [f["expectation"] for f in outcome.failures] == ["expect_column_pair_values_a_to_be_greater_than_b"]


def test_an_expectation_that_cannot_run_fails_and_says_why():
    """A pair rule on a missing column raises inside GX: that is a failure, never a pass."""
    frame = clean_opportunities().drop(columns=["closed_at"])
    outcome = validate_frame(frame, bronze_suite(contract.table("opportunities")))
    assert not outcome.success
    errored = {f["expectation"] for f in outcome.errors}
    assert "expect_column_pair_values_a_to_be_greater_than_b" in errored
    assert all("closed_at" in f["error"] for f in outcome.errors), outcome.errors
    assert "could not run" in outcome.summary()


def test_an_expectation_error_reported_at_the_top_level_is_a_failure():
    from data_quality.validate import _error_message

    assert _error_message({"raised_exception": True, "exception_message": "boom"}) == "boom"
    nested = {"MetricConfigurationID(...)": {"raised_exception": True, "exception_message": "KeyError: 'x'", "exception_traceback": "…"}}
    assert _error_message(nested) == "KeyError: 'x'"
    assert _error_message({"raised_exception": False, "exception_message": None, "exception_traceback": None}) is None
    assert _error_message(None) is None


def test_outcome_keeps_passed_expectations_and_stays_compatible():
    outcome = validate_frame(clean_opportunities(), bronze_suite(contract.table("opportunities")), table="opportunities")
    assert outcome.success and outcome.failures == [] and outcome.table == "opportunities" and outcome.rows == 2
    assert len(outcome.results) == outcome.evaluated and all(r["success"] for r in outcome.results)
    legacy = type(outcome)("s", False, 1, [{"expectation": "e", "kwargs": {}, "observed": {"unexpected_count": 1}}])
    assert "e {} → {'unexpected_count': 1}" in legacy.summary()
