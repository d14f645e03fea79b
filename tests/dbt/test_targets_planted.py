"""Targets marts recover what the simulator planted, in the default, alt and field worlds.

truth.json `cascade.realised_by_period` holds each month's ratios computed from the written
targets table (Σ child ÷ Σ parent per level); `adoption.realised` holds the structured vs
traditional target deviation rate and trailing-6-month attainment volatility computed from
the simulator's own rep-months. The default world has no team targets; the alt world has
(cascade.team_targets), so its cascade carries the team step.

The field world (simulator/configs/field.yaml) is held to the same bars: its targets,
adjustments and deviation reports arrive in the contract's shape beside the vendor's
opportunity export, and what it changes — reps who leave mid-quarter, reassigned deals, a
heavy tail of deal sizes — enters the truth and the marts the same way (rep-months of the
reps on the books, bookings credited to the owner of record at signing). Measured there:
cascade within 0.00005 of the realised ratios, subtree means within 0.45 pp of the planted
ones, deviation rate within 0.0001 and volatility within 0.004 pp of the truth.
"""

from __future__ import annotations

import csv

import pytest

WORLDS = ["default", "alt", "field"]
STEP_COLUMNS = {
    "region_over_hq": "region_over_hq",
    "city_over_region": "city_over_region",
    "rep_over_city": "rep_over_city",
    "team_over_city": "team_over_city",
    "rep_over_team": "rep_over_team",
    "end_to_end": "end_to_end_rate",
}
# The tolerance. The mart and truth.py apply the same definition to the same rows,
# so the only expected difference is truth.json's 4-decimal rounding (< 0.005 pp).
CASCADE_TOLERANCE = 0.01


@pytest.mark.parametrize("name", WORLDS)
def test_hq_cascade_matches_the_realised_ratios_every_month(planted_world, name):
    world = planted_world(name)
    realised = world.truth["cascade"]["realised_by_period"]
    measured = world.query(
        "select * from marts.fct_target_cascade where unit_level = 'hq' order by period"
    ).set_index("period")
    assert sorted(measured.index) == sorted(realised)
    team_step = bool(world.truth["cascade"]["planted"]["team_targets"])
    assert measured["has_team_step"].eq(team_step).all()
    for period, ratios in realised.items():
        assert ("team_over_city" in ratios) == team_step
        for key, value in ratios.items():
            got = measured.loc[period, STEP_COLUMNS[key]]
            assert got == pytest.approx(value, abs=CASCADE_TOLERANCE), (period, key)
    if not team_step:
        assert measured["team_over_city"].isna().all()


@pytest.mark.parametrize("name", WORLDS)
def test_every_subtree_decays_at_the_planted_rate(planted_world, name):
    """Per region and city scope, the mean over months of each step recovers the planted
    ratio: each unit's target carries N(1, period_noise = 1%) noise and rounding to 10,000
    yuan, so a 24-month mean has a standard error near 0.2 pp; 1.5 pp is over 5 of them.
    The field world plants the same 1% noise over 24 months: same bar."""
    world = planted_world(name)
    planted = world.truth["cascade"]["planted"]
    means = world.query(
        "select unit_level, unit_id, avg(city_over_region) as city_over_region,"
        " avg(team_over_city) as team_over_city, avg(rep_over_city) as rep_over_city,"
        " count(*) as months"
        " from marts.fct_target_cascade where unit_level in ('region', 'city')"
        " group by unit_level, unit_id"
    )
    assert set(means["unit_level"]) == {"region", "city"}
    assert (means["months"] >= 12).all()
    regions = means[means["unit_level"] == "region"]
    assert regions["city_over_region"].sub(planted["city_over_region"]).abs().max() < 0.015
    assert means["rep_over_city"].sub(planted["rep_over_city"]).abs().max() < 0.015
    if planted["team_targets"]:
        team_over_city = world.truth["config"]["cascade"]["team_over_city"]
        assert means["team_over_city"].sub(team_over_city).abs().max() < 0.015
    else:
        assert means["team_over_city"].isna().all()


