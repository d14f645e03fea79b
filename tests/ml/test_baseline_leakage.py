"""Leakage of the dynamic baseline's drivers: a driver of month M may read only facts dated
before M began.

On the default planted world's warehouse, copied into memory, every fact dated on or after
the first day of a month M is rewritten — bookings (amounts and owners), new opportunities,
the pipeline's later days, leads, competitor and market events, the month's own outcome — and
the drivers of M's rep-months must come out identical; a deliberately leaky variant (leads
counted up to the month's end) must be caught. The same copy without the optional extracts
(leads, customers, competitor and market events) still gives every rep-month a baseline and a
challenge target, those drivers empty or zero."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ml.models.baseline import features as feature_module
from ml.models.baseline.features import DRIVERS, build_drivers
from ml.models.baseline.predict import score_baselines

TABLES = (
    "marts.fct_attainment_rep_month",
    "marts.fct_opportunity_daily_snapshot",
    "marts.dim_opportunities",
    "marts.dim_reps",
    "marts.dim_org_units",
    "intermediate.int_bookings_credited",
    "staging.stg_crm__leads",
    "staging.stg_crm__customers",
    "staging.stg_crm__competitor_events",
    "staging.stg_crm__market_events",
)


def copy_warehouse(build_db, home, tables=TABLES) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"set file_search_path = '{home}'")  # staging views read bronze relative to home
    con.execute(f"attach '{build_db}' as built (read_only)")
    for schema in ("marts", "intermediate", "staging"):
        con.execute(f"create schema {schema}")
    for table in tables:
        con.execute(f"create table {table} as select * from built.{table}")
    con.execute("detach built")
    return con


@pytest.fixture(scope="module")
def world(planted_world):
    default = planted_world("default")
    build_db = default.home / "warehouse" / "build.duckdb"
    con = copy_warehouse(build_db, default.home)
    months = sorted(
        pd.to_datetime(
            con.sql("select distinct period_start from marts.fct_attainment_rep_month").df()[
                "period_start"
            ]
        )
    )
    month = months[len(months) * 2 // 3]
    yield con, build_db, default.home, month
    con.close()


def rewrite_from(con: duckdb.DuckDBPyConnection, month: pd.Timestamp) -> None:
    start = f"date '{month:%Y-%m-%d}'"
    con.execute(
        f"update intermediate.int_bookings_credited set amount = amount * 10 where signed_on >= {start}"
    )
    con.execute(f"""
        insert into intermediate.int_bookings_credited
        select contract_id || '-later', opportunity_id, rep_id, team_id, signed_at + interval 3 day,
               signed_on + 3, period, amount * 3
        from intermediate.int_bookings_credited where signed_on >= {start}
    """)
    con.execute(f"""
        update marts.fct_opportunity_daily_snapshot
        set amount = amount * 7, stage = 'contract_approval'
        where snapshot_date >= {start}
    """)
    con.execute(
        f"update marts.dim_opportunities set product_line = 'later' where created_at >= {start}"
    )
    con.execute(f"""
        insert into marts.dim_opportunities by name
        select * replace (
            opportunity_id || '-later' as opportunity_id, {start} + interval 2 day as created_at
        )
        from marts.dim_opportunities
    """)
    con.execute(
        f"update staging.stg_crm__leads set quality_score = 100 where created_at >= {start}"
    )
    con.execute(
        f"insert into staging.stg_crm__leads select * replace (created_at + interval 1 day as created_at) from staging.stg_crm__leads where created_at >= {start} - interval 1 day"
    )
    con.execute(
        f"update staging.stg_crm__competitor_events set magnitude = 9 where occurred_on >= {start}"
    )
    con.execute(
        f"update staging.stg_crm__market_events set expected_uplift = 5 where start_on >= {start}"
    )
    con.execute(
        f"update marts.fct_attainment_rep_month set bookings = bookings * 10 where period_start >= {start}"
    )


def drivers_of(con, month) -> pd.DataFrame:
    frame = build_drivers(con)
    rows = frame[frame["month_start"] == month]
    return rows.set_index("rep_id")[list(DRIVERS)].sort_index()


def test_no_driver_of_a_month_reads_a_fact_of_that_month_or_later(world):
    con, build_db, home, month = world
    before = drivers_of(con, month)
    assert len(before) > 10 and before["lead_count_30d"].sum() > 0
    future = copy_warehouse(build_db, home)
    rewrite_from(future, month)
    after = drivers_of(future, month)
    pd.testing.assert_frame_equal(before, after[before.columns])
    later = build_drivers(future)
    assert (later.loc[later["month_start"] >= month, "bookings"] > 0).any()


def test_a_leaky_driver_is_caught(world, monkeypatch):
    con, build_db, home, month = world
    before = drivers_of(con, month)
    future = copy_warehouse(build_db, home)
    rewrite_from(future, month)
    sql = feature_module._DRIVERS_SQL
    assert "leads.created_at < rep_months.month_start" in sql
    monkeypatch.setattr(
        feature_module,
        "_DRIVERS_SQL",
        sql.replace(
            "leads.created_at < rep_months.month_start",
            "leads.created_at < rep_months.month_start + interval 31 day",
        ),
    )
    after = drivers_of(future, month)
    assert not after[before.columns].equals(before)


def test_without_the_optional_extracts_every_rep_month_still_gets_its_targets(world, tmp_path):
    _, build_db, home, _ = world
    required = tuple(t for t in TABLES if not t.startswith("staging."))
    con = copy_warehouse(build_db, home, required)
    result = score_baselines(con, tmp_path, tmp_path / "models")
    con.close()
    assert result.rep_months > 100 and result.models > 0
    drivers = pd.read_parquet(result.paths["baseline_contributions"])
    absent = drivers[
        drivers["driver"].isin(["lead_count_30d", "competitor_events_3m", "market_events"])
    ]
    assert len(absent) and (absent["contribution"].abs() < 1e-6).all()
    challenges = pd.read_parquet(result.paths["challenge_targets"])
    assert len(challenges) > 100 and challenges["challenge_target"].notna().all()
    assert (challenges["new_lead_count"] == 0).all() and (challenges["lead_potential"] == 0).all()
    assert (challenges["profile_potential"] == 0).all()  # no customers: no profile to match
