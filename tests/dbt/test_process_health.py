"""Process health (issue 5 item 6, issue 11): the 12 metrics per rep-week and team-week, robust
peer z-scores (peer median, scaled MAD, log/√ scales, item sampling error), flags, similar past
cases. A hand fixture with exact values, and the planted outliers of the three simulator worlds
recovered at the default threshold (bars per world in ``test_planted_outliers_are_flagged``)."""

import math
from datetime import datetime

import duckdb
import pandas as pd
import pytest

AS_OF = "2026-03-31"


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


ROWS = {
    "org_units": [
        {"unit_id": "HQ", "level": "hq", "parent_id": None, "name": "总部"},
        {"unit_id": "R1", "level": "region", "parent_id": "HQ", "name": "华东大区"},
        {"unit_id": "C1", "level": "city", "parent_id": "R1", "name": "上海"},
        {"unit_id": "T1", "level": "team", "parent_id": "C1", "name": "上海一组"},
    ],
    "reps": [
        {"rep_id": "s1", "name": "甲", "team_id": "T1", "role": "rep", "hire_date": "2025-01-01"},
        {"rep_id": "s2", "name": "乙", "team_id": "T1", "role": "rep", "hire_date": "2025-01-01"},
    ],
    "leads": [
        # s1, week of 2026-03-02: 2 h and 4 h → 3.0; s2: 0.5 h; team T1: 6.5 h ÷ 3 leads
        {
            "lead_id": "L1",
            "customer_id": "K1",
            "source": "官网",
            "created_at": ts("2026-03-02 09:00:00"),
            "assigned_rep_id": "s1",
            "first_response_at": ts("2026-03-02 11:00:00"),
        },
        {
            "lead_id": "L2",
            "customer_id": "K2",
            "source": "官网",
            "created_at": ts("2026-03-03 09:00:00"),
            "assigned_rep_id": "s1",
            "first_response_at": ts("2026-03-03 13:00:00"),
        },
        {
            "lead_id": "L3",
            "customer_id": "K3",
            "source": "展会",
            "created_at": ts("2026-03-04 10:00:00"),
            "assigned_rep_id": "s2",
            "first_response_at": ts("2026-03-04 10:30:00"),
        },
    ],
    "opportunities": [
        {
            "opportunity_id": "o1",
            "lead_id": "L1",
            "customer_id": "K1",
            "owner_rep_id": "s1",
            "product_line": "云",
            "created_at": ts("2026-03-02 10:00:00"),
            "stage": "won",
            "status": "won",
            "amount": 100000,
        },
        {
            "opportunity_id": "o2",
            "lead_id": "L2",
            "customer_id": "K2",
            "owner_rep_id": "s1",
            "product_line": "云",
            "created_at": ts("2026-03-03 10:00:00"),
            "stage": "lost",
            "status": "lost",
            "amount": 50000,
        },
    ],
    "opportunity_stage_history": [
        {"opportunity_id": o, "stage": s, "entered_at": ts(t), "changed_by": "s1"}
        for o, s, t in [
            ("o1", "lead", "2026-03-02 10:00:00"),
            ("o1", "qualified", "2026-03-03 10:00:00"),
            ("o1", "quote", "2026-03-05 10:00:00"),
            ("o1", "won", "2026-03-12 10:00:00"),
            ("o2", "lead", "2026-03-03 10:00:00"),
            ("o2", "qualified", "2026-03-03 11:00:00"),
            ("o2", "quote", "2026-03-04 11:00:00"),
            ("o2", "lost", "2026-03-10 09:00:00"),
        ]
    ],
    # o1: all three MOT facts before its quote entry; o2: decision_date after it
    "qualification_events": [
        {"opportunity_id": o, "kind": k, "recorded_at": ts(t)}
        for o, k, t in [
            ("o1", "budget_range", "2026-03-03 12:00:00"),
            ("o1", "decision_date", "2026-03-04 12:00:00"),
            ("o1", "decision_maker_access", "2026-03-04 15:00:00"),
            ("o2", "budget_range", "2026-03-03 12:00:00"),
            ("o2", "decision_maker_access", "2026-03-03 15:00:00"),
            ("o2", "decision_date", "2026-03-05 12:00:00"),
        ]
    ],
}


