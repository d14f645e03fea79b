"""The truth manifest: every planted parameter beside the value realised in the written tables.

Realised values are computed from the formatted tables (exactly what lands in the CSV and
JSONL files) with the SPEC §5 definitions, so a test reading the files recomputes them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from simulator import vocab

GROUPS = ("traditional", "structured")

OUTLIER_DEFINITIONS = {
    "lead_first_response_hours": "mean (first_response_at − created_at) in hours over leads created in the rep-week "
    "(assigned_rep_id, ISO week of created_at)",
    "visit_node_completion_rate": "visit node activities ÷ (5 × visits) over visits whose first node falls in the rep-week "
    "(rep_id of the nodes, ISO week of the first node)",
    "contract_negotiation_rounds": "mean count of kind=negotiation activities per opportunity, over opportunities entering "
    "contract_approval in the rep-week (rep = stage-history changed_by of that entry)",
}


def _r(x, nd=4):
    return (
        None if x is None or (isinstance(x, float) and not np.isfinite(x)) else round(float(x), nd)
    )


def _ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S")


def _opportunity_groups(t: dict[str, pd.DataFrame]) -> pd.Series:
    org = t["org_units"].set_index("unit_id")
    reps = t["reps"].set_index("rep_id")
    opp = t["opportunities"]
    # the unit's structured_since is set on teams; owner may have changed seat only within a team
    first_owner = (
        t["opportunity_stage_history"]
        .sort_values("entered_at", kind="stable")
        .groupby("opportunity_id")["changed_by"]
        .first()
    )
    team = reps["team_id"].reindex(first_owner.reindex(opp["opportunity_id"]).to_numpy()).to_numpy()
    since = pd.to_datetime(org["structured_since"].reindex(team).to_numpy())
    created = _ts(opp["created_at"]).to_numpy()
    structured = ~pd.isna(since) & (created >= since.to_numpy(dtype="datetime64[ns]"))
    return pd.Series(
        np.where(structured, "structured", "traditional"), index=opp["opportunity_id"].to_numpy()
    )


def compute_realised(sim, t: dict[str, pd.DataFrame]) -> dict:
    cfg = sim.cfg
    clock = sim.clock
    end = pd.Timestamp(clock.end_date) + pd.Timedelta(hours=23, minutes=59, seconds=59)
    opp = t["opportunities"]
    group = _opportunity_groups(t)
    opp_group = group.reindex(opp["opportunity_id"]).to_numpy()
    m: dict = {
        "generator": {
            "seed": cfg.seed,
            "scale": cfg.scale,
            "start_date": clock.start.isoformat(),
            "end_date": clock.end_date.isoformat(),
            "months": cfg.time.months,
        },
        "config": cfg.to_dict(),
    }

    # 1 cascade
    tg = t["targets"].copy()
    tg["amount"] = tg["amount"].astype(float)
    piv = tg.groupby(["period", "level"])["amount"].sum().unstack()
    per = {}
    for period, row in piv.iterrows():
        d = {
            "region_over_hq": row["region"] / row["hq"],
            "city_over_region": row["city"] / row["region"],
            "rep_over_city": row["rep"] / row["city"],
            "end_to_end": row["rep"] / row["hq"],
        }
        if "team" in row and pd.notna(row.get("team")):
            d["team_over_city"] = row["team"] / row["city"]
            d["rep_over_team"] = row["rep"] / row["team"]
        per[period] = {k: _r(v) for k, v in d.items()}
    keys = list(next(iter(per.values())).keys()) if per else []
    m["cascade"] = {
        "planted": {
            "region_over_hq": cfg.cascade.region_over_hq,
            "city_over_region": cfg.cascade.city_over_region,
            "rep_over_city": cfg.cascade.rep_over_city,
            "period_noise": cfg.cascade.period_noise,
            "team_targets": cfg.cascade.team_targets,
            "end_to_end": cfg.cascade.region_over_hq
            * cfg.cascade.city_over_region
            * cfg.cascade.rep_over_city,
        },
        "realised_by_period": per,
        "realised_mean": {k: _r(np.mean([p[k] for p in per.values()])) for k in keys},
        "definition": "Σ child targets ÷ parent target per period: region assigned ÷ HQ assigned, city assigned ÷ region "
        "assigned, rep committed ÷ city assigned; end_to_end = Σ rep committed ÷ HQ assigned",
    }

    # 5 expected close hygiene and probability binding
    open_mask = opp["status"] == "open"
    ecd = opp["expected_close_date"]
    bad = ecd.isna() | ~ecd.fillna("").str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    hyg = {"overall": _r(bad[open_mask].mean())}
    prob = opp["probability"].astype(float)
    flat = {}
    for g in GROUPS:
        sel = open_mask & (opp_group == g)
        hyg[g] = _r(bad[sel].mean()) if sel.any() else None
        flat[g] = _r((prob[sel] == cfg.hygiene.flat_probability).mean()) if sel.any() else None
    fc = opp["forecast_amount"].astype(float)
    rd = opp["requirement_doc_amount"].astype(float)
    both = fc.notna() & rd.notna()
    infl = {g: _r(((fc - rd) / rd)[both & (opp_group == g)].mean()) for g in GROUPS}
    m["expected_close_hygiene"] = {
        "planted": {
            "bad_share": cfg.hygiene.bad_close_date_share,
            "empty_share_of_bad": cfg.hygiene.empty_share_of_bad,
            "words": cfg.hygiene.close_date_words,
        },
        "realised_open_bad_share": hyg,
        "open_opportunities": int(open_mask.sum()),
        "definition": "share of opportunities open at end_date whose expected_close_date is empty or not YYYY-MM-DD",
    }
    m["probability_binding"] = {
        "planted": {
            "flat_probability": cfg.hygiene.flat_probability,
            "stage_probability": cfg.hygiene.stage_probability,
            "legal_draft_probability": cfg.hygiene.legal_draft_probability,
        },
        "realised_open_share_at_flat": flat,
        "forecast_inflation_range_traditional": cfg.hygiene.forecast_inflation_range,
        "realised_mean_forecast_over_requirement_doc": infl,
        "stage_regression_share": cfg.hygiene.stage_regression_share,
    }

    # 6 finance sync
    pay = t["payments"]
    rec = _ts(pay["recorded_in_finance_at"])
    syn = pd.to_datetime(pay["synced_to_crm_at"], format="%Y-%m-%d %H:%M:%S")
    lag = ((syn - rec).dt.total_seconds() / 3600).dropna()
    m["finance_sync"] = {
        "planted": {
            "lag_hours_min": cfg.sync.lag_hours_min,
            "lag_hours_max": cfg.sync.lag_hours_max,
            "unsynced_share": cfg.sync.unsynced_share,
        },
        "realised": {
            "mean_lag_hours": _r(lag.mean(), 2),
            "median_lag_hours": _r(lag.median(), 2),
            "unsynced_share": _r(syn.isna().mean()),
        },
        "definition": "lag = synced_to_crm_at − recorded_in_finance_at over synced payments; unsynced = empty synced_to_crm_at",
    }

    # 2 loss reasons + traceability
    lost = opp[(opp["status"] == "lost") & (opp["closed_at"] >= clock.start.isoformat())]
    truth_lost = sim.truth_tables["lost_opportunities"]
    truth_lost = truth_lost[truth_lost["opportunity_id"].isin(set(lost["opportunity_id"]))]
    stated = lost["loss_reason_code"].dropna()
    field_text = cfg.field_world.enabled and cfg.field_world.lexicon
    # the field world's evidence is paraphrased: traceable = evidence was planted (truth/field_phrasings.csv)
    evidence_opps = sim.field_evidence_opps if field_text else _evidence_opportunities(t)
    traceable = lost["loss_reason_code"].notna() & lost["opportunity_id"].isin(evidence_opps)
    lost_group = group.reindex(lost["opportunity_id"]).to_numpy()
    m["loss_reasons"] = {
        "planted": {
            "true_mix": cfg.loss.true_mix,
            "stated_as_price": cfg.loss.stated_as_price,
            "reason_code_share": cfg.loss.reason_code_share,
            "evidence_share": cfg.loss.evidence_share,
        },
        "realised_true_mix": {
            k: _r(v)
            for k, v in truth_lost["true_reason"].value_counts(normalize=True).sort_index().items()
        },
        "realised_stated_mix": {
            k: _r(v) for k, v in stated.value_counts(normalize=True).sort_index().items()
        },
        "realised_traceability": {
            "overall": _r(traceable.mean()),
            **{
                g: _r(traceable[lost_group == g].mean()) if (lost_group == g).any() else None
                for g in GROUPS
            },
        },
        "evidence_terms": vocab.EVIDENCE_TERMS,
        "lost_opportunities": int(len(lost)),
        "truth_csv": "truth/lost_opportunities.csv",
        "definition": "over opportunities lost within the window (closed_at ≥ start_date): stated mix over those with a "
        "loss_reason_code; traceable = reason code present and at least one chat message or activity note on the "
        "opportunity containing an evidence term",
    }

    # 7 outliers
    out = sim.truth_tables["outlier_rep_weeks"]
    m["outliers"] = {
        "planted": {
            "share_of_rep_weeks": cfg.outliers.share_of_rep_weeks,
            "sigma_multiple": cfg.outliers.sigma_multiple,
            "min_peers": cfg.outliers.min_peers,
            "warmup_weeks": cfg.outliers.warmup_weeks,
            "metrics": cfg.outliers.metrics,
        },
        "active_rep_weeks": int(sim.active_rep_weeks),
        "rep_weeks": out.to_dict(orient="records"),
        "definitions": {k: v for k, v in OUTLIER_DEFINITIONS.items() if k in cfg.outliers.metrics},
        "peer_test": "same region (region of the rep's team), same ISO week (Monday), a rep's termination "
        "week not scored; z = (x − m) ÷ (σ·√(1 + 1/k)), m = mean of the k other reps with a value that week, "
        "σ = root mean square of the standardised deviations (x − m)·√(k/(k+1)) of the region's rep-weeks; "
        f"planted at ±{cfg.outliers.sigma_multiple}σ·√(1 + 1/k) (σ the larger of the region-regime's and "
        "the region's; "
        "peer_sigma_before = σ·√(1 + 1/k)) on rep-weeks with "
        f"≥{cfg.outliers.min_peers} other reps, from week {cfg.outliers.warmup_weeks} of the window on",
        "natural_variation": _NATURAL_FIELD
        if cfg.field_world.enabled and cfg.field_world.natural_process_variation
        else "light-tailed for the planted metrics: each rep-week is one of two levels "
        "(busy/calm response, complete/incomplete visits, short/long negotiations), drawn balanced within "
        "the region-week, plus a small bounded rep level and per-item jitter; natural rep-weeks stay "
        "within ±2σ of their peers",
        "truth_csv": "truth/outlier_rep_weeks.csv",
    }

    # 8 adoption
    m["adoption"] = {
        "planted": {k: v for k, v in cfg.adoption.__dict__.items()},
        "structured_since": {
            r["name"]: r["structured_since"]
            for _, r in t["org_units"][t["org_units"]["level"] == "region"].iterrows()
        },
        "realised": _adoption_realised(sim, t, group, traceable, lost_group),
    }

    # 4 forecasts
    f = sim.forecasts
    fpos = f[f["A"] > 0]
    bias = (fpos["amount"] - fpos["A"]) / fpos["A"]
    m["forecast"] = {
        "planted": {
            "new_rep_bias": cfg.forecast.new_rep_bias,
            "tenured_bias": cfg.forecast.tenured_bias,
            "new_rep_months": cfg.forecast.new_rep_months,
            "lock_days": cfg.forecast.lock_days,
            "noise_sd_by_lock": cfg.forecast.noise_sd_by_lock,
        },
        "realised_mean_bias": {
            "new": _r(bias[fpos["new"]].mean()),
            "tenured": _r(bias[~fpos["new"]].mean()),
        },
        "realised_mean_abs_error_by_lock": {
            str(k): _r(v) for k, v in bias.abs().groupby(fpos["lock"]).mean().items()
        },
        "definition": "bias = (F − A) ÷ A over rep-months with bookings A > 0; new = hired < new_rep_months before the period",
    }

    # 3 SOP
    m["sop"] = _sop_realised(sim, t)

    # 9 keywords
    chat = t["chat_messages"]
    on_opp = chat[chat["opportunity_id"].notna()]
    n_opp = len(opp)
    freq = {}
    for k in cfg.keywords.effects:
        hit = on_opp.loc[on_opp["text"].str.contains(k, regex=False), "opportunity_id"].nunique()
        freq[k] = _r(hit / n_opp)
    m["keywords"] = {
        "effects_log_odds": cfg.keywords.effects,
        "planted_presence": cfg.keywords.presence,
        "realised_opportunity_frequency": freq,
        "truth_csv": "truth/opportunity_signals.csv",
    }

    # 10 emerging term, 11 PII, 12 events
    em = sim.planted["emerging_term"]
    reps_team = t["reps"].set_index("rep_id")["team_id"]
    wk = pd.Timestamp(cfg.emerging.week_start)
    sent = _ts(chat["sent_at"])
    in_week = (sent >= wk) & (sent < wk + pd.Timedelta(days=7))
    team_msgs = chat[in_week & (reps_team.reindex(chat["rep_id"]).to_numpy() == em["team_id"])]
    em["realised_messages_with_term"] = int(
        team_msgs["text"].str.contains(cfg.emerging.term, regex=False).sum()
    )
    em["realised_messages_with_term_elsewhere"] = (
        int(chat["text"].str.contains(cfg.emerging.term, regex=False).sum())
        - em["realised_messages_with_term"]
    )
    em["requirement_terms"] = vocab.REQUIREMENT_TERMS
    em["requirement_mention_share"] = cfg.emerging.requirement_mention_share
    m["emerging_term"] = em
    m["pii"] = {
        **sim.planted["pii"],
        "kinds": list(cfg.pii.kind_weights),
        "messages": int(len(chat)),
    }
    m["events"] = {
        "seasonality": {str(k): v for k, v in cfg.events.seasonality.items()},
        "competitor_events_per_region_month": cfg.events.competitor_events_per_region_month,
        "deviation_reason_mix": cfg.events.deviation_reason_mix,
        "adjustment_status_mix": cfg.events.adjustment_status_mix,
        "realised_deviation_reason_mix": {
            k: _r(v)
            for k, v in t["deviation_reports"]["reason_type"]
            .value_counts(normalize=True)
            .sort_index()
            .items()
        },
        "realised_adjustment_status_mix": {
            k: _r(v)
            for k, v in t["target_adjustments"]["status"]
            .value_counts(normalize=True)
            .sort_index()
            .items()
        },
    }
    m["deviation_reasons"] = _deviation_reasons(sim, t)
    m["end_timestamp"] = str(end)
    if cfg.field_world.enabled:
        m["field_world"] = _field_realised(sim, t)
    return m


_NATURAL_FIELD = (
    "field world: natural, unbalanced variation — lead response hours lognormal (σ 0.6) around the "
    "rep's level with 3% of leads stranded 20–70 h more; each visit complete with the rep's "
    "probability, else stopping after 3 or 4 nodes; negotiation rounds 1 + negative binomial(2, 0.45). "
    "Planted rep-weeks: outlier_factor × the outlier_quantile of the metric's natural rep-week values "
    "(visits: 1 node of 5), whatever the peers' σ"
)


def _field_realised(sim, t: dict[str, pd.DataFrame]) -> dict:
    """The field world's realised business figures, from the written (clean) tables."""
    cfg, clock, fw = sim.cfg, sim.clock, sim.cfg.field_world
    start = pd.Timestamp(clock.start)
    end = pd.Timestamp(clock.end_date) + pd.Timedelta(days=1)
    opp, leads = t["opportunities"], t["leads"]
    # funnel: leads created in the window at least 180 days before the extract
    lt = _ts(leads["created_at"])
    cohort = leads[(lt >= start) & (lt < end - pd.Timedelta(days=180))]
    status = opp.set_index("lead_id")["status"]
    lead_status = status.reindex(cohort["lead_id"]).to_numpy()
    h = t["opportunity_stage_history"]
    qualified = set(h.loc[h["stage"] == "qualified", "opportunity_id"])
    lead_opp = opp.set_index("lead_id")["opportunity_id"].reindex(cohort["lead_id"])
    closed = opp[
        opp["status"].isin(["won", "lost"]) & (opp["closed_at"] >= clock.start.isoformat())
    ]
    # deal sizes
    con = t["contracts"]
    won_amounts = np.sort(
        con.loc[con["signed_at"] >= clock.start.isoformat(), "amount"].astype(float)
    )[::-1]
    top = max(1, int(np.ceil(0.1 * len(won_amounts))))
    # cycles of won deals signed in the window
    won = opp[(opp["status"] == "won") & (opp["closed_at"] >= clock.start.isoformat())]
    cycle = (_ts(won["closed_at"]) - _ts(won["created_at"])).dt.total_seconds() / 86400
    # year-end: won value signed per month in the window
    signed = con[con["signed_at"] >= clock.start.isoformat()]
    month = signed["signed_at"].str[:7]
    by_month = (
        signed["amount"].astype(float).groupby(month).sum().reindex(clock.periods, fill_value=0.0)
    )
    deals_by_month = month.value_counts().reindex(clock.periods, fill_value=0)
    dec = [p for p in clock.periods if p.endswith("-12")]
    # reps who left in the middle month of a quarter
    reps = t["reps"][t["reps"]["role"] == "rep"]
    term = pd.to_datetime(reps["termination_date"])
    planted_departures = sorted(
        sim.rep_ids[(sim.rep_seat == seat) & (sim.rep_term == day)][0]
        for seat, day in getattr(sim, "departure_keys", [])
    )
    o = sim.opp
    owners = h.groupby("opportunity_id")["changed_by"].nunique()
    phr = sim.truth_tables.get("field_phrasings")
    simulator_terms = sorted(
        {x for v in vocab.EVIDENCE_TERMS.values() for x in v}
        | set(cfg.keywords.effects)
        | {x for v in vocab.REQUIREMENT_TERMS.values() for x in v}
    )
    out = {
        "planted": cfg.to_dict()["field_world"],
        "funnel": {
            "leads_in_cohort": int(len(cohort)),
            "lead_to_opportunity": _r(pd.notna(lead_status).mean()),
            "lead_to_qualified": _r(lead_opp.isin(qualified).mean()),
            "lead_to_won": _r((lead_status == "won").mean()),
            "win_rate_closed_in_window": _r((closed["status"] == "won").mean()),
            "definition": "over leads created in the window up to 180 days before end_date: share "
            "whose opportunity exists / entered qualified / is won; win rate = won ÷ (won + lost) over "
            "opportunities closed in the window",
        },
        "deal_size": {
            "won_deals": int(len(won_amounts)),
            "top_decile_share_of_won_value": _r(won_amounts[:top].sum() / won_amounts.sum())
            if len(won_amounts)
            else None,
            "median_won_amount": _r(np.median(won_amounts), 2) if len(won_amounts) else None,
            "max_won_amount": _r(won_amounts.max(), 2) if len(won_amounts) else None,
            "definition": "contracts signed in the window: Σ amount of the largest ceil(10%) ÷ Σ amount",
        },
        "cycle_days_won": {
            **{f"p{int(q * 100)}": _r(cycle.quantile(q), 1) for q in (0.5, 0.75, 0.9, 0.99)},
            "max": _r(cycle.max(), 1),
            "share_over_365": _r((cycle > 365).mean()),
            "over_365": int((cycle > 365).sum()),
            "definition": "closed_at − created_at in days, won opportunities closed in the window",
        },
        "year_end_rush": {
            "rushed_deals_planted": int(o["rushed"].sum()),
            "december_won_deals_over_mean_month": {
                p: _r(deals_by_month[p] / deals_by_month.mean()) for p in dec
            },
            "december_won_value_over_mean_month": {
                p: _r(by_month[p] / by_month.mean()) for p in dec
            },
            "definition": "contracts signed in the December ÷ the mean month's over the window (count "
            "and value; the value ratio swings with the few large deals)",
        },
        "departures": {
            "planted_midquarter": planted_departures,
            "reps_leaving_in_window": int(((term >= start) & (term < end)).sum()),
        },
        "owner_changes": {
            "reassignments_planted": int(np.isfinite(o.get("reassign_t", np.array([]))).sum()),
            "opportunities_with_several_changed_by": int((owners > 1).sum()),
            "definition": "planted: open opportunities moved to another rep of the team; realised: "
            "opportunities whose stage history names more than one changed_by (reassignments and "
            "successors of reps who left); pipeline_history.totals.owner_moves counts the moves "
            "between extracts",
        },
        "process_health": {
            "natural_rep_week_quantiles": getattr(sim, "natural_quantiles", {}),
            "quantile": fw.outlier_quantile,
            "factor": fw.outlier_factor,
        },
    }
    if phr is not None:
        evidence = phr[phr["kind"].isin(["loss_evidence", "signal"])]
        pattern = "|".join(re.escape(x) for x in simulator_terms)
        out["phrasings"] = {
            "by_kind": {k: int(v) for k, v in phr["kind"].value_counts().sort_index().items()},
            "evidence_and_signal_phrasings": int(len(evidence)),
            "share_without_simulator_terms": _r(
                (~evidence["text"].str.contains(pattern, regex=True)).mean()
            ),
            "emerging_term_in_simulator_terms": any(
                cfg.emerging.term in x or x in cfg.emerging.term for x in simulator_terms
            ),
            "truth_csv": "truth/field_phrasings.csv",
            "definition": "planted loss-evidence (chat and activity notes) and signal phrasings: share "
            "containing none of the simulator's own term lists (vocab evidence terms, keyword labels, "
            "requirement terms) verbatim; tests/simulator/test_field_world.py measures the same share "
            "against the product's seeds",
        }
    return out


