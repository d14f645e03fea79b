"""The incremental day-grain models equal a full rebuild, also when an extract corrects the past.

A small world (scale 0.05) is generated once and cut twice (:func:`simulator.truncate.truncate_landing`):
the landing as it stood on the day before the last day, and on the last day. In the second one
three past facts are corrected, as a re-exported extract would: one opportunity's amount in an
old month-end extract, the day another opportunity entered a stage, and the opportunity an old
chat message is linked to. Home "daily" builds the first landing, then the second one
incrementally; home "fresh" builds the second landing from nothing. The daily snapshot (intermediate and mart) and the
day-grain signal marts must be equal row for row, and the incremental build must have kept most
rows (it did not recompute history) while recomputing the corrected opportunities and the
corrected chat day whole.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ml.chat_signals.extract import extract_home_signals
from salesops.config import DBT_PROJECT_DIR, Paths
from salesops.dbt_cli import project_args
from salesops.ingest import ingest_all
from simulator.config import load_config
from simulator.generate import generate
from simulator.truncate import truncate_landing
from tests.worlds import LAST_DAY, correct_the_past

pytestmark = pytest.mark.e2e

DBT = Path(sys.executable).with_name("salesops-dbt")
SELECT = (
    "+int_opportunity_daily_snapshot +fct_opportunity_daily_snapshot "
    "+fct_opportunity_signals_daily +fct_rep_signals_daily"
)
MART = "marts.fct_opportunity_daily_snapshot"
SIGNAL_MARTS = {
    "marts.fct_opportunity_signals_daily": (
        "opportunity_id, category, negated, keywords, mentions, messages, signal_date, as_of"
    ),
    "marts.fct_rep_signals_daily": (
        "rep_id, team_id, category, negated, keywords, mentions, messages, opportunities, signal_date, as_of"
    ),
}
BUSINESS = (
    "snapshot_date, opportunity_id, owner_rep_id, team_id, stage, status, amount, "
    "expected_close_date_raw, expected_close_on, probability, is_open"
)


def _build(home: Path, select: str = SELECT) -> subprocess.CompletedProcess:
    ingest_all(Paths(home).ensure())
    extract_home_signals(home)
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(DBT), "build", "--select", select, "--exclude-resource-type", "test", "unit_test",
        *project_args(DBT_PROJECT_DIR, home / "dbt_target"), "--log-path", str(home / "dbt_logs"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"dbt build failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental_snapshot")
    full = root / "full_landing"
    generate(load_config(overrides=["scale=0.05", "seed=42"]), full)
    daily, fresh = root / "daily", root / "fresh"
    truncate_landing(full, daily / "landing", LAST_DAY - timedelta(days=1))
    _build(daily)
    before = _snapshot_rows(daily)
    mart_before = _row_ids(daily, MART)
    # the next day's extracts, with two corrections of the past
    import shutil

    shutil.rmtree(daily / "landing")
    truncate_landing(full, daily / "landing", LAST_DAY)
    corrected = correct_the_past(daily / "landing")
    shutil.copytree(daily / "landing", fresh / "landing")
    marked = _mark_signal_rows(daily, corrected["chat_day"])
    _build(daily)
    markers = _unmark_signal_rows(daily, marked)
    _build(fresh)
    return {
        "daily": daily,
        "fresh": fresh,
        "corrected": corrected,
        "rows_before": before,
        "mart_before": mart_before,
        "markers": markers,
    }


MARK = " [kept]"


def _mark_signal_rows(home: Path, corrected_day: date) -> dict[str, list[tuple]]:
    """Before the incremental build, tag `keywords` of every signal-mart row of the first
    week of October (days the new extracts do not change) and of the corrected chat day: a
    day that is kept keeps the tag, a day computed again loses it."""
    marked = {}
    with duckdb.connect(str(_db(home))) as con:
        for relation in SIGNAL_MARTS:
            con.execute(
                f"update {relation} set keywords = keywords || ? "
                "where signal_date between date '2026-10-01' and date '2026-10-07' or signal_date = ?",
                [MARK, corrected_day],
            )
            marked[relation] = con.execute(
                f"select signal_date, count(*) from {relation} where keywords like ? group by 1",
                [f"%{MARK}"],
            ).fetchall()
    return marked


def _unmark_signal_rows(home: Path, marked: dict) -> dict[str, dict]:
    """What the incremental build did to the tagged rows (per mart: tagged rows per day
    before and after), then the tags removed so the marts compare with a fresh build."""
    seen = {}
    with duckdb.connect(str(_db(home))) as con:
        for relation in SIGNAL_MARTS:
            after = con.execute(
                f"select signal_date, count(*) from {relation} where keywords like ? group by 1",
                [f"%{MARK}"],
            ).fetchall()
            seen[relation] = {"before": dict(marked[relation]), "after": dict(after)}
            con.execute(
                f"update {relation} set keywords = left(keywords, length(keywords) - ?) where keywords like ?",
                [len(MARK), f"%{MARK}"],
            )
    return seen


def _db(home: Path) -> Path:
    return home / "warehouse" / "build.duckdb"


def _snapshot_rows(home: Path) -> int:
    with duckdb.connect(str(_db(home)), read_only=True) as con:
        return con.execute("select count(*) from intermediate.int_opportunity_daily_snapshot").fetchone()[0]


def _row_ids(home: Path, relation: str) -> tuple[int, int]:
    """Rows and the largest row id: DuckDB gives appended rows new row ids, and a table
    created whole numbers its rows from 0."""
    with duckdb.connect(str(_db(home)), read_only=True) as con:
        return con.execute(f"select count(*), max(rowid) from {relation}").fetchone()


def _differences(builds, relation: str, columns: str) -> int:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{_db(builds['daily'])}' as daily (read_only)")
        con.execute(f"attach '{_db(builds['fresh'])}' as fresh (read_only)")
        return con.execute(
            f"select count(*) from ((select {columns} from daily.{relation} except all "
            f"select {columns} from fresh.{relation}) union all (select {columns} from fresh.{relation} "
            f"except all select {columns} from daily.{relation}))"
        ).fetchone()[0]
    finally:
        con.close()


def test_the_incremental_snapshot_equals_a_full_rebuild(builds):
    assert _differences(builds, "intermediate.int_opportunity_daily_snapshot", BUSINESS) == 0
    assert _differences(builds, "marts.fct_opportunity_daily_snapshot", BUSINESS) == 0
    with duckdb.connect(str(_db(builds["fresh"])), read_only=True) as con:
        rows, last = con.execute(
            "select count(*), max(snapshot_date) from marts.fct_opportunity_daily_snapshot"
        ).fetchone()
    assert rows > 10_000 and last == LAST_DAY
    for relation, columns in SIGNAL_MARTS.items():
        assert _differences(builds, relation, columns) == 0, relation
        with duckdb.connect(str(_db(builds["fresh"])), read_only=True) as con:
            rows, last, as_of = con.execute(
                f"select count(*), max(signal_date), min(as_of) from {relation}"
            ).fetchone()
        assert rows > 1_000 and last == as_of == LAST_DAY, relation


def test_the_new_day_kept_history_and_recomputed_only_what_changed(builds):
    with duckdb.connect(str(_db(builds["daily"])), read_only=True) as con:
        written = dict(
            con.execute(
                "select _written_as_of, count(*) from intermediate.int_opportunity_daily_snapshot group by 1"
            ).fetchall()
        )
        corrected = con.execute(
            "select opportunity_id, min(_written_as_of), max(_written_as_of), count(*) "
            "from intermediate.int_opportunity_daily_snapshot where opportunity_id in (?, ?) group by 1",
            [builds["corrected"]["amount"], builds["corrected"]["stage"]],
        ).fetchall()
    kept = written.get(LAST_DAY - timedelta(days=1), 0)
    assert set(written) <= {LAST_DAY - timedelta(days=1), LAST_DAY}
    # most of history kept from the first build; not all of it (the corrected opportunities)
    assert 0.8 * builds["rows_before"] < kept < builds["rows_before"]
    assert sum(written.values()) - kept < 0.2 * sum(written.values())
    # the corrected opportunities were recomputed whole, every day of them
    assert len(corrected) == 2
    for _, first, last, _ in corrected:
        assert first == last == LAST_DAY
    # the published mart copied only the opportunities the spine wrote: the rows numbered
    # before this build (kept from the first one) are most of it, and not all of it
    rows_before, last_id_before = builds["mart_before"]
    assert last_id_before == rows_before - 1
    with duckdb.connect(str(_db(builds["daily"])), read_only=True) as con:
        mart_kept = con.execute(f"select count(*) from {MART} where rowid <= ?", [last_id_before]).fetchone()[0]
    assert 0.8 * rows_before < mart_kept < rows_before


def test_the_new_day_kept_signal_history_and_recomputed_the_corrected_day(builds):
    """The day signatures were signed again only for the new day and the corrected chat day;
    the signal marts kept every other day's rows from the first build (their tags survive)
    and computed the corrected day again (its tags are gone)."""
    with duckdb.connect(str(_db(builds["daily"])), read_only=True) as con:
        writers = con.execute(
            "select _written_by, count(*), list(signal_date order by signal_date) "
            "from intermediate.int_keyword_hit_days_signed group by 1 order by 2"
        ).fetchall()
    assert len(writers) == 2, writers  # the first build and the incremental one
    (_, resigned, days), (_, kept_days, _) = writers
    corrected_day = builds["corrected"]["chat_day"]
    assert corrected_day in days and LAST_DAY in days
    assert resigned <= 4 and kept_days > 100
    for relation, seen in builds["markers"].items():
        before, after = seen["before"], seen["after"]
        assert corrected_day in before and len(before) >= 6, relation
        assert corrected_day not in after, relation
        assert after == {day: rows for day, rows in before.items() if day != corrected_day}, relation


def test_an_unchanged_rerun_rewrites_no_row(builds):
    """The same extracts again (a re-run after a failed publish, the scheduler firing twice):
    nothing to delete, nothing to add. DuckDB gives appended rows new row ids, so equal
    row-id ranges and counts mean no row was rewritten."""
    relations = (
        "intermediate.int_opportunity_daily_snapshot", MART, "intermediate.int_keyword_hit_days_signed",
        *SIGNAL_MARTS,
    )
    before = [_row_ids(builds["daily"], relation) for relation in relations]
    _build(builds["daily"])
    assert [_row_ids(builds["daily"], relation) for relation in relations] == before
    assert _differences(builds, "intermediate.int_opportunity_daily_snapshot", BUSINESS) == 0
    for relation, columns in SIGNAL_MARTS.items():
        assert _differences(builds, relation, columns) == 0, relation


def test_the_mart_built_without_its_spine_is_copied_whole(builds):
    """A selection without the spine (the Dagster UI materialising the mart alone) cannot
    know what the spine wrote since: the mart is replaced whole, still equal to the spine."""
    _build(builds["daily"], select="fct_opportunity_daily_snapshot")
    assert _differences(builds, MART, BUSINESS) == 0
    rows, _ = _row_ids(builds["daily"], MART)
    with duckdb.connect(str(_db(builds["daily"])), read_only=True) as con:
        spine = con.execute("select count(*) from intermediate.int_opportunity_daily_snapshot").fetchone()[0]
    assert rows == spine


def test_a_signal_mart_built_without_its_day_signatures_is_computed_whole(builds):
    """A selection without the day signatures cannot know which days they signed since:
    every row is computed again (no tagged row survives), still equal to a fresh build."""
    relation = "marts.fct_rep_signals_daily"
    with duckdb.connect(str(_db(builds["daily"]))) as con:
        con.execute(f"update {relation} set keywords = keywords || ?", [MARK])
    _build(builds["daily"], select="fct_rep_signals_daily")
    assert _differences(builds, relation, SIGNAL_MARTS[relation]) == 0
    with duckdb.connect(str(_db(builds["daily"])), read_only=True) as con:
        assert con.execute(f"select count(*) from {relation} where keywords like ?", [f"%{MARK}"]).fetchone()[0] == 0
