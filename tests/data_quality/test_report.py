"""The HTML report and the per-run results folder the asset checks write."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from data_quality.report import render_html, write_run_report
from data_quality.runs import load_outcomes, record_outcome, run_folder
from data_quality.suites.bronze import bronze_suite
from data_quality.validate import ValidationOutcome, validate_frame
from salesops import contract

EVIL = "<script>alert('x')</script>"


def _outcome(suite: str, *, failing: bool, table: str | None = None) -> ValidationOutcome:
    passed = {
        "expectation": "expect_column_to_exist",
        "kwargs": {"column": "stage"},
        "description": None,
        "success": True,
        "observed": {},
        "error": None,
    }
    failed = {
        "expectation": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "stage", "value_set": ["lead", "won"]},
        "description": "阶段 stage in the canonical set",
        "success": False,
        "observed": {"unexpected_count": 1, "element_count": 2, "partial_unexpected_list": [EVIL, "有意向"]},
        "error": None,
    }
    results = [passed, failed] if failing else [passed]
    failures = [{k: v for k, v in r.items() if k != "success"} for r in results if not r["success"]]
    return ValidationOutcome(suite, not failing, len(results), failures, results, table=table, rows=2)


def test_report_lists_failures_first_escapes_values_and_is_bilingual(tmp_path):
    index = write_run_report(
        [_outcome("bronze_a_ok", failing=False), _outcome("bronze_z_bad", failing=True)],
        tmp_path,
        run_id="run-1",
        title=f"报告 Report {EVIL}",
    )
    assert index == tmp_path / "index.html"
    html = index.read_text(encoding="utf-8")
    # escaped everywhere: the sample value and the title
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    # both languages
    for zh, en in [("概览", "Overview"), ("未通过", "FAIL"), ("通过", "PASS"), ("参数", "Parameters"), ("观测值", "Observed")]:
        assert zh in html and en in html
    # failing suite before passing suite, and within a suite the failing expectation first
    assert html.index('id="suite-bronze_z_bad"') < html.index('id="suite-bronze_a_ok"')
    bad = html[html.index('id="suite-bronze_z_bad"') : html.index('id="suite-bronze_a_ok"')]
    assert bad.index("expect_column_values_to_be_in_set") < bad.index("expect_column_to_exist")
    assert "有意向" in bad and "value_set" in bad and "unexpected_count" in bad
    # self-contained: no external assets
    assert not re.search(r"(src|href)\s*=\s*\"(https?:)?//", html)
    assert "<link" not in html and "@import" not in html


def test_report_of_a_real_validation_shows_every_expectation(tmp_path):
    frame = pd.DataFrame({"usage_id": ["U1"], "submitted_at": pd.to_datetime(["2026-01-01"]), "verdict": [EVIL], "reason_text": [None]})
    outcome = validate_frame(frame, bronze_suite(contract.table("sop_feedback")), table="sop_feedback")
    assert not outcome.success
    html = render_html([outcome], "r", "t")
    assert "<script" not in html
    assert html.count("<tr class=") == outcome.evaluated


def test_run_folder_accumulates_tables_into_one_index(tmp_path):
    reports = tmp_path / "reports"
    first = record_outcome(_outcome("bronze_leads", failing=False, table="leads"), reports, "run-42")
    assert first == reports / "data_quality" / "run-42" / "index.html"
    assert "bronze_leads" in first.read_text(encoding="utf-8")
    second = record_outcome(_outcome("bronze_opportunities", failing=True, table="opportunities"), reports, "run-42")
    assert second == first
    html = second.read_text(encoding="utf-8")
    assert "bronze_leads" in html and "bronze_opportunities" in html
    assert sorted(p.name for p in run_folder(reports, "run-42").iterdir()) == ["index.html", "leads.json", "opportunities.json"]
    stored = json.loads((run_folder(reports, "run-42") / "opportunities.json").read_text(encoding="utf-8"))
    assert stored["success"] is False and stored["table"] == "opportunities"
    # another run gets its own folder and index
    other = record_outcome(_outcome("bronze_leads", failing=False, table="leads"), reports, "run-43")
    assert "bronze_opportunities" not in other.read_text(encoding="utf-8")


def test_outcome_round_trips_through_json(tmp_path):
    frame = pd.DataFrame({"usage_id": ["U1"], "submitted_at": pd.to_datetime(["2026-01-01"]), "verdict": ["maybe"], "reason_text": [None]})
    outcome = validate_frame(frame, bronze_suite(contract.table("sop_feedback")), table="sop_feedback")
    record_outcome(outcome, tmp_path, "r1")
    (loaded,) = load_outcomes(run_folder(tmp_path, "r1"))
    assert loaded == outcome


def test_an_unreadable_result_file_shows_as_a_failed_suite(tmp_path):
    folder = run_folder(tmp_path, "r1")
    folder.mkdir(parents=True)
    (folder / "leads.json").write_text("{not json", encoding="utf-8")
    (outcome,) = load_outcomes(folder)
    assert not outcome.success and "unreadable" in outcome.failures[0]["error"]


@pytest.mark.parametrize("run_id", ["../escape", "a/b", "", ".hidden"])
def test_a_run_id_that_is_not_a_plain_name_is_refused(tmp_path, run_id):
    with pytest.raises(ValueError):
        run_folder(tmp_path, run_id)


def test_conflicts_between_tables_are_listed_as_warnings_with_both_rows(tmp_path):
    """A kept row that contradicts another table shows in the report with both rows named."""
    import duckdb

    from data_quality.runs import conflict_warnings, record_outcome
    from data_quality.validate import ValidationOutcome

    conflicts = tmp_path / "opportunities.parquet"
    duckdb.sql(
        "select 'opportunities' as table_name, 'crm/opportunities.csv' as file, 5::bigint as line, "
        "'closed_at' as column_name, '2026-03-20 00:00:00' as raw_value, 'leads' as other_table, "
        "'crm/leads.csv' as other_file, 3::bigint as other_line, 'l4' as key, "
        "'won before its lead was created' as reason"
    ).write_parquet(str(conflicts))
    warnings = conflict_warnings(conflicts)
    assert warnings == [
        {
            "file": "crm/opportunities.csv",
            "line": 5,
            "column": "closed_at",
            "value": "2026-03-20 00:00:00",
            "other_table": "leads",
            "other_file": "crm/leads.csv",
            "other_line": 3,
            "key": "l4",
            "reason": "won before its lead was created",
        }
    ]
    outcome = ValidationOutcome("bronze_opportunities", True, 1, [], [], table="opportunities", warnings=warnings)
    html = record_outcome(outcome, tmp_path / "reports", "run1").read_text(encoding="utf-8")
    assert "Conflicts with another table (both rows kept)" in html
    assert "crm/leads.csv" in html and "crm/opportunities.csv" in html and "won before its lead was created" in html
    assert conflict_warnings(tmp_path / "absent.parquet") == []
