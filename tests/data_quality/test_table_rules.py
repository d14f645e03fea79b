"""Each invariant of SPEC §3/§4 the bronze suites enforce: a clean frame passes, and a frame
broken in one place fails on exactly that rule (no collateral failures that would hide it)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from data_quality.suites.bronze import STATUS_OF_STAGE, TABLE_RULES, bronze_suite
from data_quality.validate import ValidationOutcome, validate_frame
from salesops import contract

ts = pd.to_datetime


def _frames() -> dict[str, pd.DataFrame]:
    return {
        "opportunities": pd.DataFrame(
            {
                "opportunity_id": ["O1", "O2", "O3"],
                "lead_id": ["L1", "L2", "L3"],
                "customer_id": ["C1", "C2", "C3"],
                "owner_rep_id": ["R1", "R1", "R2"],
                "product_line": ["P", "P", "Q"],
                "created_at": ts(["2026-01-01", "2026-01-02", "2026-01-03"]),
                "stage": ["quote", "won", "lost"],
                "status": ["open", "won", "lost"],
                "amount": [100.0, 200.0, 0.0],
                "forecast_amount": [None, None, None],
                "expected_close_date": ["尽快", None, None],
                "probability": [0.4, 1.0, 0.0],
                "requirement_doc_amount": [None, None, None],
                "closed_at": ts([None, "2026-02-01", "2026-01-03"]),
                "loss_reason_code": [None, None, "price"],
                "loss_reason_text": [None, None, "太贵"],
                "amount_original": [None, None, None],
                "currency": [None, None, None],
            }
        ),
        "opportunity_stage_history": pd.DataFrame(
            {
                "opportunity_id": ["O1", "O1"],
                "stage": ["lead", "qualified"],
                "entered_at": ts(["2026-01-01", "2026-01-05"]),
                "probability": [0.1, None],
                "changed_by": ["R1", None],
                "derived_from": [None, "extract:2026-01-05"],
            }
        ),
        "leads": pd.DataFrame(
            {
                "lead_id": ["L1", "L2"],
                "customer_id": ["C1", "C2"],
                "source": ["web", "expo"],
                "created_at": ts(["2026-01-01 09:00", "2026-01-02 09:00"]),
                "assigned_rep_id": ["R1", "R2"],
                "first_response_at": ts(["2026-01-01 09:00", None]),
                "quality_score": [55.0, None],
            }
        ),
        "payments": pd.DataFrame(
            {
                "payment_id": ["P1", "P2"],
                "contract_id": ["K1", "K1"],
                "amount": [10.0, 20.0],
                "received_at": ts(["2026-03-01", "2026-03-02"]),
                "recorded_in_finance_at": ts(["2026-03-01", "2026-03-04"]),
                "synced_to_crm_at": ts(["2026-03-05", None]),
            }
        ),
        "contracts": pd.DataFrame(
            {
                "contract_id": ["K1", "K2"],
                "opportunity_id": ["O2", "O4"],
                "signed_at": ts(["2026-02-01", "2026-02-03"]),
                "amount": [200.0, 0.0],
            }
        ),
        "target_adjustments": pd.DataFrame(
            {
                "request_id": ["T1", "T2"],
                "rep_id": ["R1", "R2"],
                "period": ["2026-01", "2026-02"],
                "requested_at": ts(["2026-01-03", "2026-02-03"]),
                "old_amount": [100.0, 100.0],
                "new_amount": [80.0, 90.0],
                "status": ["adopted", "pending"],
                "decided_at": ts(["2026-01-05", None]),
            }
        ),
        "market_events": pd.DataFrame(
            {
                "name": ["618", "双11"],
                "region_id": [None, "RG1"],
                "start_on": ts(["2026-06-01", "2026-11-01"]),
                "end_on": ts(["2026-06-18", "2026-11-01"]),
                "expected_uplift": [0.1, None],
            }
        ),
        "reps": pd.DataFrame(
            {
                "rep_id": ["R1", "R2"],
                "name": ["张三", "李四"],
                "team_id": ["T1", "T1"],
                "role": ["rep", "city_manager"],
                "hire_date": ts(["2024-01-01", "2023-05-01"]),
                "termination_date": ts(["2025-06-30", None]),
                "im_user_id": ["zhangsan", None],
            }
        ),
        "sop_feedback": pd.DataFrame(
            {
                "usage_id": ["U1", "U2"],
                "submitted_at": ts(["2026-01-01", "2026-01-02"]),
                "verdict": ["fully", "not_applicable"],
                "reason_text": [None, "客户不同"],
            }
        ),
        "chat_messages": pd.DataFrame(
            {
                "message_id": ["M1", "M2"],
                "conversation_id": ["V1", "V1"],
                "channel": ["wecom", "phone_transcript"],
                "opportunity_id": ["O1", None],
                "rep_id": ["R1", "R1"],
                "contact_id": ["K1", "K1"],
                "sender": ["rep", "customer"],
                "sent_at": ts(["2026-01-01 10:00", "2026-01-01 10:01"]),
                "text": ["您好", "<b>价格</b>"],
            }
        ),
    }


def _validate(table: str, frame: pd.DataFrame) -> ValidationOutcome:
    return validate_frame(frame, bronze_suite(contract.table(table)), table=table)


def _key(failure: dict) -> tuple:
    kwargs = failure["kwargs"]
    return (failure["expectation"], kwargs.get("column") or (kwargs.get("column_A"), kwargs.get("column_B")))


def _set(column: str, row: int, value) -> Callable[[pd.DataFrame], None]:
    def mutate(frame: pd.DataFrame) -> None:
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        if isinstance(value, pd.Timestamp) or (value is None and column.endswith(("_at", "_on", "_date"))):
            frame[column] = pd.to_datetime(frame[column])

    return mutate


PAIR_GT = "expect_column_pair_values_a_to_be_greater_than_b"
PAIR_SET = "expect_column_pair_values_to_be_in_set"
NOT_NULL = "expect_column_values_to_not_be_null"
BE_NULL = "expect_column_values_to_be_null"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"

BROKEN = [
    # opportunities (SPEC §3/§4)
    ("opportunities", "closed before created", _set("closed_at", 1, ts("2025-12-31")), (PAIR_GT, ("closed_at", "created_at"))),
    ("opportunities", "open with closed_at", _set("closed_at", 0, ts("2026-01-20")), (BE_NULL, "closed_at")),
    ("opportunities", "stage won, status open", _set("stage", 0, "won"), (PAIR_SET, ("stage", "status"))),
    ("opportunities", "status won, stage lost", _set("stage", 1, "lost"), (PAIR_SET, ("stage", "status"))),
    ("opportunities", "status lost, open stage", _set("stage", 2, "negotiation"), (PAIR_SET, ("stage", "status"))),
    ("opportunities", "probability above 1", _set("probability", 0, 1.5), (BETWEEN, "probability")),
    ("opportunities", "negative amount", _set("amount", 0, -1.0), (BETWEEN, "amount")),
    # opportunity_stage_history
    ("opportunity_stage_history", "entered_at empty", _set("entered_at", 1, None), (NOT_NULL, "entered_at")),
    ("opportunity_stage_history", "vague stage", _set("stage", 1, "有意向"), (IN_SET, "stage")),
    # leads
    ("leads", "responded before created", _set("first_response_at", 0, ts("2026-01-01 08:59")), (PAIR_GT, ("first_response_at", "created_at"))),
    # payments
    ("payments", "recorded before received", _set("recorded_in_finance_at", 0, ts("2026-02-28")), (PAIR_GT, ("recorded_in_finance_at", "received_at"))),
    ("payments", "synced before recorded", _set("synced_to_crm_at", 0, ts("2026-02-28")), (PAIR_GT, ("synced_to_crm_at", "recorded_in_finance_at"))),
    # contracts
    ("contracts", "negative amount", _set("amount", 0, -5.0), (BETWEEN, "amount")),
    # target_adjustments
    ("target_adjustments", "decided before requested", _set("decided_at", 0, ts("2026-01-01")), (PAIR_GT, ("decided_at", "requested_at"))),
    # market_events
    ("market_events", "ends before it starts", _set("end_on", 0, ts("2026-05-31")), (PAIR_GT, ("end_on", "start_on"))),
    # reps
    ("reps", "terminated before hired", _set("termination_date", 0, ts("2023-12-31")), (PAIR_GT, ("termination_date", "hire_date"))),
    # sop_feedback
    ("sop_feedback", "verdict empty", _set("verdict", 0, None), (NOT_NULL, "verdict")),
    ("sop_feedback", "verdict outside the set", _set("verdict", 0, "maybe"), (IN_SET, "verdict")),
    # chat_messages
    ("chat_messages", "sent_at empty", _set("sent_at", 0, None), (NOT_NULL, "sent_at")),
]


@pytest.mark.parametrize("table", sorted(_frames()))
def test_clean_frame_passes(table):
    outcome = _validate(table, _frames()[table])
    assert outcome.success, outcome.summary()
    assert len(outcome.results) == outcome.evaluated == len(bronze_suite(contract.table(table)).expectations)


@pytest.mark.parametrize(("table", "case", "mutate", "rule"), BROKEN, ids=[f"{t}: {c}" for t, c, *_ in BROKEN])
def test_broken_frame_fails_on_exactly_that_rule(table, case, mutate, rule):
    frame = _frames()[table]
    mutate(frame)
    outcome = _validate(table, frame)
    assert not outcome.success
    assert [_key(f) for f in outcome.failures] == [rule], outcome.summary()
    assert not outcome.errors


def test_every_table_rule_is_exercised_by_a_broken_frame():
    exercised = {(t, rule) for t, _, _, rule in BROKEN}
    for table, rules in TABLE_RULES.items():
        for expectation in rules():
            config = expectation.configuration
            failure = {"expectation": config.type, "kwargs": config.kwargs}
            assert (table, _key(failure)) in exercised, (table, _key(failure))


def test_status_of_stage_covers_the_canonical_funnel():
    assert set(STATUS_OF_STAGE) == set(contract.STAGES)
    assert {s for s, status in STATUS_OF_STAGE.items() if status == "open"} == set(contract.OPEN_STAGES)


def test_won_or_lost_without_closed_at_passes():
    """closed_at is optional (SPEC §3): the Salesforce and HubSpot profiles do not map it."""
    frame = _frames()["opportunities"]
    frame["closed_at"] = pd.NaT
    outcome = _validate("opportunities", frame)
    assert outcome.success, outcome.summary()
