"""Withdrawing data: a file removed from landing, or forgotten, takes its rows out of bronze.

Every expected figure is counted by hand from the files written here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from io import BytesIO
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from salesops import contract
from salesops.config import Paths
from salesops.ingest import IgnoredFile, ingest_table, plan_for
from salesops.ingest.core import REGISTRY_VERSION
from salesops.ingest.withdraw import (
    ForgetError,
    forget,
    forget_message,
    forgotten,
    forgotten_path,
    unforget,
)
from salesops.publish import (
    publish_snapshot,
    purge_snapshots_except_current,
    request_snapshot_purge,
)
from salesops.run_summary import RunSummary, ingest_summaries, not_read_forgotten, render

HEADER = "opportunity_id,lead_id,customer_id,owner_rep_id,product_line,created_at,stage,status,amount,expected_close_date,probability"
MARCH_30 = (
    HEADER + "\n"
    "O1,L1,C1,R1,P,2026-01-05 10:00:00,lead,open,100,,\n"
    "O2,L2,C2,R1,P,2026-01-05 10:00:00,bogus,open,5,,\n"  # quarantined: stage
    "O3,L3,C3,R1,P,2026-01-05 10:00:00,lead,open,7,,\n"  # superseded by March 31
)
MARCH_31 = HEADER + "\nO3,L3,C3,R1,P,2026-01-05 10:00:00,quote,open,300,,\n"
FORGOTTEN_AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
OPPORTUNITIES = contract.table("opportunities")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(tmp_path).ensure()
    (p.landing / "crm").mkdir(parents=True)
    return p


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def query(path: Path | str, sql: str) -> list[tuple]:
    return duckdb.connect().sql(sql.replace("from t", f"from read_parquet('{path}')")).fetchall()


def parts(paths: Paths, table: str) -> list[Path]:
    return sorted(
        p
        for folder in (paths.bronze / "_parts" / table, paths.quarantine / "_parts" / table)
        if folder.is_dir()
        for p in folder.iterdir()
    )


def log_events(paths: Paths, table: str) -> list[dict]:
    text = (paths.bronze / "_log" / f"{table}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def two_extracts(paths: Paths) -> tuple[Path, Path]:
    crm = paths.landing / "crm"
    return write(crm / "opportunities_2026-03-30.csv", MARCH_30), write(
        crm / "opportunities_2026-03-31.csv", MARCH_31
    )


def test_a_file_removed_from_landing_takes_its_rows_out_of_bronze(paths):
    march_30, _ = two_extracts(paths)
    before = ingest_table(OPPORTUNITIES, paths)
    # March 30: O1 kept, O2 quarantined, O3 superseded by March 31's O3.
    assert (
        before.rows_read,
        before.rows_accepted,
        before.rows_quarantined,
        before.rows_superseded,
    ) == (4, 2, 1, 1)
    assert len(parts(paths, "opportunities")) == 4  # a part and a quarantine part per file

    march_30.unlink()
    after = ingest_table(OPPORTUNITIES, paths)

    assert after.withdrawn == [
        {
            "file": "crm/opportunities_2026-03-30.csv",
            "rows": 3,
            "kept": 1,
            "quarantined": 1,
            "reason": "removed from landing 已从落地目录移除",
        }
    ]
    assert after.rows_withdrawn == 3
    assert query(after.bronze_path, "select opportunity_id, stage from t") == [("O3", "quote")]
    assert query(after.quarantine_path, "select count(*) from t") == [(0,)]
    history = paths.bronze / "_history" / "opportunities.parquet"
    assert query(history, "select opportunity_id, _extract_date from t") == [
        ("O3", dt.date(2026, 3, 31))
    ]
    assert query(
        paths.bronze / "_conflicts" / "opportunities.parquet", "select count(*) from t"
    ) == [(0,)]
    assert len(parts(paths, "opportunities")) == 2
    assert not any(
        "2026-03-30" in p.read_text(errors="ignore") for p in paths.bronze.rglob("_registry/*")
    )
    # Rows in = kept + quarantined + superseded, over the files still read.
    assert (
        after.rows_read,
        after.rows_accepted,
        after.rows_quarantined,
        after.rows_superseded,
    ) == (1, 1, 0, 0)
    withdrawn = [e for e in log_events(paths, "opportunities") if e["action"] == "withdrawn"]
    assert [(e["file"], e["rows"], e["quarantined"]) for e in withdrawn] == [
        ("crm/opportunities_2026-03-30.csv", 3, 1)
    ]
    accounts = json.loads(
        (paths.bronze / "_accounts" / "opportunities.json").read_text(encoding="utf-8")
    )
    assert (
        accounts["rows_withdrawn"] == 3
        and accounts["withdrawn"][0]["file"] == "crm/opportunities_2026-03-30.csv"
    )

    again = ingest_table(
        OPPORTUNITIES, paths
    )  # withdrawn once: the next run has nothing to withdraw
    assert again.withdrawn == [] and [e["action"] for e in again.events] == ["unchanged"]


def test_files_of_an_older_registry_version_are_withdrawn_and_stray_parts_removed(paths):
    march_30, _ = two_extracts(paths)
    ingest_table(OPPORTUNITIES, paths)
    registry_file = paths.bronze / "_registry" / "opportunities.json"
    registry = json.loads(registry_file.read_text(encoding="utf-8"))
    registry["version"] = REGISTRY_VERSION - 1  # as left by an older salesops
    registry_file.write_text(json.dumps(registry), encoding="utf-8")
    stray = write(
        paths.quarantine / "_parts" / "opportunities" / ".left-by-a-killed-run.tmp", "raw text"
    )
    march_30.unlink()

    result = ingest_table(OPPORTUNITIES, paths)

    assert [(w["file"], w["rows"], w["kept"]) for w in result.withdrawn] == [
        ("crm/opportunities_2026-03-30.csv", 3, 1)
    ]
    assert not stray.exists() and len(parts(paths, "opportunities")) == 2
    assert query(result.bronze_path, "select opportunity_id from t") == [("O3",)]


def test_forget_keeps_the_file_but_withdraws_it_and_names_it_unread_until_unforgotten(paths):
    march_30, _ = two_extracts(paths)
    ingest_table(OPPORTUNITIES, paths)

    entry = forget(paths, "crm/opportunities_2026-03-30.csv", now=FORGOTTEN_AT)
    assert entry.file == "crm/opportunities_2026-03-30.csv" and entry.forgotten_on == "2026-12-01"
    stored = json.loads(forgotten_path(paths).read_text(encoding="utf-8"))
    assert (
        stored["files"]["crm/opportunities_2026-03-30.csv"]["forgotten_at"]
        == "2026-12-01T09:00:00+08:00"
    )
    assert len(stored["files"]["crm/opportunities_2026-03-30.csv"]["sha256"]) == 64
    assert forget(paths, march_30) == entry  # by its path, again: the first record stands

    plan = plan_for(paths)
    reason = "forgotten on 2026-12-01 已于2026-12-01撤回 (salesops forget)"
    assert IgnoredFile("crm/opportunities_2026-03-30.csv", reason) in plan.ignored
    assert [f.relative for f in plan.files["opportunities"]] == ["crm/opportunities_2026-03-31.csv"]

    result = ingest_table(OPPORTUNITIES, paths)
    assert march_30.exists()
    assert [(w["file"], w["rows"], w["reason"]) for w in result.withdrawn] == [
        ("crm/opportunities_2026-03-30.csv", 3, reason)
    ]
    assert query(result.bronze_path, "select opportunity_id from t") == [("O3",)]

    unforget(paths, "crm/opportunities_2026-03-30.csv")
    assert forgotten(paths) == []
    back = ingest_table(OPPORTUNITIES, paths)
    assert back.withdrawn == [] and (back.rows_read, back.rows_accepted) == (4, 2)
    assert query(back.bronze_path, "select opportunity_id from t order by 1") == [("O1",), ("O3",)]


def test_forget_and_unforget_refuse_clearly(paths):
    with pytest.raises(ForgetError) as missing:
        forget(paths, "crm/nope.csv")
    assert "crm/nope.csv" in str(missing.value) and "落地目录中没有该文件" in str(missing.value)
    assert "salesops forget crm/opportunities_2026-03-31.csv" in str(missing.value)
    outside = write(paths.home / "elsewhere.csv", "a\n")
    with pytest.raises(ForgetError, match="outside the landing folder"):
        forget(paths, outside)
    with pytest.raises(ForgetError, match="crm/nope.csv is not forgotten"):
        unforget(paths, "crm/nope.csv")


def test_forgotten_file_with_new_content_is_still_not_read_and_says_so(paths):
    _, march_31 = two_extracts(paths)
    forget(paths, "crm/opportunities_2026-03-31.csv", now=FORGOTTEN_AT)
    write(march_31, MARCH_31 + "O4,L4,C4,R1,P,2026-01-05 10:00:00,quote,open,1,,\n")
    (ignored,) = [
        i for i in plan_for(paths).ignored if i.file == "crm/opportunities_2026-03-31.csv"
    ]
    assert (
        "content changed" in ignored.reason
        and "salesops unforget crm/opportunities_2026-03-31.csv" in ignored.reason
    )


def _workbook(path: Path) -> None:
    buffer = BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    customers = workbook.add_worksheet("customers")
    for i, row in enumerate(
        [["customer_id", "name", "industry"], ["C1", "甲公司", "制造"], ["C2", "乙公司", "零售"]]
    ):
        customers.write_row(i, 0, row)
    reps = workbook.add_worksheet("reps")
    rows = [
        ["rep_id", "name", "team_id", "role"],
        ["R1", "张伟", "T1", "rep"],
        ["R2", "李娜", "T1", "rep"],
        ["R3", "王芳", "T2", "manager"],
    ]
    for i, row in enumerate(rows):
        reps.write_row(i, 0, row)
    workbook.close()
    path.write_bytes(buffer.getvalue())


def test_forgetting_a_workbook_withdraws_every_sheet(paths):
    _workbook(paths.landing / "crm" / "export.xlsx")
    customers, reps = contract.table("customers"), contract.table("reps")
    assert ingest_table(customers, paths).rows_accepted == 2
    read_reps = ingest_table(reps, paths)  # "manager" is not a role: R3 is quarantined
    assert (read_reps.rows_read, read_reps.rows_accepted, read_reps.rows_quarantined) == (3, 2, 1)

    forget(paths, "crm/export.xlsx", now=FORGOTTEN_AT)
    assert [i.file for i in plan_for(paths).ignored] == ["crm/export.xlsx"]
    withdrawn_customers, withdrawn_reps = ingest_table(customers, paths), ingest_table(reps, paths)

    assert [(w["file"], w["rows"]) for w in withdrawn_customers.withdrawn] == [
        ("crm/export.xlsx#customers", 2)
    ]
    assert [(w["file"], w["rows"], w["quarantined"]) for w in withdrawn_reps.withdrawn] == [
        ("crm/export.xlsx#reps", 3, 1)
    ]
    for result in (withdrawn_customers, withdrawn_reps):
        assert query(result.bronze_path, "select count(*) from t") == [(0,)]
        assert query(result.quarantine_path, "select count(*) from t") == [(0,)]
        assert parts(paths, result.table) == []


def test_withdrawing_the_original_of_a_copy_types_the_copy(paths):
    crm = paths.landing / "crm"
    original = write(crm / "opportunities_2026-03-30.csv", MARCH_30)
    write(crm / "opportunities_2026-03-30_copy.csv", MARCH_30)
    first = ingest_table(OPPORTUNITIES, paths)
    assert [e["action"] for e in first.events] == ["added", "skipped"]

    original.unlink()
    second = ingest_table(OPPORTUNITIES, paths)

    assert [(e["file"], e["action"]) for e in second.events] == [
        ("crm/opportunities_2026-03-30.csv", "withdrawn"),
        ("crm/opportunities_2026-03-30_copy.csv", "added"),
    ]
    # The copy's own rows now: O1 and O3 kept, O2 quarantined.
    assert (
        second.rows_read,
        second.rows_accepted,
        second.rows_quarantined,
        second.rows_superseded,
    ) == (3, 2, 1, 0)
    sources = query(second.bronze_path, "select distinct _source_file from t")
    assert [Path(s).name for (s,) in sources] == ["opportunities_2026-03-30_copy.csv"]
    assert len(parts(paths, "opportunities")) == 2


def test_a_table_derived_again_withdraws_the_file_it_had(paths):
    write(paths.landing / "crm" / "opportunities_2026-03-31.csv", MARCH_31)
    history = write(
        paths.landing / "crm" / "opportunity_stage_history.csv",
        "opportunity_id,stage,entered_at,changed_by\nO3,lead,2026-01-05 10:00:00,R1\nO3,quote,2026-02-01 10:00:00,R1\n",
    )
    ingest_table(OPPORTUNITIES, paths)
    stage_history = contract.table("opportunity_stage_history")
    assert ingest_table(stage_history, paths).rows_accepted == 2

    history.unlink()
    derived = ingest_table(stage_history, paths)

    assert [(w["file"], w["rows"]) for w in derived.withdrawn] == [
        ("crm/opportunity_stage_history.csv", 2)
    ]
    assert derived.derived_rows > 0 and parts(paths, "opportunity_stage_history") == []
    assert query(
        derived.bronze_path, "select count(*) from t where _source_file like '%stage_history.csv'"
    ) == [(0,)]
    ingest_table(stage_history, paths)  # derived again, unchanged: the withdrawal is said once
    summaries = {t.table: t for t in ingest_summaries(paths)}
    assert summaries["opportunity_stage_history"].withdrawn == ()


def test_run_summary_names_the_withdrawal_and_the_forgotten_file(paths):
    two_extracts(paths)
    ingest_table(OPPORTUNITIES, paths)
    forget(paths, "crm/opportunities_2026-03-30.csv", now=FORGOTTEN_AT)
    ingest_table(OPPORTUNITIES, paths)

    text = "\n".join(render(RunSummary(ingest_summaries(paths), 0.05, not_read_forgotten(paths))))

    assert (
        "withdrawn 已撤回: crm/opportunities_2026-03-30.csv — 3 row(s) removed 已删除 "
        "(1 kept 保留, 1 quarantined 隔离): forgotten on 2026-12-01" in text
    )
    assert "withdrawn 已撤回: 1 file(s) 个文件, 3 row(s) removed 行已删除 (opportunities 3)" in text
    assert (
        "not read 未读取: crm/opportunities_2026-03-30.csv "
        "(forgotten on 2026-12-01 已于2026-12-01撤回 (salesops forget))" in text
    )
    assert text.count("crm/opportunities_2026-03-30.csv (forgotten") == 1


def test_run_summary_shows_a_table_whose_every_file_was_withdrawn(paths):
    march_30 = write(paths.landing / "crm" / "opportunities_2026-03-30.csv", MARCH_30)
    ingest_table(OPPORTUNITIES, paths)
    march_30.unlink()
    ingest_table(OPPORTUNITIES, paths)
    text = "\n".join(render(RunSummary(ingest_summaries(paths), 0.05)))
    assert (
        "crm/opportunities_2026-03-30.csv — 3 row(s) removed 已删除 (2 kept 保留, 1 quarantined 隔离)"
        in text
    )
    assert "removed from landing 已从落地目录移除" in text


def test_purge_keeps_only_the_published_snapshot(paths):
    kept = paths.snapshots_dir
    kept.mkdir(parents=True)
    old, older, current = (
        write(kept / f"2026120{i}T060000.000000_run{i}.duckdb", "x") for i in (1, 2, 3)
    )
    os.link(current, paths.snapshot_db)
    assert purge_snapshots_except_current(paths) == [old, older]
    assert sorted(kept.iterdir()) == [current]


def _published(paths: Paths, run_id: str, day: int) -> Path:
    return publish_snapshot(paths, run_id, now=dt.datetime(2026, 12, day, 6)).snapshot


def _build_warehouse(paths: Paths) -> duckdb.DuckDBPyConnection:
    """A build warehouse with a marts schema and the model publish reads as_of from."""
    con = duckdb.connect(str(paths.build_db))
    con.execute("create schema marts")
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_as_of_resolved as select date '2026-11-30' as as_of")
    return con


def test_a_requested_purge_happens_after_the_next_publish(paths):
    with _build_warehouse(paths) as con:
        con.execute(
            "create table marts.fct_figures as select 42 as value, date '2026-11-30' as as_of"
        )
    _published(paths, "first", 1)
    _published(paths, "second", 2)
    write(paths.landing / "crm" / "opportunities.csv", MARCH_31)
    entry = forget(paths, "crm/opportunities.csv", now=FORGOTTEN_AT)
    assert "The published snapshot and 1 older one(s) kept for rollback" in forget_message(
        paths, entry
    )

    request_snapshot_purge(paths)
    assert "removes every older snapshot" in forget_message(paths, entry, purge_requested=True)
    third = publish_snapshot(paths, "third", now=dt.datetime(2026, 12, 3, 6))

    assert [p.name for p in third.purged] == [
        "20261201T060000.000000_first.duckdb",
        "20261202T060000.000000_second.duckdb",
    ]
    assert [p.name for p in paths.snapshots_dir.iterdir()] == [
        "20261203T060000.000000_third.duckdb"
    ]
    assert (
        publish_snapshot(paths, "fourth", now=dt.datetime(2026, 12, 4, 6)).purged == []
    )  # asked once


def test_the_forget_and_unforget_commands(paths, monkeypatch):
    from click.testing import CliRunner

    from orchestration.cli import main

    monkeypatch.setenv("SALESOPS_HOME", str(paths.home))
    monkeypatch.delenv("SALESOPS_LANDING", raising=False)
    write(paths.landing / "crm" / "opportunities_2026-03-30.csv", MARCH_30)
    runner = CliRunner()

    done = runner.invoke(main, ["forget", "crm/opportunities_2026-03-30.csv"])
    assert done.exit_code == 0, done.output
    assert "Forgotten 已撤回: crm/opportunities_2026-03-30.csv" in done.output
    assert "salesops unforget crm/opportunities_2026-03-30.csv" in done.output
    listed = runner.invoke(main, ["forget", "--list"])
    assert listed.output.startswith("crm/opportunities_2026-03-30.csv  forgotten on ")

    outside = runner.invoke(main, ["forget", str(paths.home / "elsewhere.csv")])
    assert outside.exit_code != 0 and "outside the landing folder" in outside.output

    done = runner.invoke(main, ["unforget", "crm/opportunities_2026-03-30.csv"])
    assert done.exit_code == 0 and "read again" in done.output
    assert (
        runner.invoke(main, ["forget", "--list"]).output.strip()
        == "No forgotten file 没有已撤回的文件"
    )
    again = runner.invoke(main, ["unforget", "crm/opportunities_2026-03-30.csv"])
    assert again.exit_code != 0


def _holds(path: Path, needle: bytes) -> bool:
    return needle in path.read_bytes()


def test_after_a_withdrawal_the_publish_writes_the_warehouse_files_afresh(paths):
    """DuckDB leaves a deleted row's bytes in its freed blocks: the publish after a
    withdrawal copies only live data, into the snapshot and back into the build warehouse."""
    # long values of random digits: stored as they are (no dictionary or FSST compression hides them)
    secret = "".join(str((i * 7919) % 10) for i in range(400))
    with _build_warehouse(paths) as con:
        con.execute(
            "create table marts.fct_people as select i as id, "
            "case when i < 500 then ? || cast(i as varchar) else 'kept' end as note, "
            "date '2026-11-30' as as_of from range(2000) t(i)",
            [secret],
        )
        con.execute("checkpoint")
        con.execute("delete from marts.fct_people where note like ? || '%'", [secret])
        con.execute("checkpoint")
    needle = secret[:200].encode()
    assert _holds(paths.build_db, needle)  # the deleted rows' bytes are still in the file

    plain = _published(paths, "plain", 1)
    assert _holds(plain, needle)  # a byte copy carries them into the snapshot

    write(paths.landing / "crm" / "opportunities.csv", MARCH_31)
    ingest_table(OPPORTUNITIES, paths)
    (paths.landing / "crm" / "opportunities.csv").unlink()
    assert ingest_table(OPPORTUNITIES, paths).rows_withdrawn == 1  # asks for the compaction
    result = publish_snapshot(paths, "after", now=dt.datetime(2026, 12, 2, 6))

    assert result.compacted
    assert not _holds(paths.snapshot_db, needle) and not _holds(paths.build_db, needle)
    with duckdb.connect(str(paths.snapshot_db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_people").fetchall() == [(1500,)]
        # the snapshot says what the run withdrew
        ((rows, files),) = con.execute(
            "select rows_withdrawn, withdrawn from main.ingest_summary where table_name = 'opportunities'"
        ).fetchall()
        assert rows == 1 and files.startswith("crm/opportunities.csv: 1 rows, removed from landing")
    assert not publish_snapshot(paths, "next", now=dt.datetime(2026, 12, 3, 6)).compacted  # once
