"""Rebuilding an earlier day: the marts computed from the full extracts with ``as_of = D`` equal
those computed from "that day's extracts" (the landing as it stood on D,
:func:`simulator.truncate.truncate_landing`) with the same as_of.

A small world (scale 0.05) is generated once; both landings go through the ingest and a dbt
build of the as-of marts. Any model that reads a fact dated after as_of (a stage entry, an
opportunity's later amount or owner, a later close) makes the two builds differ. The test is
honest only if the full landing does hold such facts, so it also checks that the figures as
they stand at the end differ from those of D.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from salesops.config import DBT_PROJECT_DIR, Paths
from salesops.dbt_cli import project_args
from salesops.ingest import ingest_all
from simulator.config import load_config
from simulator.generate import generate
from simulator.truncate import truncate_landing

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 6, 30)  # a month end: the simulator writes an opportunity extract that day
AS_OF_MARTS = (
    "fct_opportunity_daily_snapshot",
    "dim_opportunities",
    "fct_funnel_stages",
    "fct_funnel_summary",
    "fct_lead_to_sign",
)
DBT = Path(sys.executable).with_name("dbt")


def _ingest_and_build(home: Path, as_of: date) -> Path:
    ingest_all(Paths(home).ensure())
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    selection = [f"+{mart}" for mart in AS_OF_MARTS]
    command = [
        str(DBT),
        "build",
        "--select",
        *selection,
        "--indirect-selection",
        "cautious",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        f'{{"as_of": "{as_of.isoformat()}"}}',
        *project_args(DBT_PROJECT_DIR, home / "dbt_target"),
        "--log-path",
        str(home / "dbt_logs"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"dbt build failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return home / "warehouse" / "build.duckdb"


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    root = tmp_path_factory.mktemp("as_of_rebuild")
    full, day = root / "full", root / "that_day"
    generate(load_config(overrides=["scale=0.05", "seed=42"]), full / "landing")
    truncate_landing(full / "landing", day / "landing", AS_OF)
    return {
        "full_landing": full / "landing",
        "full": _ingest_and_build(full, AS_OF),
        "that_day": _ingest_and_build(day, AS_OF),
        "bronze": full / "bronze",
    }


@pytest.fixture
def both(rebuilt):
    con = duckdb.connect()
    con.execute(f"attach '{rebuilt['full']}' as full_run (read_only)")
    con.execute(f"attach '{rebuilt['that_day']}' as that_day (read_only)")
    yield con
    con.close()


@pytest.mark.parametrize("mart", AS_OF_MARTS)
def test_the_mart_as_of_d_is_the_same_from_the_full_extracts_and_from_that_days(both, mart):
    rows = both.execute(f"select count(*) from full_run.marts.{mart}").fetchone()[0]
    assert rows > 0, f"{mart} is empty: nothing compared"
    only_full = both.execute(
        f"select count(*) from (select * from full_run.marts.{mart} "
        f"except all select * from that_day.marts.{mart})"
    ).fetchone()[0]
    only_that_day = both.execute(
        f"select count(*) from (select * from that_day.marts.{mart} "
        f"except all select * from full_run.marts.{mart})"
    ).fetchone()[0]
    assert (only_full, only_that_day) == (0, 0), (
        f"{mart}: {only_full} rows only in the full-extract build, "
        f"{only_that_day} only in the build on that day's extracts"
    )


def test_the_as_of_is_d_in_both(both):
    for catalog in ("full_run", "that_day"):
        as_of = both.execute(
            f"select distinct as_of from {catalog}.marts.fct_funnel_summary"
        ).fetchall()
        assert as_of == [(AS_OF,)]
        last_day = both.execute(
            f"select max(snapshot_date) from {catalog}.marts.fct_opportunity_daily_snapshot"
        ).fetchone()[0]
        assert last_day == AS_OF


def test_the_full_extracts_hold_later_facts_that_would_change_the_figures(both, rebuilt):
    """Without facts after D in the full landing, the equality above would prove nothing."""
    bronze = rebuilt["bronze"]
    latest = f"read_parquet('{bronze / 'opportunities.parquet'}')"
    later_status, later_amount, later_owner = both.execute(
        f"""
        select
            count(*) filter (where latest.status <> o.status_as_of),
            count(*) filter (where cast(latest.amount as double) <> s.amount),
            count(*) filter (where latest.owner_rep_id <> s.owner_rep_id)
        from full_run.marts.dim_opportunities as o
        inner join {latest} as latest using (opportunity_id)
        inner join full_run.marts.fct_opportunity_daily_snapshot as s
            on s.opportunity_id = o.opportunity_id and s.snapshot_date = o.as_of
        """
    ).fetchone()
    assert later_status > 0, "no opportunity closed after D"
    assert later_amount > 0, "no amount revised after D"
    assert later_owner > 0, "no owner moved after D"
    created_later = both.execute(
        f"select count(*) from {latest} where cast(created_at as date) > ?", [AS_OF]
    ).fetchone()[0]
    assert created_later > 0
    history_after = both.execute(
        f"select count(*) from read_parquet('{bronze / 'opportunity_stage_history.parquet'}') "
        "where cast(entered_at as date) > ?",
        [AS_OF],
    ).fetchone()[0]
    assert history_after > 0


def test_that_days_landing_holds_nothing_after_d(rebuilt, tmp_path):
    landing = tmp_path / "landing"
    truncate_landing(rebuilt["full_landing"], landing, AS_OF)
    parts = sorted(p.name for p in (landing / "crm").glob("opportunities*.csv"))
    assert parts[-1] == f"opportunities_{AS_OF.isoformat()}.csv"
    assert "opportunities.csv" not in parts
    con = duckdb.connect()
    try:
        late = con.execute(
            f"select count(*) from read_csv('{landing / 'crm' / 'opportunity_stage_history.csv'}', "
            "all_varchar = true) where entered_at > ?",
            [f"{AS_OF.isoformat()} 23:59:59"],
        ).fetchone()[0]
        late_chat = con.execute(
            f"select count(*) from read_json('{landing / 'chat' / '*.jsonl'}', "
            "format = 'newline_delimited') where cast(sent_at as timestamp) > ?",
            [f"{AS_OF.isoformat()} 23:59:59"],
        ).fetchone()[0]
    finally:
        con.close()
    assert (late, late_chat) == (0, 0)
