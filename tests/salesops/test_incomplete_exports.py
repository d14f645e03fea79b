"""Incomplete is not invalid: unknown values load as NULL, cross-table conflicts are flagged
and kept, and a stage history is derived from a current-state export (issue 10)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from salesops.config import Paths
from salesops.ingest import ingest_all
from salesops.ingest.core import conflicts_path

HEADER = "opportunity_id,lead_id,customer_id,owner_rep_id,product_line,created_at,stage,status,amount,expected_close_date,closed_at"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(tmp_path).ensure()
    (p.landing / "crm").mkdir(parents=True)
    return p


def _rows(path: Path | str, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql.replace("from t", f"from read_parquet('{path}')")).fetchall()


@pytest.fixture
def ingested(paths: Paths):
    crm = paths.landing / "crm"
    (crm / "opportunities_2026-03-31.csv").write_text(
        HEADER + "\n"
        "o1,l1,c1,r1,p,2026-03-01,quote,open,100,,\n"
        "o2,l2,,r1,p,2026-03-05,lead,open,,,\n"  # open, no account, no amount yet
        "o3,,c1,r1,,,lead,open,,,\n"  # prospecting: no lead, product or created date yet
        "o4,l4,c1,r1,p,2026-02-01,won,won,500,,2026-03-20\n",
        encoding="utf-8",
    )
    (crm / "opportunities_2026-04-30.csv").write_text(
        HEADER + "\n"
        "o1,l1,c1,r1,p,2026-03-01,won,won,100,,2026-04-10\n"
        "o2,l2,,r1,p,2026-03-05,qualified,open,,,\n"
        "o3,,c1,r1,,,lead,open,,,\n"
        "o4,l4,c1,r1,p,2026-02-01,won,won,500,,2026-03-20\n"
        "o5,l5,c1,r1,p,2026-04-01,lost,lost,,,\n",
        encoding="utf-8",
    )
    (crm / "leads.csv").write_text(
        "lead_id,customer_id,source,created_at,assigned_rep_id\n"
        "l1,c1,web,2026-02-20,r1\n"
        "l4,,,2026-03-25,\n",  # recorded after its deal was won: one of the two dates is wrong
        encoding="utf-8",
    )
    (crm / "reps.csv").write_text("rep_id,name,team_id,role\nr1,张三,t1,rep\n", encoding="utf-8")
    return ingest_all(paths, now=dt.datetime(2026, 5, 1))


def test_open_deals_without_account_amount_or_created_date_are_kept(ingested):
    opportunities = ingested["opportunities"]
    assert (opportunities.rows_read, opportunities.rows_accepted, opportunities.rows_quarantined) == (9, 5, 0)
    assert opportunities.rows_superseded == 4
    kept = _rows(
        opportunities.bronze_path,
        "select opportunity_id, lead_id, customer_id, amount, created_at from t order by 1",
    )
    assert kept[1] == ("o2", "l2", None, None, dt.datetime(2026, 3, 5))
    assert kept[2] == ("o3", None, "c1", None, None)
    assert ingested["leads"].rows_quarantined == 0
    assert ingested["reps"].rows_accepted == 1  # no hire_date column at all


def test_a_deal_won_before_its_lead_was_created_is_flagged_on_both_rows_and_kept(ingested, paths):
    assert ingested["opportunities"].conflicts == 1
    assert _rows(
        conflicts_path(paths, "opportunities"),
        "select table_name, split_part(file, '/', -1), line, column_name, raw_value, other_table, "
        "split_part(other_file, '/', -1), other_line, key, reason from t",
    ) == [
        (
            "opportunities",
            "opportunities_2026-04-30.csv",
            5,
            "closed_at",
            "2026-03-20 00:00:00",
            "leads",
            "leads.csv",
            3,
            "l4",
            "won before its lead was created",
        )
    ]
    assert ("o4",) in _rows(ingested["opportunities"].bronze_path, "select opportunity_id from t")


def test_stage_history_is_derived_from_a_current_state_export(ingested):
    history = ingested["opportunity_stage_history"]
    assert history.derived_rows == 9 and history.files == []
    assert [e["action"] for e in history.events] == ["derived"]
    assert _rows(
        history.bronze_path,
        "select opportunity_id, stage, cast(entered_at as date)::varchar, derived_from from t order by 1, 3, 2 desc",
    ) == [
        ("o1", "quote", "2026-03-01", "created_at"),
        ("o1", "won", "2026-04-10", "closed_at"),
        ("o2", "lead", "2026-03-05", "created_at"),
        ("o2", "qualified", "2026-04-30", "extract:2026-04-30"),  # first seen there
        ("o3", "lead", "2026-03-31", "extract:2026-03-31"),  # created date unknown
        ("o4", "lead", "2026-02-01", "created_at"),  # first seen won: entered the funnel at creation
        ("o4", "won", "2026-03-20", "closed_at"),
        ("o5", "lead", "2026-04-01", "created_at"),
        ("o5", "lost", "2026-04-30", "extract:2026-04-30"),  # no close date: the extract that shows it
    ]


def test_a_real_stage_history_file_is_never_replaced_by_a_derived_one(ingested, paths):
    (paths.landing / "crm" / "opportunity_stage_history.csv").write_text(
        "opportunity_id,stage,entered_at,changed_by\no1,lead,2026-03-01 09:00:00,r1\n", encoding="utf-8"
    )
    again = ingest_all(paths, now=dt.datetime(2026, 5, 1))["opportunity_stage_history"]
    assert again.derived_rows == 0 and again.rows_accepted == 1
    assert _rows(again.bronze_path, "select derived_from, changed_by from t") == [(None, "r1")]