@pytest.fixture(scope="module")
def health(tmp_path_factory, warehouse_builder):
    root = tmp_path_factory.mktemp("health")
    path = warehouse_builder(
        root,
        ROWS,
        "build",
        "--select",
        "+fct_process_health_weekly",
        "+fct_process_health_flags",
        # only tests whose every parent is built (others' marts have tests on shared staging)
        "--indirect-selection",
        "cautious",
        "--vars",
        f"{{as_of: '{AS_OF}'}}",
    )
    con = duckdb.connect(str(path), read_only=True)
    try:
        weekly = con.execute("select * from marts.fct_process_health_weekly").df()
        flags = con.execute("select * from marts.fct_process_health_flags").df()
    finally:
        con.close()
    return weekly, flags


def _row(weekly: pd.DataFrame, scope: str, unit: str, metric: str, week: str) -> pd.Series:
    hit = weekly[
        (weekly["scope_level"] == scope)
        & (weekly["rep_id" if scope == "rep" else "unit_id"] == unit)
        & (weekly["metric_code"] == metric)
        & (weekly["week_start"] == pd.Timestamp(week))
    ]
    assert len(hit) == 1, (scope, unit, metric, week)
    return hit.iloc[0]


def test_hand_fixture_values_are_exact(health):
    weekly, _ = health
    expected = [
        # scope, unit, metric, week, numerator, denominator, value
        ("rep", "s1", "lead_first_response_hours", "2026-03-02", 6.0, 2, 3.0),
        ("rep", "s2", "lead_first_response_hours", "2026-03-02", 0.5, 1, 0.5),
        ("team", "T1", "lead_first_response_hours", "2026-03-02", 6.5, 3, 6.5 / 3),
        # o1 qualified → quote 2 days, o2 1 day
        ("rep", "s1", "solution_customisation_days", "2026-03-02", 3.0, 2, 1.5),
        # o1 compliant, o2 not (decision_date after its quote entry)
        ("rep", "s1", "mot_compliance", "2026-03-02", 1.0, 2, 0.5),
        # closed in the week of 2026-03-09: o1 won, o2 lost; both had entered quote
        ("rep", "s1", "win_rate", "2026-03-09", 1.0, 2, 0.5),
        ("rep", "s1", "quote_to_won_conversion", "2026-03-09", 1.0, 2, 0.5),
        # lead L1 created 03-02 09:00 → won 03-12 10:00
        ("rep", "s1", "sales_cycle_days", "2026-03-09", 10 + 1 / 24, 1, 10 + 1 / 24),
    ]
    for scope, unit, metric, week, numerator, denominator, value in expected:
        row = _row(weekly, scope, unit, metric, week)
        assert row["numerator"] == pytest.approx(numerator, abs=1e-9), (metric, unit)
        assert row["denominator"] == pytest.approx(denominator, abs=1e-9), (metric, unit)
        assert row["metric_value"] == pytest.approx(value, abs=1e-9), (metric, unit)
        assert row["region_id"] == "R1"
        # the row's org unit is the team (a rep's team for a rep row), named beside it
        assert (row["unit_id"], row["unit_name"]) == ("T1", "上海一组")
        assert row["as_of"] == pd.Timestamp(AS_OF)
    # leave-one-out: s1's only peer is s2 (and vice versa); the centre excludes the rep itself.
    # Hours are scored on √h per lead, so a peer's centre is the square of its leads' mean √h:
    # s2's one lead of 0.5 h → 0.5; s1's leads of 2 h and 4 h → ((√2 + √4) ÷ 2)² = 2.91 h
    # (not the arithmetic 3.0)
    s1 = _row(weekly, "rep", "s1", "lead_first_response_hours", "2026-03-02")
    assert s1["peer_count"] == 1
    assert s1["z_scale"] == "sqrt"
    assert s1["peer_median"] == pytest.approx(0.5, abs=1e-9)
    assert _row(weekly, "rep", "s2", "lead_first_response_hours", "2026-03-02")[
        "peer_median"
    ] == pytest.approx(((math.sqrt(2) + 2) / 2) ** 2, abs=1e-9)
    # one peer, one week: fewer than min_sigma_observations (20) residuals → no σ, no z
    assert pd.isna(s1["peer_sigma"]) and pd.isna(s1["z_score"])


