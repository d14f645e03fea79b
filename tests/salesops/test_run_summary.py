"""The end-of-run summary: rows read / kept / quarantined / superseded per table, top
quarantine reasons, derived and flagged rows, files not read, and the warning threshold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from salesops.config import Paths
from salesops.ingest import ingest_all
from salesops.run_summary import (
    WARNING_SHARE_VARIABLE,
    RunSummary,
    ingest_summaries,
    render,
    warning_share,
    write_snapshot_table,
)

HEADER = "opportunity_id,lead_id,customer_id,owner_rep_id,product_line,created_at,stage,status,amount,closed_at"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(tmp_path).ensure()
    crm = p.landing / "crm"
    crm.mkdir(parents=True)
    (crm / "opportunities_2026-03-31.csv").write_text(
        HEADER + "\n"
        "o1,l1,c1,r1,p,2026-03-01,quote,open,100,\n"
        "o2,l2,,r1,p,2026-03-05,lead,open,,\n"
        "o3,l3,c1,r1,p,2026-03-06,bogus,open,5,\n"  # unusable: a stage nobody mapped
        "o4,l4,c1,r1,p,2026-03-07,won,won,abc,2026-03-08\n",  # unusable: amount is not a number
        encoding="utf-8",
    )
    (crm / "opportunities_2026-04-30.csv").write_text(
        HEADER + "\no1,l1,c1,r1,p,2026-03-01,won,won,100,2026-04-10\n", encoding="utf-8"
    )
    (crm / "leads.csv").write_text(
        "lead_id,customer_id,source,created_at,assigned_rep_id\nl1,c1,web,2026-04-20,r1\n",
        encoding="utf-8",
    )
    ingest_all(p, now=dt.datetime(2026, 5, 1))
    return p


def test_rows_are_accounted_for_per_table(paths):
    by_table = {t.table: t for t in ingest_summaries(paths)}
    o = by_table["opportunities"]
    assert (o.files, o.rows_read, o.rows_accepted, o.rows_quarantined, o.rows_superseded) == (2, 5, 2, 2, 1)
    assert o.balanced
    assert o.rows_conflicting == 1  # o1 won 2026-04-10, its lead created 2026-04-20
    assert [(r.column, r.reason, r.rows) for r in o.top_reasons] == [
        ("amount", "not a valid decimal", 1),
        ("stage", "not one of: lead, qualified, quote, negotiation, contract_approval, won, lost", 1),
    ]
    h = by_table["opportunity_stage_history"]
    assert (h.rows_read, h.rows_derived) == (0, 3)
    assert all(t.balanced for t in by_table.values())


def test_a_quarantined_share_above_the_threshold_is_a_warning_first(paths, monkeypatch):
    monkeypatch.setenv(WARNING_SHARE_VARIABLE, "0.5")
    summary = RunSummary(ingest_summaries(paths), warning_share(), [("crm/data_dictionary.csv", "ignored by data_*")])
    assert summary.warnings == []  # 2 of 5 = 40% ≤ 50%
    monkeypatch.setenv(WARNING_SHARE_VARIABLE, "0.05")
    summary = RunSummary(ingest_summaries(paths), warning_share(), [("crm/data_dictionary.csv", "ignored by data_*")])
    assert [t.table for t in summary.warnings] == ["opportunities"]
    lines = render(summary)
    assert lines[1].startswith("  ⚠ WARNING 警告: opportunities: 2 of 5 rows quarantined (40.0% > 5%)")
    table_rows = {line.split()[0]: line for line in lines if line.startswith("  ") and not line.startswith("   ")}
    assert table_rows["opportunities"].split()[1:5] == ["5", "2", "2", "1"]
    assert "1 flagged 冲突" in table_rows["opportunities"]
    assert "3 derived 推导" in table_rows["opportunity_stage_history"]
    assert "  not read 未读取: crm/data_dictionary.csv (ignored by data_*)" in lines


def test_the_threshold_setting_is_validated(monkeypatch):
    monkeypatch.setenv(WARNING_SHARE_VARIABLE, "5%")
    with pytest.raises(ValueError, match="between 0 and 1"):
        warning_share()


def test_the_snapshot_table_carries_the_summary(paths):
    with duckdb.connect() as con:
        write_snapshot_table(con, ingest_summaries(paths), 0.05)
        assert con.execute(
            "select rows_read, rows_quarantined, round(quarantined_share, 2), is_warning, top_reasons "
            "from main.ingest_summary where table_name = 'opportunities'"
        ).fetchone() == (
            5,
            2,
            0.4,
            True,
            "1 × amount: not a valid decimal; 1 × stage: not one of: lead, qualified, quote, negotiation, "
            "contract_approval, won, lost",
        )