def _evidence_opportunities(t: dict[str, pd.DataFrame]) -> set:
    terms = sorted({x for v in vocab.EVIDENCE_TERMS.values() for x in v})
    pattern = "|".join(re.escape(x) for x in terms)
    chat = t["chat_messages"]
    a = t["activities"]
    hits = set(
        chat.loc[
            chat["opportunity_id"].notna() & chat["text"].str.contains(pattern, regex=True),
            "opportunity_id",
        ]
    )
    hits |= set(
        a.loc[
            a["opportunity_id"].notna() & a["note"].fillna("").str.contains(pattern, regex=True),
            "opportunity_id",
        ]
    )
    return hits


def _adoption_realised(sim, t, group: pd.Series, traceable: pd.Series, lost_group) -> dict:
    opp = t["opportunities"]
    og = group.reindex(opp["opportunity_id"]).to_numpy()
    res = {g: {} for g in GROUPS}
    # lead-to-sign cycle
    con = (
        t["contracts"]
        .merge(opp[["opportunity_id", "lead_id"]], on="opportunity_id")
        .merge(t["leads"][["lead_id", "created_at"]], on="lead_id")
    )
    cyc = (_ts(con["signed_at"]) - _ts(con["created_at"])).dt.total_seconds() / 86400
    cg = group.reindex(con["opportunity_id"]).to_numpy()
    # retention of new hires
    reps = t["reps"][t["reps"]["role"] == "rep"]
    org = t["org_units"].set_index("unit_id")
    hire = pd.to_datetime(reps["hire_date"])
    term = pd.to_datetime(reps["termination_date"])
    since = pd.to_datetime(org["structured_since"].reindex(reps["team_id"]).to_numpy())
    start = pd.Timestamp(sim.clock.start)
    end = pd.Timestamp(sim.clock.end_date)
    cohort = (hire >= start) & (hire + pd.Timedelta(days=90) <= end)
    kept = term.isna() | (term > hire + pd.Timedelta(days=90))
    rg = np.where(
        ~pd.isna(since) & (hire.to_numpy() >= since.to_numpy(dtype="datetime64[ns]")),
        "structured",
        "traditional",
    )
    # attainment and target deviation per rep-month
    rt = sim.rep_targets
    att = rt["A"] / rt["committed"] * 100
    dev = (rt["A"] - rt["committed"]).abs() / rt["committed"]
    rt = rt.assign(att=att).sort_values(["rep", "m"])
    # trailing 6 months of one rep, all in the same group (traditional or structured)
    rt["run"] = (
        (rt["rep"] != rt["rep"].shift())
        | (rt["group"] != rt["group"].shift())
        | (rt["m"] != rt["m"].shift() + 1)
    ).cumsum()
    rolling = (
        rt.groupby("run")["att"].rolling(6, min_periods=6).std().reset_index(level=0, drop=True)
    )
    rt = rt.assign(vol=rolling.reindex(rt.index))
    # reuse, MOT, visits
    used = opp["opportunity_id"].isin(t["sop_usage"]["opportunity_id"])
    h = t["opportunity_stage_history"]
    q = (
        h[h["stage"] == "quote"]
        .sort_values("entered_at")
        .groupby("opportunity_id")["entered_at"]
        .first()
    )
    qe = t["qualification_events"]
    mot = qe[qe["kind"].isin(["budget_range", "decision_date", "decision_maker_access"])].copy()
    mot["quote_at"] = q.reindex(mot["opportunity_id"]).to_numpy()
    before = mot[mot["recorded_at"] <= mot["quote_at"]].groupby("opportunity_id")["kind"].nunique()
    compliant = before.reindex(q.index).fillna(0) == 3
    qg = group.reindex(q.index).to_numpy()
    a = t["activities"]
    visits = (
        a[a["visit_id"].notna()]
        .groupby("visit_id")
        .agg(nodes=("node", "size"), opp=("opportunity_id", "first"))
    )
    vg = group.reindex(visits["opp"]).to_numpy()
    for gi, g in enumerate(GROUPS):
        res[g]["lead_to_sign_days"] = _r(cyc[cg == g].mean(), 2)
        sel = cohort & (rg == g)
        res[g]["retention_90d"] = _r(kept[sel].mean()) if sel.any() else None
        res[g]["retention_cohort_size"] = int(sel.sum())
        res[g]["attainment_volatility_pp"] = _r(rt.loc[rt["group"] == gi, "vol"].mean(), 2)
        res[g]["target_deviation_rate"] = _r(dev[rt["group"].sort_index() == gi].mean())
        res[g]["loss_reason_traceability"] = (
            _r(traceable[lost_group == g].mean()) if (lost_group == g).any() else None
        )
        res[g]["best_practice_reuse"] = _r(used[og == g].mean()) if (og == g).any() else None
        res[g]["mot_compliance"] = _r(compliant[qg == g].mean()) if (qg == g).any() else None
        res[g]["visit_completeness"] = (
            _r((visits["nodes"][vg == g] == 5).mean()) if (vg == g).any() else None
        )
    return res