def test_no_flag_without_enough_peers(health):
    weekly, flags = health
    # two reps in the region: one peer each, below the minimum of 5 → no z flag anywhere
    assert (weekly["peer_count"].fillna(0) < 5).all()
    assert not weekly["is_flagged"].any()
    assert flags.empty
    assert set(weekly["metric_code"]) <= {
        "lead_first_response_hours",
        "solution_customisation_days",
        "contract_negotiation_rounds",
        "visit_node_completion_rate",
        "mot_compliance",
        "stage_update_staleness_days",
        "follow_up_gap_days",
        "quote_to_won_conversion",
        "win_rate",
        "sales_cycle_days",
        "pipeline_coverage",
        "forecast_deviation",
    }


def _flag_quality(world) -> dict:
    """Recall and precision of the rep-week flags on the planted metrics (a flag there at an
    unplanted rep-week is false; flags on the other nine metrics are reported apart), the share
    of natural rep-weeks flagged among those that could be (enough peers, a z-score), and the
    precision of the strongest flags (|z| ≥ 4)."""
    planted = world.truth_csv("outlier_rep_weeks")
    metrics = sorted(planted["metric"].unique())
    minimum = int(world.query("select min_peer_sample from seeds.health_thresholds").iloc[0, 0])
    weekly = world.query(
        "select rep_id, metric_code, week_start, is_flagged, peer_count, z_score "
        "from marts.fct_process_health_weekly where scope_level = 'rep'"
    )
    weekly["week"] = weekly["week_start"].dt.strftime("%Y-%m-%d")
    key = set(zip(planted["rep_id"], planted["week_start"], planted["metric"], strict=True))
    weekly["is_planted"] = [
        k in key for k in zip(weekly["rep_id"], weekly["week"], weekly["metric_code"], strict=True)
    ]
    on_metrics = weekly[weekly["metric_code"].isin(metrics)]
    flagged = on_metrics[on_metrics["is_flagged"]]
    true_flags = int(flagged["is_planted"].sum())
    false_flags = int((~flagged["is_planted"]).sum())
    scored = on_metrics[(on_metrics["peer_count"] >= minimum) & on_metrics["z_score"].notna()]
    natural = scored[~scored["is_planted"]]
    strong = scored[scored["z_score"].abs() >= 4]
    other = weekly[weekly["is_flagged"] & ~weekly["metric_code"].isin(metrics)]
    return {
        "planted": len(planted),
        "recall": true_flags / len(planted),
        "precision": true_flags / max(true_flags + false_flags, 1),
        "flags": true_flags + false_flags,
        "false_flags": false_flags,
        "natural_scored": len(natural),
        "natural_flag_rate": int(natural["is_flagged"].sum()) / max(len(natural), 1),
        "strong_flags": len(strong),
        "strong_precision": int(strong["is_planted"].sum()) / max(len(strong), 1),
        "natural_flags_other_metrics": other.groupby("metric_code").size().to_dict(),
    }


# two-sided normal tail beyond ±2σ: the share of rep-weeks a calibrated 2σ test flags by chance
NORMAL_TAIL_2SIGMA = math.erfc(2 / math.sqrt(2))