@pytest.mark.parametrize("name", WORLDS)
def test_deviation_and_volatility_by_regime_match_the_realised_truth(planted_world, name):
    """Same rep-months, same bookings (contracts by owner and signing month) and the same
    same-regime 6-month window as truth.py: only rounding may differ (truth keeps 4 decimals
    for the rate, 2 for the pp)."""
    world = planted_world(name)
    realised = world.truth["adoption"]["realised"]
    measured = world.query(
        "select process_regime, avg(target_deviation_rate) as target_deviation_rate,"
        " avg(attainment_volatility_pp) as attainment_volatility_pp"
        " from marts.fct_attainment_rep_month group by process_regime"
    ).set_index("process_regime")
    for regime in ("traditional", "structured"):
        truth = realised[regime]
        got = measured.loc[regime]
        assert got["target_deviation_rate"] == pytest.approx(
            truth["target_deviation_rate"], abs=1e-3
        )
        assert got["attainment_volatility_pp"] == pytest.approx(
            truth["attainment_volatility_pp"], abs=0.05
        )
    # the article's direction: the structured process deviates less and swings less
    assert (
        measured.loc["structured", "target_deviation_rate"]
        < measured.loc["traditional", "target_deviation_rate"]
    )
    assert (
        measured.loc["structured", "attainment_volatility_pp"]
        < measured.loc["traditional", "attainment_volatility_pp"]
    )


@pytest.mark.parametrize("name", WORLDS)
def test_team_average_deviation_is_the_mean_of_its_reps(planted_world, name):
    world = planted_world(name)
    check = world.query(
        "select team.period, team.unit_id, team.avg_target_deviation_rate as team_rate,"
        " avg(rep.target_deviation_rate) as rep_mean"
        " from marts.fct_target_deviation_unit_month as team"
        " inner join marts.fct_attainment_rep_month as rep"
        "   on rep.team_id = team.unit_id and rep.period = team.period"
        " where team.unit_level = 'team'"
        " group by team.period, team.unit_id, team.avg_target_deviation_rate"
    )
    assert len(check) > 100
    assert check["team_rate"].sub(check["rep_mean"]).abs().max() < 1e-9


@pytest.mark.parametrize("name", WORLDS)
def test_structured_units_calibrate_in_time_more_often(planted_world, name):
    """Planted: structured cities file a deviation report in 95% of weeks (traditional 30%)
    and reps request adjustments four times as often, so structured deviation events are
    answered within 72 h far more often. The field world plants the same shares (measured:
    42% vs 13% of events answered in time), so the same bar."""
    world = planted_world(name)
    planted = world.truth["adoption"]["planted"]
    assert (
        planted["deviation_report_week_share"]["structured"]
        > planted["deviation_report_week_share"]["traditional"]
    )
    rates = world.query(
        "select process_regime, avg(case when is_calibrated_in_time then 1.0 else 0.0 end) as rate,"
        " count(*) as events"
        " from marts.fct_deviation_events where is_calibrated_in_time is not null"
        " group by process_regime"
    ).set_index("process_regime")
    assert (rates["events"] >= 100).all()
    assert rates.loc["structured", "rate"] > 2 * rates.loc["traditional", "rate"]
    hq = world.query(
        "select sum(deviation_event_count) as events from marts.fct_calibration_timeliness"
        " where unit_level = 'hq' and time_grain = 'month'"
    )
    events = world.query("select count(*) as events from marts.fct_deviation_events")
    assert int(hq["events"].iloc[0]) == int(events["events"].iloc[0])


@pytest.mark.parametrize("name", WORLDS)
def test_every_adopted_adjustment_earns_its_points(planted_world, name):
    """The +5 rule against the landing file itself: one entry per adopted request decided
    on or before as_of, and the running balance ends at each rep's total."""
    world = planted_world(name)
    as_of = str(
        world.query("select max(as_of) as as_of from marts.fct_mart_availability")["as_of"].iloc[0]
    )[:10]
    with (world.landing / "crm" / "target_adjustments.csv").open(encoding="utf-8") as handle:
        adopted = {
            row["request_id"]
            for row in csv.DictReader(handle)
            if row["status"] == "adopted" and row["decided_at"] and row["decided_at"][:10] <= as_of
        }
    ledger = world.query("select * from marts.fct_behaviour_points_ledger")
    rewarded = ledger[ledger["rule_id"] == "P01"]
    assert set(rewarded["event_key"]) == adopted
    assert (rewarded["points"] == 5).all()
    assert set(ledger["points"]) <= {5, -3}
    last = ledger.sort_values(["event_at", "rule_id", "event_key"]).groupby("rep_id").tail(1)
    totals = ledger.groupby("rep_id")["points"].sum()
    assert (last.set_index("rep_id")["balance_after"] == totals.reindex(last["rep_id"])).all()
