"""The whole daily job on generated extracts, checked against figures computed independently.

Runs the front door (`salesops run`) in a subprocess on a small generated landing zone, then
recomputes the funnel marts with pandas straight from the CSV extracts, following the
definitions in SPEC §4–5 and the marts' YAML, and compares.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from salesops import contract

pytestmark = pytest.mark.e2e

SALESOPS = str(Path(sys.executable).with_name("salesops"))
ORDER = {"lead": 1, "qualified": 2, "quote": 3, "negotiation": 4, "contract_approval": 5, "won": 6}
OPEN_STAGES = ["lead", "qualified", "quote", "negotiation", "contract_approval"]


def run_job(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SALESOPS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    # only the marts this module checks (and everything they need): the full build of every
    # mart runs in the planted worlds (tests/conftest.py)
    select = ["--select", "fct_funnel_stages fct_funnel_summary fct_lead_to_sign dim_org_units"]
    return subprocess.run([SALESOPS, "run", *args, *select], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("salesops_home")
    done = run_job(home, "--scale", "0.03", "--seed", "7")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home


@pytest.fixture(scope="module")
def snapshot(home):
    con = duckdb.connect(str(home / "warehouse" / "salesops.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def extracts(home) -> dict[str, pd.DataFrame]:
    crm = home / "landing" / "crm"
    read = lambda p: pd.read_csv(p, dtype=str, keep_default_na=False)  # noqa: E731
    frames = {name: read(crm / f"{name}.csv") for name in ("org_units", "reps", "leads", "opportunities", "opportunity_stage_history")}
    frames["contracts"] = read(home / "landing" / "finance" / "contracts.csv")
    return frames


def independent_funnel(x: dict[str, pd.DataFrame]) -> tuple[pd.Timestamp, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Funnel figures per opportunity, from the raw extracts (no dbt, no warehouse)."""
    opps = x["opportunities"].assign(created_at=lambda d: pd.to_datetime(d.created_at))
    hist = x["opportunity_stage_history"].assign(entered_at=lambda d: pd.to_datetime(d.entered_at))
    as_of = max(hist.entered_at.max().normalize(), opps.created_at.max().normalize())
    day_end = as_of + pd.Timedelta(days=1)
    opps = opps[opps.created_at < day_end]
    hist = hist[(hist.entered_at < day_end) & hist.opportunity_id.isin(opps.opportunity_id)]
    hist = hist.sort_values(["opportunity_id", "entered_at"], kind="stable")

    furthest = hist[hist.stage != "lost"].assign(o=lambda d: d.stage.map(ORDER)).groupby("opportunity_id").o.max()
    latest = hist.groupby("opportunity_id").stage.last()
    per_opp = opps[["opportunity_id", "owner_rep_id", "lead_id", "created_at"]].set_index("opportunity_id")
    per_opp["furthest"] = furthest.reindex(per_opp.index).fillna(1).astype(int)
    per_opp["latest"] = latest.reindex(per_opp.index).fillna("lead")

    hist["next_at"] = hist.groupby("opportunity_id").entered_at.shift(-1)
    ended = hist.dropna(subset=["next_at"])
    dwell = (
        ended.assign(days=(ended.next_at - ended.entered_at).dt.total_seconds() / 86400)
        .groupby(["opportunity_id", "stage"]).days.sum().rename("days").reset_index()
    )

    reps = x["reps"].set_index("rep_id").team_id
    units = x["org_units"].set_index("unit_id")
    def region_of(unit):
        while unit and units.loc[unit, "level"] != "region":
            unit = units.loc[unit, "parent_id"]
        return unit
    per_opp["team_id"] = per_opp.owner_rep_id.map(reps)
    per_opp["region_id"] = per_opp.team_id.map(region_of)
    dwell["region_id"] = dwell.opportunity_id.map(per_opp.region_id)

    contracts = x["contracts"].assign(signed_at=lambda d: pd.to_datetime(d.signed_at))
    signed = contracts[contracts.signed_at < day_end].groupby("opportunity_id").signed_at.min()
    leads = x["leads"].assign(created_at=lambda d: pd.to_datetime(d.created_at)).set_index("lead_id").created_at
    won = per_opp[(per_opp.latest == "won") & per_opp.index.isin(signed.index)].copy()
    won["lead_created_at"] = won.lead_id.map(leads).fillna(won.created_at)
    won["days"] = (signed.reindex(won.index).dt.normalize() - won.lead_created_at.dt.normalize()).dt.days
    return as_of, per_opp, dwell, won


def expected_stage_rows(per_opp: pd.DataFrame, dwell: pd.DataFrame) -> dict[str, dict]:
    rows = {}
    for stage in OPEN_STAGES:
        o = ORDER[stage]
        d = dwell[dwell.stage == stage].days
        rows[stage] = {
            "reached_count": int((per_opp.furthest >= o).sum()),
            "advanced_count": int((per_opp.furthest >= o + 1).sum()),
            "open_count": int((per_opp.latest == stage).sum()),
            "lost_count": int(((per_opp.latest == "lost") & (per_opp.furthest == o)).sum()),
            "median_dwell_days": float(np.median(d)) if len(d) else None,
            "dwell_sample_count": int(len(d)),
        }
    return rows