@pytest.mark.parametrize("name", ["default", "alt", "field"])
def test_planted_outliers_are_flagged(planted_world, name):
    """Planted rep-weeks (truth ``outlier_rep_weeks``: 6σ from their peers when planted) are
    flagged at the default threshold (2σ, ≥ 5 peers) with recall ≥ 0.9 in every world.

    default / alt: natural variation of the planted metrics is light-tailed there, so a flag
    on them at an unplanted rep-week is a false flag: precision ≥ 0.8 (the issue's bar).

    field: natural variation is ordinary and heavy-tailed (long response times, small counts,
    rates on one or two visits), and a 2σ test — the user's threshold — flags by definition
    about 4.6% of ordinary rep-weeks (two-sided normal tail) while only ~0.3% of the scored
    rep-weeks are planted, so even a perfectly calibrated σ caps precision near
    22 ÷ (22 + 0.046 × ~6,900) ≈ 0.065. Bars, from what the method must guarantee a user
    (figures of the 2026-12-03 build, old = leave-one-out mean and pooled RMS σ):
    * recall ≥ 0.9 (old 1.0, now 1.0);
    * σ is not too narrow: natural rep-weeks flagged ≤ the normal 2σ tail (4.55%) — the old
      σ flagged 6.6% (heavy tails made it too small); now 4.3%;
    * precision ≥ 0.06, about the calibrated bound above (old 0.047, 470 flags for 22 plants;
      now 0.069, 317 flags);
    * the strongest flags are the real ones: among rep-weeks at |z| ≥ 4 at least 40% are
      planted — twice the old method's 0.20 (now 0.43), so sorting flags by |z| puts the
      real ones first.
    """
    world = planted_world(name)
    quality = _flag_quality(world)
    print(name, quality)
    assert quality["planted"] > 0
    assert quality["recall"] >= 0.9, quality
    if name == "field":
        assert quality["natural_flag_rate"] <= NORMAL_TAIL_2SIGMA, quality
        assert quality["precision"] >= 0.06, quality
        assert quality["strong_precision"] >= 0.4, quality
    else:
        assert quality["precision"] >= 0.8, quality


@pytest.mark.parametrize("name", ["default", "alt", "field"])
def test_flags_need_the_minimum_peer_sample(planted_world, name):
    world = planted_world(name)
    minimum = int(world.query("select min_peer_sample from seeds.health_thresholds").iloc[0, 0])
    threshold = float(world.query("select z_threshold from seeds.health_thresholds").iloc[0, 0])
    weekly = world.query(
        "select scope_level, peer_count, z_score, is_flagged from marts.fct_process_health_weekly"
    )
    flagged = weekly[weekly["is_flagged"]]
    assert len(flagged) > 0
    assert (flagged["peer_count"] >= minimum).all()
    assert (flagged["z_score"].abs() >= threshold).all()
    # the converse: every |z| beyond the threshold with enough peers is flagged
    beyond = weekly[(weekly["z_score"].abs() >= threshold) & (weekly["peer_count"] >= minimum)]
    assert beyond["is_flagged"].all()
    small = weekly[weekly["peer_count"].fillna(0) < minimum]
    assert not small["is_flagged"].any()


@pytest.mark.parametrize("name", ["default", "alt", "field"])
def test_every_flag_has_its_case_file(planted_world, name):
    world = planted_world(name)
    flags = world.query("select * from marts.fct_process_health_flags")
    weekly_flags = world.query(
        "select count(*) as n from marts.fct_process_health_weekly where is_flagged"
    )["n"].iloc[0]
    assert len(flags) == weekly_flags > 0
    later = flags[flags["week_start"] > flags["week_start"].min()]
    # every flag after the first week of flags of its metric has a similar past case
    first_week = flags.groupby(["scope_level", "metric_code"])["week_start"].transform("min")
    assert flags.loc[flags["week_start"] > first_week, "similar_week_start"].notna().all()
    assert (
        later["similar_week_start"].dropna()
        < later.loc[later["similar_week_start"].notna(), "week_start"]
    ).all()
    # recovery is known once the 4 following weeks are over
    as_of = flags["as_of"].iloc[0]
    over = flags["week_start"] + pd.Timedelta(days=34) <= as_of
    assert flags.loc[over, "recovered"].notna().all()
