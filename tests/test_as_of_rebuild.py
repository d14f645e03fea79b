"""Rebuilding an earlier day: every published mart computed from the full extracts with
``as_of = D`` equals the same mart computed from "that day's extracts" (the landing as it stood
on D, :func:`simulator.truncate.truncate_landing`) with the same as_of.

A small world (scale 0.05) is generated once; both landings go through the ingest, the ML
assets the marts read (chat signals, deviation-reason clusters: the same code the daily job
runs) and a dbt build of every model and seed (data tests left out: they check the data, not
the as-of). Every model in the ``marts`` schema is then compared in full, rows in any order,
floats within 1e-9, except those excluded below with their reason. The marts are discovered
from the dbt manifest, never listed here. Any model that reads a fact dated after as_of (a
stage entry, an opportunity's later amount, owner or close date, a later contract) makes the
two builds differ. The test is honest only if the full landing does hold such facts, so it
also checks that it does, for each kind of later fact a model must ignore.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.chat_signals.extract import extract_home_signals
from ml.chat_signals.notes import extract_home_note_hits
from ml.deviation_reasons.extract import extract_home_deviation_reasons
from salesops.config import DBT_PROJECT_DIR, Paths
from salesops.dbt_cli import project_args
from salesops.ingest import ingest_all
from simulator.config import load_config
from simulator.generate import generate
from simulator.truncate import truncate_landing

pytestmark = pytest.mark.e2e

AS_OF = date(2026, 6, 30)  # a month end: the simulator writes an opportunity extract that day
DBT = Path(sys.executable).with_name("salesops-dbt")
TOLERANCE = 1e-9

NOT_AS_OF: dict[str, str] = {
    "fct_source_availability": (
        "a catalogue of what the build's source holds: row_count counts every bronze row "
        "whatever its date (its contract), so a landing cut at D has fewer by definition"
    ),
}
"""Marts that are deliberately not figures as of a day, with the reason."""


def _ingest_and_build(home: Path, as_of: date) -> Path:
    ingest_all(Paths(home).ensure())
    extract_home_signals(home)
    extract_home_note_hits(home)
    extract_home_deviation_reasons(home, as_of=as_of)
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(DBT),
        "build",
        "--exclude-resource-type",
        "test",
        "unit_test",
        "--vars",
        json.dumps({"as_of": as_of.isoformat()}),
        *project_args(DBT_PROJECT_DIR, home / "dbt_target"),
        "--log-path",
        str(home / "dbt_logs"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"dbt build failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return home / "warehouse" / "build.duckdb"


def _published_marts(target: Path) -> list[str]:
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    )


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
        "marts": _published_marts(full / "dbt_target"),
    }


@pytest.fixture
def both(rebuilt):
    con = duckdb.connect()
    con.execute(f"attach '{rebuilt['full']}' as full_run (read_only)")
    con.execute(f"attach '{rebuilt['that_day']}' as that_day (read_only)")
    yield con
    con.close()


def _float_columns(con, catalog: str, mart: str) -> list[str]:
    return [
        name
        for name, data_type in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = ? and table_schema = 'marts' and table_name = ? "
            "order by ordinal_position",
            [catalog, mart],
        ).fetchall()
        if data_type in ("DOUBLE", "FLOAT", "REAL")
    ]


def _rows_only_in(con, mart: str, first: str, second: str) -> pd.DataFrame:
    return con.execute(
        f"select * from {first}.marts.{mart} except all select * from {second}.marts.{mart}"
    ).df()


def _differing_rows(con, mart: str) -> tuple[int, pd.DataFrame]:
    """Rows of one build not in the other once floats within TOLERANCE count as equal:
    (how many, a sample of them from each build)."""
    only_full = _rows_only_in(con, mart, "full_run", "that_day")
    only_that_day = _rows_only_in(con, mart, "that_day", "full_run")
    if only_full.empty and only_that_day.empty:
        return 0, pd.DataFrame()
    floats = _float_columns(con, "full_run", mart)
    others = [c for c in only_full.columns if c not in floats]

    def text(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[others].astype(str).fillna("<null>")  # pandas keeps NA through astype(str)

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        keys = text(frame).assign(**{c: frame[c].round(6) for c in floats})
        return frame.loc[keys.sort_values(list(keys.columns)).index].reset_index(drop=True)

    full, that_day = ordered(only_full), ordered(only_that_day)
    if floats and len(full) == len(that_day):
        # the exact difference is float noise only when the rows pair up within TOLERANCE
        same = (text(full) == text(that_day)).all(axis=1)
        for column in floats:
            a, b = full[column].to_numpy(float), that_day[column].to_numpy(float)
            same &= np.isclose(a, b, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)
        full, that_day = full[~same], that_day[~same]
    sample = pd.concat(
        [full.head(3).assign(_build="full"), that_day.head(3).assign(_build="that_day")]
    )
    return max(len(full), len(that_day)), sample


def test_every_published_mart_as_of_d_is_the_same_from_the_full_extracts_and_from_that_days(
    both, rebuilt
):
    marts = rebuilt["marts"]
    assert set(NOT_AS_OF) <= set(marts), "an exclusion names no mart"
    built = {
        catalog: {
            name
            for (name,) in both.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = ? and table_schema = 'marts'",
                [catalog],
            ).fetchall()
        }
        for catalog in ("full_run", "that_day")
    }
    assert all(set(marts) <= names for names in built.values()), "a mart was not built"
    compared = [m for m in marts if m not in NOT_AS_OF]
    print(f"\nas_of {AS_OF}: {len(compared)} marts compared, {len(NOT_AS_OF)} excluded")
    for mart, reason in NOT_AS_OF.items():
        print(f"  excluded {mart}: {reason}")
    failures, empty = [], []
    for mart in compared:
        rows = both.execute(f"select count(*) from full_run.marts.{mart}").fetchone()[0]
        differing, sample = _differing_rows(both, mart)
        print(f"  {mart:<45} {rows:>7} rows  {'same' if not differing else f'{differing} differ'}")
        if rows == 0:
            empty.append(mart)
        if differing:
            failures.append(f"{mart}: {differing} rows differ, e.g.\n{sample.to_string()}")
    assert not failures, "\n\n".join(failures)
    # an empty mart compares nothing: at most a few, and never the snapshot spine
    assert "fct_opportunity_daily_snapshot" not in empty
    assert len(empty) <= len(compared) // 10, f"empty, so nothing compared: {empty}"


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
    """Without facts after D in the full landing, the equality above would prove nothing:
    each kind of later fact a model must ignore is present."""
    bronze = rebuilt["bronze"]
    latest = f"read_parquet('{bronze / 'opportunities.parquet'}')"
    later_status, later_amount, later_owner, later_close_date = both.execute(
        f"""
        select
            count(*) filter (where latest.status <> o.status_as_of),
            count(*) filter (where cast(latest.amount as double) <> s.amount),
            count(*) filter (where latest.owner_rep_id <> s.owner_rep_id),
            count(*) filter (
                where s.is_open
                    and coalesce(latest.expected_close_date, '')
                        <> coalesce(s.expected_close_date_raw, '')
            )
        from full_run.marts.dim_opportunities as o
        inner join {latest} as latest using (opportunity_id)
        inner join full_run.marts.fct_opportunity_daily_snapshot as s
            on s.opportunity_id = o.opportunity_id and s.snapshot_date = o.as_of
        """
    ).fetchone()
    assert later_status > 0, "no opportunity closed after D"
    assert later_amount > 0, "no amount revised after D"
    assert later_owner > 0, "no owner moved after D"
    assert later_close_date > 0, "no expected close date of an open deal edited after D"
    later_forecast_amount = both.execute(
        f"""
        select count(*)
        from read_parquet('{bronze / "_history" / "opportunities.parquet"}') as on_d
        inner join {latest} as latest using (opportunity_id)
        where on_d._extract_date = ? and on_d.status = 'open'
            and latest.forecast_amount is distinct from on_d.forecast_amount
        """,
        [AS_OF],
    ).fetchone()[0]
    assert later_forecast_amount > 0, "no forecast amount of an open deal revised after D"
    hired_later, left_later = both.execute(
        f"select count(*) filter (where hire_date > ?), count(*) filter (where termination_date > ?) "
        f"from read_parquet('{bronze / 'reps.parquet'}')",
        [AS_OF, AS_OF],
    ).fetchone()
    assert (hired_later > 0, left_later > 0) == (True, True), "no rep hired or leaving after D"
    created_later = both.execute(
        f"select count(*) from {latest} where cast(created_at as date) > ?", [AS_OF]
    ).fetchone()[0]
    assert created_later > 0
    for table, column in (
        ("opportunity_stage_history", "entered_at"),
        ("contracts", "signed_at"),
        ("payments", "recorded_in_finance_at"),
        ("chat_messages", "sent_at"),
        ("deviation_reports", "submitted_at"),
    ):
        after = both.execute(
            f"select count(*) from read_parquet('{bronze / f'{table}.parquet'}') "
            f"where cast({column} as date) > ?",
            [AS_OF],
        ).fetchone()[0]
        assert after > 0, f"no {table} after D"


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


def test_a_record_of_that_day_is_kept_whatever_its_iso_spelling(tmp_path):
    """The cut is by calendar day: `2026-06-30T18:00`, an offset or a bare date on D are known
    on D; the same spellings a day later are not (text comparison of whole timestamps would
    drop `…T18:00` on D, since `T` sorts after a space)."""
    src = tmp_path / "src"
    (src / "crm").mkdir(parents=True)
    (src / "chat").mkdir()
    on_d = ["2026-06-30T18:00:00", "2026-06-30 23:59:59+08:00", "2026-06-30"]
    after = ["2026-07-01T00:00:00", "2026-07-01 08:00:00+08:00", "2026-07-01"]
    pd.DataFrame(
        {
            "activity_id": [f"A{i}" for i in range(6)],
            "rep_id": "S1",
            "kind": "call",
            "occurred_at": on_d + after,
        }
    ).to_csv(src / "crm" / "activities.csv", index=False)
    (src / "chat" / "chat_messages.jsonl").write_text(
        "\n".join(
            json.dumps({"message_id": f"M{i}", "sent_at": sent})
            for i, sent in enumerate(on_d + after)
        )
        + "\n",
        encoding="utf-8",
    )
    day = truncate_landing(src, tmp_path / "day", AS_OF)
    kept = pd.read_csv(day / "crm" / "activities.csv", dtype=str)["occurred_at"].tolist()
    messages = [
        json.loads(line)["sent_at"]
        for line in (day / "chat" / "chat_messages.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert (kept, messages) == (on_d, on_d)