def _sop_realised(sim, t) -> dict:
    cfg = sim.cfg
    cards = t["sop_cards"]
    use = t["sop_usage"]
    fb = t["sop_feedback"].merge(use[["usage_id", "card_id"]], on="usage_id")
    end = pd.Timestamp(sim.clock.end_date) + pd.Timedelta(days=1)
    recent = use[_ts(use["used_at"]) >= end - pd.Timedelta(days=90)]
    reps = t["reps"]
    active_reps = reps[(reps["role"] == "rep") & reps["termination_date"].isna()]
    opp = t["opportunities"]
    closed = opp[opp["status"].isin(["won", "lost"])]
    won = closed["status"] == "won"
    truth = sim.truth_tables["sop_cards"].set_index("card_id")
    within = (
        _ts(fb["submitted_at"])
        - _ts(use.set_index("usage_id")["used_at"].reindex(fb["usage_id"]).reset_index(drop=True))
    ).dt.total_seconds() <= 48 * 3600
    rows = []
    for _, c in cards.iterrows():
        cid = c["card_id"]
        usage_rate = recent.loc[recent["card_id"] == cid, "rep_id"].nunique() / max(
            len(active_reps), 1
        )
        f = fb[fb["card_id"] == cid]
        neg = (f["verdict"] == "not_applicable").mean() if len(f) else None
        used_opps = set(use.loc[use["card_id"] == cid, "opportunity_id"])
        u = closed["opportunity_id"].isin(used_opps)
        lift = (won[u].mean() - won[~u].mean()) if u.any() and (~u).any() else None
        rows.append(
            {
                "card_id": cid,
                "status": c["status"],
                "uplift_log_odds": _r(truth.loc[cid, "uplift_log_odds"]),
                "planted_retirement_candidate": bool(
                    truth.loc[cid, "planted_retirement_candidate"]
                ),
                "realised_usage_rate_90d": _r(usage_rate),
                "realised_negative_feedback_share": _r(neg),
                "realised_win_rate_lift": _r(lift),
                "uses": int(len(used_opps)),
            }
        )
    cand = [
        r["card_id"]
        for r in rows
        if r["status"] == "active"
        and r["realised_usage_rate_90d"] is not None
        and r["realised_usage_rate_90d"] < cfg.sop.retirement_usage_threshold
        and (r["realised_negative_feedback_share"] or 0) > cfg.sop.retirement_negative_threshold
    ]
    return {
        "planted": {k: v for k, v in cfg.sop.__dict__.items()},
        "cards": rows,
        "planted_retirement_candidates": [
            r["card_id"] for r in rows if r["planted_retirement_candidate"]
        ],
        "realised_retirement_candidates": cand,
        "realised_feedback_within_48h": _r(within.mean()) if len(within) else None,
        "definition": "usage rate = distinct active reps who used the card in the last 90 days ÷ active reps; negative = "
        "not_applicable share of its feedback; lift = win rate of closed opportunities with a use − without",
    }