def mart_stage_rows(snapshot, unit_id: str) -> dict[str, dict]:
    frame = snapshot.execute(
        "select stage, reached_count, advanced_count, open_count, lost_count, conversion_rate, "
        "median_dwell_days, dwell_sample_count from marts.fct_funnel_stages where unit_id = ?",
        [unit_id],
    ).df()
    return {r.stage: r._asdict() for r in frame.itertuples(index=False)}


def assert_funnel_matches(mart: dict, expected: dict) -> None:
    assert set(mart) == set(OPEN_STAGES)
    for stage, want in expected.items():
        got = mart[stage]
        for key in ("reached_count", "advanced_count", "open_count", "lost_count", "dwell_sample_count"):
            assert got[key] == want[key], (stage, key, got[key], want[key])
        if want["median_dwell_days"] is None:
            assert pd.isna(got["median_dwell_days"])
        else:
            assert got["median_dwell_days"] == pytest.approx(want["median_dwell_days"], rel=1e-9), stage
        if want["reached_count"]:
            assert got["conversion_rate"] == pytest.approx(want["advanced_count"] / want["reached_count"])


def test_run_publishes_a_non_empty_funnel(snapshot):
    assert snapshot.execute("select count(*) from marts.fct_funnel_stages where reached_count > 0").fetchone()[0] > 0
    (run_id,) = snapshot.execute("select run_id from main.publish_info").fetchone()
    assert run_id


def test_hq_funnel_matches_an_independent_computation(snapshot, extracts):
    as_of, per_opp, dwell, _ = independent_funnel(extracts)
    (mart_as_of,) = snapshot.execute("select max(as_of) from marts.fct_funnel_stages").fetchone()
    assert pd.Timestamp(mart_as_of) == as_of
    hq = extracts["org_units"].query("level == 'hq'").unit_id.item()
    assert_funnel_matches(mart_stage_rows(snapshot, hq), expected_stage_rows(per_opp, dwell))


def test_every_region_funnel_matches(snapshot, extracts):
    _, per_opp, dwell, _ = independent_funnel(extracts)
    regions = extracts["org_units"].query("level == 'region'").unit_id
    assert len(regions) == 5
    for region in regions:
        expected = expected_stage_rows(per_opp[per_opp.region_id == region], dwell[dwell.region_id == region])
        assert_funnel_matches(mart_stage_rows(snapshot, region), expected)


def test_lead_to_sign_cycle_and_win_rate_match(snapshot, extracts):
    _, per_opp, _, won = independent_funnel(extracts)
    hq = extracts["org_units"].query("level == 'hq'").unit_id.item()
    got = snapshot.execute(
        "select won_count, lost_count, win_rate_count, signed_count, median_lead_to_sign_days, avg_lead_to_sign_days "
        "from marts.fct_funnel_summary where unit_id = ?",
        [hq],
    ).fetchone()
    won_n, lost_n = int((per_opp.latest == "won").sum()), int((per_opp.latest == "lost").sum())
    assert got[:2] == (won_n, lost_n)
    assert got[2] == pytest.approx(won_n / (won_n + lost_n))
    assert got[3] == len(won)
    assert got[4] == pytest.approx(float(np.median(won.days)))
    assert got[5] == pytest.approx(float(won.days.mean()))


def test_row_accounting_holds_for_every_file(home):
    accounts = list((home / "bronze" / "_accounts").glob("*.json"))
    assert {p.stem for p in accounts} == set(contract.TABLES)
    for path in accounts:
        for f in json.loads(path.read_text())["files"]:
            assert f["rows_read"] == (
                f["rows_accepted"] + f["rows_quarantined"] + f["rows_superseded"] + f["rows_set_aside"]
            ), f
            assert f["rows_quarantined"] == 0, f"the simulator's own data should type cleanly: {f}"


def test_a_run_whose_blocking_check_fails_publishes_nothing(home, snapshot, extracts):
    """A rep missing from reps.csv breaks referential integrity: a dbt test fails, nothing is published."""
    (before,) = snapshot.execute("select run_id from main.publish_info").fetchone()
    won = extracts["opportunities"].query("status == 'won'")
    owner = won.owner_rep_id.iloc[0]
    path = home / "landing" / "crm" / "reps.csv"
    original = path.read_text(encoding="utf-8")
    path.write_text("".join(line for line in original.splitlines(keepends=True) if not line.startswith(f"{owner},")), encoding="utf-8")
    try:
        done = run_job(home)
    finally:
        path.write_text(original, encoding="utf-8")
    assert done.returncode != 0
    assert "salesops_dbt_assets" in done.stderr and "previous snapshot" in done.stderr
    with duckdb.connect(str(home / "warehouse" / "salesops.duckdb"), read_only=True) as con:
        assert con.execute("select run_id from main.publish_info").fetchone() == (before,)
