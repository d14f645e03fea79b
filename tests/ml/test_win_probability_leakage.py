"""Leakage: nothing known after a scoring day may reach that day's features, and nothing known
after an origin may reach the model fitted at it.

On the default planted world's marts, copied into memory, every fact dated after a scoring
day D is rewritten — later stage moves, amounts and rule probabilities, later chat signals
(more mentions, new categories), later closings (outcomes flipped, new ones added), later
adoption of the structured process, and the current-state columns of the dimensions — and
the features of D must come out identical. Two deliberately leaky variants of the feature SQL
(a signal count without its date filter, an owner record counting later closings) must be
caught, so the check can fail."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from ml.models.win_probability import features as feature_module
from ml.models.win_probability.features import build_features, feature_columns
from ml.models.win_probability.train import fit_origin, origins, training_rows

TABLES = (
    "marts.fct_opportunity_scoring_days",
    "marts.fct_opportunity_daily_snapshot",
    "marts.fct_opportunity_signals_daily",
    "marts.dim_opportunities",
    "marts.dim_reps",
    "marts.dim_org_units",
)


def copy_marts(build_db) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"attach '{build_db}' as built (read_only)")
    con.execute("create schema marts")
    for table in TABLES:
        con.execute(f"create table {table} as select * from built.{table}")
    con.execute("detach built")
    return con


@pytest.fixture(scope="module")
def world(planted_world):
    default = planted_world("default")
    build_db = default.home / "warehouse" / "build.duckdb"
    con = copy_marts(build_db)
    days = sorted(
        d
        for (d,) in con.execute(
            "select distinct scored_on from marts.fct_opportunity_scoring_days where lock_day = 15"
        ).fetchall()
    )
    day = days[len(days) * 2 // 3]
    yield con, build_db, day
    con.close()


def rewrite_the_future(con: duckdb.DuckDBPyConnection, day) -> None:
    """Every fact dated after ``day`` changed; every fact on or before it kept."""
    after = f"date '{day + timedelta(days=1)}'"
    con.execute(f"""
        update marts.fct_opportunity_scoring_days
        set stage = 'contract_approval', amount = amount * 10, rule_probability = 0.99,
            days_in_stage = 0, crm_probability = 0.01
        where scored_on > date '{day}'
    """)
    con.execute(f"""
        update marts.fct_opportunity_signals_daily set mentions = mentions * 7
        where signal_date > date '{day}'
    """)
    con.execute(f"""
        insert into marts.fct_opportunity_signals_daily
        select opportunity_id, category, true, keywords, 5, 5, {after}, as_of
        from marts.fct_opportunity_signals_daily
        where opportunity_id in (
            select opportunity_id from marts.fct_opportunity_scoring_days where scored_on = date '{day}'
        )
    """)
    con.execute(f"""
        update marts.fct_opportunity_daily_snapshot
        set status = case status when 'won' then 'lost' when 'lost' then 'won' else status end
        where snapshot_date > date '{day}'
    """)
    con.execute(f"""
        insert into marts.fct_opportunity_daily_snapshot
        select {after}, opportunity_id, owner_rep_id, team_id, 'won', 'won', amount,
               expected_close_date_raw, expected_close_on, 1.0, false
        from marts.fct_opportunity_daily_snapshot
        where snapshot_date = date '{day}' and is_open
    """)
    con.execute(f"""
        update marts.dim_org_units set structured_since = {after}
        where structured_since is null or structured_since > date '{day}'
    """)
    con.execute("update marts.dim_opportunities set latest_stage = 'won', status_as_of = 'won'")
    con.execute(f"update marts.dim_reps set termination_date = {after}, is_active = false")


def features_of(con, day) -> pd.DataFrame:
    frame = build_features(con)
    rows = frame[pd.to_datetime(frame["scored_on"]) == pd.Timestamp(day)]
    columns = feature_columns(frame)
    return rows.set_index("opportunity_id")[columns].sort_index()


def test_no_feature_of_a_scoring_day_reads_a_later_fact(world):
    con, build_db, day = world
    before = features_of(con, day)
    assert len(before) > 100 and before.filter(like="signal_").to_numpy().sum() > 0
    future = copy_marts(build_db)
    rewrite_the_future(future, day)
    after = features_of(future, day)
    pd.testing.assert_frame_equal(before, after[before.columns], check_dtype=False)
    # the rewrite reached the later days: a check that changed nothing would prove nothing
    later = build_features(future)
    assert (
        later.loc[pd.to_datetime(later["scored_on"]) > pd.Timestamp(day), "rule_probability"]
        == 0.99
    ).all()


@pytest.mark.parametrize(
    "leak",
    [
        ("and signals.signal_date <= scoring.scored_on", ""),
        ("and closings.closed_on <= scoring.scored_on", ""),
    ],
    ids=["signals-without-date-filter", "owner-record-counting-later-closings"],
)
def test_a_leaky_feature_is_caught(world, monkeypatch, leak):
    con, build_db, day = world
    found, replacement = leak
    before = features_of(con, day)
    future = copy_marts(build_db)
    rewrite_the_future(future, day)
    for name in ("_SIGNALS_SQL", "_BASE_SQL"):
        sql = getattr(feature_module, name)
        if found in sql:
            monkeypatch.setattr(feature_module, name, sql.replace(found, replacement))
            break
    else:
        pytest.fail(f"the feature SQL no longer contains {found!r}")
    after = features_of(future, day)
    assert not after[before.columns].reset_index(drop=True).equals(before.reset_index(drop=True))


def test_a_model_knows_only_outcomes_closed_before_its_origin(world):
    con, _, _ = world
    frame = build_features(con)
    columns = feature_columns(frame)
    origin = origins(frame)[-4]
    rows = training_rows(frame, origin)
    assert len(rows) and (pd.to_datetime(rows["closed_on"]) < origin).all()
    assert (pd.to_datetime(rows["scored_on"]) < origin).all()
    # flip every outcome that closed on or after the origin, and close the still-open deals
    changed = frame.copy()
    later = pd.to_datetime(changed["closed_on"]) >= origin
    changed.loc[later, "outcome"] = changed.loc[later, "outcome"].map(
        {"won": "lost", "lost": "won"}
    )
    still_open = changed["closed_on"].isna()
    changed.loc[still_open, "outcome"] = "won"
    changed.loc[still_open, "closed_on"] = origin + pd.Timedelta(days=3)
    assert later.sum() > 100
    pd.testing.assert_frame_equal(rows, training_rows(changed, origin))
    month = (
        pd.to_datetime(frame["scored_on"]).dt.to_period("M").dt.to_timestamp() == origin
    ).to_numpy()
    with threadpool_limits(1):
        first = fit_origin(rows, columns, origin).model.predict_proba(frame.loc[month, columns])[
            :, 1
        ]
        second = fit_origin(training_rows(changed, origin), columns, origin).model.predict_proba(
            changed.loc[month, columns]
        )[:, 1]
    np.testing.assert_array_equal(first, second)
