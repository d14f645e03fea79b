"""The incremental daily snapshot equals a full rebuild, also when an extract corrects the past.

A small world (scale 0.05) is generated once and cut twice (:func:`simulator.truncate.truncate_landing`):
the landing as it stood on the day before the last day, and on the last day. In the second one
two past facts are corrected, as a re-exported extract would: one opportunity's amount in an
old month-end extract, and the day another opportunity entered a stage. Home "daily" builds the
first landing, then the second one incrementally; home "fresh" builds the second landing from
nothing. The daily snapshot (intermediate and mart) must be equal row for row, and the
incremental build must have kept most rows (it did not recompute history) while recomputing
the corrected opportunities whole.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salesops.config import DBT_PROJECT_DIR, Paths
from salesops.dbt_cli import project_args
from salesops.ingest import ingest_all
from simulator.config import load_config
from simulator.generate import generate
from simulator.truncate import truncate_landing

pytestmark = pytest.mark.e2e

DBT = Path(sys.executable).with_name("salesops-dbt")
LAST_DAY = date(2026, 10, 31)
SELECT = "+int_opportunity_daily_snapshot +fct_opportunity_daily_snapshot"
MART = "marts.fct_opportunity_daily_snapshot"
BUSINESS = (
    "snapshot_date, opportunity_id, owner_rep_id, team_id, stage, status, amount, "
    "expected_close_date_raw, expected_close_on, probability, is_open"
)


def _build(home: Path, select: str = SELECT) -> subprocess.CompletedProcess:
    ingest_all(Paths(home).ensure())
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(DBT), "build", "--select", select, "--exclude-resource-type", "test", "unit_test",
        *project_args(DBT_PROJECT_DIR, home / "dbt_target"), "--log-path", str(home / "dbt_logs"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"dbt build failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return done


def _correct_the_past(landing: Path) -> dict[str, str]:
    """Two corrections a re-export brings: an old extract's amount, a past stage entry's day."""
    crm = landing / "crm"
    extract = crm / "opportunities_2026-06-30.csv"
    values = pd.read_csv(extract, dtype=str, keep_default_na=False)
    # an opportunity still open on that extract's day, so its amount shows in the snapshot
    amount_row = values.index[(values["amount"] != "") & (values["status"] == "open")][0]
    amount_opportunity = values.at[amount_row, "opportunity_id"]
    values.at[amount_row, "amount"] = str(float(values.at[amount_row, "amount"]) + 12345)
    values.to_csv(extract, index=False)

    history_file = crm / "opportunity_stage_history.csv"
    history = pd.read_csv(history_file, dtype=str, keep_default_na=False)
    entered = pd.to_datetime(history["entered_at"])
    # an entry in mid-2026 of an opportunity with a later entry: moved one day earlier
    later = history.groupby("opportunity_id")["entered_at"].transform("max") > history["entered_at"]
    other = history["opportunity_id"] != amount_opportunity
    candidates = history.index[other & later & (entered > "2026-05-01") & (entered < "2026-06-01")]
    row = candidates[0]
    stage_opportunity = history.at[row, "opportunity_id"]
    history.at[row, "entered_at"] = (entered[row] - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    history.to_csv(history_file, index=False)
    return {"amount": amount_opportunity, "stage": stage_opportunity}


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
    corrected = _correct_the_past(daily / "landing")
    shutil.copytree(daily / "landing", fresh / "landing")
    _build(daily)
    _build(fresh)
    return {
        "daily": daily,
        "fresh": fresh,
        "corrected": corrected,
        "rows_before": before,
        "mart_before": mart_before,
    }


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
            list(builds["corrected"].values()),
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


def test_an_unchanged_rerun_rewrites_no_row(builds):
    """The same extracts again (a re-run after a failed publish, the scheduler firing twice):
    nothing to delete, nothing to add. DuckDB gives appended rows new row ids, so equal
    row-id ranges and counts mean no row was rewritten."""
    relations = ("intermediate.int_opportunity_daily_snapshot", MART)
    before = [_row_ids(builds["daily"], relation) for relation in relations]
    _build(builds["daily"])
    assert [_row_ids(builds["daily"], relation) for relation in relations] == before
    assert _differences(builds, "intermediate.int_opportunity_daily_snapshot", BUSINESS) == 0


def test_the_mart_built_without_its_spine_is_copied_whole(builds):
    """A selection without the spine (the Dagster UI materialising the mart alone) cannot
    know what the spine wrote since: the mart is replaced whole, still equal to the spine."""
    _build(builds["daily"], select="fct_opportunity_daily_snapshot")
    assert _differences(builds, MART, BUSINESS) == 0
    rows, _ = _row_ids(builds["daily"], MART)
    with duckdb.connect(str(_db(builds["daily"])), read_only=True) as con:
        spine = con.execute("select count(*) from intermediate.int_opportunity_daily_snapshot").fetchone()[0]
    assert rows == spine