def _extract_moves(before: pd.DataFrame, after: pd.DataFrame) -> dict:
    """Moves between two extracts over the opportunities of ``before`` (present in ``after``)."""
    after = after.reindex(before.index)
    amount_b = pd.to_numeric(before["amount"]).to_numpy(float)
    amount_a = pd.to_numeric(after["amount"]).to_numpy(float)
    close_b = pd.to_datetime(before["expected_close_date"], format="%Y-%m-%d", errors="coerce")
    close_a = pd.to_datetime(after["expected_close_date"], format="%Y-%m-%d", errors="coerce")
    return {
        "open_compared": int(len(before)),
        "amount_up": int((amount_a > amount_b).sum()),
        "amount_down": int((amount_a < amount_b).sum()),
        "close_pushed": int((close_a.to_numpy() > close_b.to_numpy()).sum()),
        "close_pulled": int((close_a.to_numpy() < close_b.to_numpy()).sum()),
        "owner_moves": int(
            (after["owner_rep_id"].to_numpy() != before["owner_rep_id"].to_numpy()).sum()
        ),
    }


def pipeline_history(
    extracts: list[tuple[str, pd.DataFrame]],
    final: pd.DataFrame,
    end_date,
    planted: dict,
) -> dict:
    """How open opportunities' values moved between consecutive opportunity extracts.

    ``extracts``: the dated monthly extracts ``(YYYY-MM-DD, formatted table)``, oldest first;
    ``final``: the undated final extract (``opportunities.csv``, dated ``end_date``). For each
    extract and the next one, keyed by the later extract's date: amount up / down, expected
    close date pushed out / pulled in (both texts are dates) and owner moves, over the
    opportunities open in the earlier extract and present in the later one (``per_extract``),
    and over those open in both (``per_extract_open_in_both``: what the daily snapshot shows
    on the two dates, since a deal closed in between leaves the snapshot on its close day)."""
    chain = [*extracts, (pd.Timestamp(end_date).strftime("%Y-%m-%d"), final)]
    per_extract: dict[str, dict] = {}
    open_in_both: dict[str, dict] = {}
    for (_, before), (day, after) in zip(chain, chain[1:], strict=False):
        b = before[before["status"] == "open"].set_index("opportunity_id")
        a = after.set_index("opportunity_id")
        b = b[b.index.isin(a.index)]
        per_extract[day] = _extract_moves(b, a)
        still = a.reindex(b.index)["status"].eq("open").to_numpy()
        open_in_both[day] = _extract_moves(b[still], a)

    def total(rows: dict[str, dict]) -> dict:
        keys = next(iter(rows.values())).keys() if rows else ()
        return {k: sum(r[k] for r in rows.values()) for k in keys}

    return {
        "planted": {k: list(v) if isinstance(v, tuple) else v for k, v in planted.items()},
        "extract_dates": [day for day, _ in extracts],
        "final_extract_date": chain[-1][0],
        "per_extract": per_extract,
        "totals": total(per_extract),
        "per_extract_open_in_both": open_in_both,
        "totals_open_in_both": total(open_in_both),
        "definition": "between each opportunity extract and the next (monthly parts "
        "crm/opportunities_YYYY-MM-DD.csv, then crm/opportunities.csv dated end_date), over "
        "opportunities open in the earlier one and present in the later one (open_in_both: "
        "open in both): amount up/down, expected close date (both dates) pushed out/pulled "
        "in, owner changed; keyed by the later extract's date",
    }


def _deviation_reasons(sim, t) -> dict:
    """Which scenario each deviation report's free text was written from, and the SOP card
    written for that scenario (by title; None = no card covers it)."""
    reports = sim.truth_tables["deviation_reports"]
    cards = t["sop_cards"]
    return {
        "scenarios": {
            k: {
                "reason_type": reason_type,
                "sop_title": title,
                "sop_card_ids": sorted(cards.loc[cards["title"] == title, "card_id"]),
                "phrasings": phrasings,
            }
            for k, (reason_type, title, phrasings) in vocab.DEVIATION_SCENARIOS.items()
        },
        "realised_scenario_mix": {
            k: _r(v)
            for k, v in reports["scenario"].value_counts(normalize=True).sort_index().items()
        },
        "reports": int(len(reports)),
        "truth_csv": "truth/deviation_reports.csv",
        "definition": "reason_text = one phrasing of the report's scenario + an optional boilerplate suffix "
        "(影响本周签约 / 预计下周恢复 / 需总部支持); a clustering is right when each cluster holds one "
        "scenario and links its scenario's card first",
    }
