"""Process-health outliers: where they are planted, how far out, and the light-tailed natural
variation of the planted metrics that keeps natural rep-weeks inside ±2σ of their peers."""

import numpy as np
import pandas as pd
import pytest

from simulator.config import load_config
from simulator.generate import _Simulation


def _ts(s):
    return pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S")


def _week(s: pd.Series) -> pd.Series:
    day = _ts(s).dt.normalize()
    return (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.strftime("%Y-%m-%d")


def _rep_weeks(landing) -> pd.DataFrame:
    """The three planted metrics per rep-week, by truth.json's definitions."""
    t = landing.table
    leads = t("leads").dropna(subset=["first_response_at"])
    leads = pd.DataFrame(
        {
            "metric": "lead_first_response_hours",
            "rep": leads["assigned_rep_id"],
            "week": _week(leads["created_at"]),
            "v": (_ts(leads["first_response_at"]) - _ts(leads["created_at"])).dt.total_seconds()
            / 3600,
        }
    )
    a = t("activities")
    nodes = a[a["visit_id"].notna()].sort_values("occurred_at", kind="stable")
    visits = nodes.groupby("visit_id").agg(
        rep=("rep_id", "first"), at=("occurred_at", "first"), n=("node", "nunique")
    )
    visits = pd.DataFrame(
        {
            "metric": "visit_node_completion_rate",
            "rep": visits["rep"],
            "week": _week(visits["at"]),
            "v": visits["n"] / 5,
        }
    )
    h = t("opportunity_stage_history").sort_values("entered_at", kind="stable")
    first = h.groupby(["opportunity_id", "stage"]).first().reset_index()
    ca = first[first["stage"] == "contract_approval"].set_index("opportunity_id")
    neg = first[first["stage"] == "negotiation"].set_index("opportunity_id")["entered_at"]
    ca = ca[neg.reindex(ca.index) >= a["occurred_at"].min()]
    rounds = a[a["kind"] == "negotiation"].groupby("opportunity_id").size()
    ca = pd.DataFrame(
        {
            "metric": "contract_negotiation_rounds",
            "rep": ca["changed_by"],
            "week": _week(ca["entered_at"]),
            "v": rounds.reindex(ca.index).fillna(0).to_numpy(),
        }
    )
    rw = (
        pd.concat([leads, visits, ca], ignore_index=True)
        .groupby(["metric", "rep", "week"])["v"]
        .mean()
        .reset_index()
    )
    org = t("org_units").set_index("unit_id")["parent_id"]
    reps = t("reps").set_index("rep_id")
    rw["region"] = reps["team_id"].reindex(rw["rep"]).map(org).map(org).to_numpy()
    term = pd.to_datetime(reps["termination_date"].reindex(rw["rep"])).to_numpy()
    week = pd.to_datetime(rw["week"]).to_numpy()
    handover = (term >= week) & (term < week + np.timedelta64(7, "D"))
    return rw[~handover].reset_index(drop=True)


def _loo_z(rw: pd.DataFrame, natural: np.ndarray) -> tuple[pd.Series, pd.Series]:
    """z = (x − m) ÷ (σ·√(1+1/k)): m the mean of the k natural others of the region-week, σ the
    RMS of the natural standardised deviations of the region (whole window)."""
    nat = rw[natural]
    g = nat.groupby(["metric", "region", "week"])["v"]
    totals = pd.DataFrame({"n": g.size(), "s": g.sum()})
    t = totals.reindex(pd.MultiIndex.from_frame(rw[["metric", "region", "week"]]))
    own = np.where(natural, rw["v"], 0.0)
    k = t["n"].to_numpy() - natural.astype(int)
    m = (t["s"].to_numpy() - own) / np.where(k > 0, k, np.nan)
    dev = rw["v"].to_numpy() - m
    std_sq = pd.Series(dev**2 * k / (k + 1))
    keys = rw[["metric", "region"]].astype(str).agg("|".join, axis=1)
    ok = natural & (k >= 1)
    sigma = np.sqrt(std_sq[ok].groupby(keys[ok]).mean()).reindex(keys).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = dev / (sigma * np.sqrt(1 + 1 / k))
    return pd.Series(z, index=rw.index), pd.Series(k)


def test_planted_rep_weeks_follow_the_rules(landing):
    planted = landing.truth("outlier_rep_weeks")
    manifest = landing.manifest["outliers"]
    cfg = manifest["planted"]
    assert len(planted) > 0
    assert set(planted["metric"]) <= set(cfg["metrics"])
    assert (planted["peer_count"].astype(int) >= cfg["min_peers"]).all()
    assert not planted.duplicated(["rep_id", "week_start"]).any()
    # activities start with the extract window (in-flight deals have no earlier ones)
    start = pd.Timestamp(landing.table("activities")["occurred_at"].min()[:10])
    warm = start - pd.Timedelta(days=start.weekday()) + pd.Timedelta(weeks=cfg["warmup_weeks"])
    assert (pd.to_datetime(planted["week_start"]) >= warm).all()
    direction = planted.set_index("metric")["direction"].to_dict()
    assert direction.get("visit_node_completion_rate", "low") == "low"
    assert direction.get("lead_first_response_hours", "high") == "high"


def test_planted_far_out_and_natural_weeks_light_tailed(landing):
    rw = _rep_weeks(landing)
    planted = landing.truth("outlier_rep_weeks")
    key = set(zip(planted["metric"], planted["rep_id"], planted["week_start"], strict=True))
    is_planted = np.array([k in key for k in zip(rw["metric"], rw["rep"], rw["week"], strict=True)])
    assert is_planted.sum() == len(planted)
    z, k = _loo_z(rw, ~is_planted)
    sigma_multiple = landing.manifest["outliers"]["planted"]["sigma_multiple"]
    sign = np.where(
        planted.set_index(["metric", "rep_id", "week_start"])["direction"]
        .reindex(list(zip(rw["metric"], rw["rep"], rw["week"], strict=True)))
        .to_numpy()
        == "high",
        1,
        -1,
    )
    # planted at sigma_multiple σ against the same peers; this σ pools the whole window
    # (regimes mixed), the simulator the larger of the two: at least the multiple, less a margin
    # for the few-peer case at this small scale
    assert (sign[is_planted] * z[is_planted] >= 0.8 * sigma_multiple).all()
    natural = ~is_planted & (k.to_numpy() >= 1) & np.isfinite(z.to_numpy())
    # balanced two-level rep-weeks keep natural |z| below 2 but for a regime switch mid-week
    # and edge weeks (the window's first weeks, visits cut by the extract date)
    assert (z[natural].abs() >= 2).mean() < 0.01


def test_balanced_draw_keeps_each_probability_and_balances_the_count():
    sim = _Simulation.__new__(_Simulation)
    sim.cfg = load_config(overrides=["seed=3"])
    p_by_rep = {0: 0.3, 1: 0.5, 2: 0.75, 3: 0.4, 4: 0.6, 5: 0.2}
    reps = np.array(list(p_by_rep) * 2000)
    weeks = np.repeat(np.arange(2000), len(p_by_rep))
    p = np.array([p_by_rep[r] for r in reps])
    hit = sim._balanced_draw(np.zeros(len(reps), int), weeks, reps, p)
    frame = pd.DataFrame({"rep": reps, "week": weeks, "hit": hit})
    rates = frame.groupby("rep")["hit"].mean()
    for rep, prob in p_by_rep.items():
        # 2000 draws: binomial standard error ≤ 0.011; 0.04 is > 3.5 of them
        assert rates[rep] == pytest.approx(prob, abs=0.04)
    per_week = frame.groupby("week")["hit"].sum()
    total = sum(p_by_rep.values())
    assert per_week.isin([np.floor(total), np.ceil(total)]).all()
