"""SOP know-how and retention marts recover what the simulator planted (issue 6).

Three worlds: the default (scale 0.25, seed 42), simulator/configs/alt.yaml (other planted
uplifts, reuse rates, retention) and the field world (simulator/configs/field.yaml: a vendor
CRM export, low win rates, long cycles, cards used on fewer deals). Truth: ``truth.json``
``sop`` and ``adoption.realised``, and ``truth/sop_cards.csv`` (planted ``uplift_log_odds`` per
card). Where the field world is held to a different bar, the test says which and why; the
default and alt bars are the same as before the field world existed.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

WORLDS = ("default", "alt", "field")


@pytest.fixture(scope="module", params=WORLDS)
def world(request, planted_world):
    return planted_world(request.param)


def planted_uplift(world) -> dict[str, float]:
    cards = world.truth_csv("sop_cards")
    return dict(zip(cards["card_id"], cards["uplift_log_odds"], strict=True))


def rankable_cards(world):
    return world.query(
        """
        select card_id, uplift_rank, shrunk_uplift_pp, used_closed_count, rankable_cards_count
        from marts.fct_sop_card_performance
        where is_rankable
        order by uplift_rank
        """
    )


def test_cards_with_the_largest_planted_uplift_rank_on_top(world):
    """What is asserted, among the rankable cards (≥ 20 closed opportunities with a use; a
    planted card used on 6 deals cannot be told from noise at scale 0.25, so it is shrunk
    and left unranked):
    - the card ranked 1st by shrunk uplift is a planted-positive card;
    - every rankable planted-positive card ranks in the top third;
    - every rankable planted-negative card ranks in the bottom quarter;
    - mean shrunk uplift: planted positive > no effect > planted negative.
    Both worlds have at least one rankable positive and one rankable negative card, so no
    check is vacuous. Why not "top-k = the planted positives": at ~120 closed deals per card
    the uplift's standard error is ~4 pp while a planted +0.56 log-odds is ~+10 pp, so a
    null card two standard errors lucky can pass a weak planted one (default: SOP027 ranks
    6th of 25).

    Field world, one bar differs: a planted-positive card must rank within the top
    ``recommendation_count`` (seed sop_rules, 3: the cards a rep is shown), not 1st. There a
    rankable card has a median of 50 closed deals with a use (default 102, alt 120), so its
    uplift's standard error is ~7 pp (default ~4.6 pp), and 17 of its 21 rankable cards are
    null: the largest of 17 null z-scores is ~1.8 on average and above 2.5 one time in ten,
    while a planted +0.64 to +0.77 log-odds at a 30–45% win rate is +15 to +18 pp, about
    2.3 standard errors. So whether the best planted card or the luckiest null card comes
    first is chance (field: a null card used on 23 closed deals, 20 of them won, ranks 1st
    at +24 pp raw, +13 pp shrunk; the best planted card is 2nd). The top-third and
    bottom-quarter bars and the ordering of the group means hold there unchanged."""
    planted = planted_uplift(world)
    ranked = rankable_cards(world)
    n = len(ranked)
    assert n >= 20
    assert (ranked["rankable_cards_count"] == n).all()
    assert list(ranked["uplift_rank"]) == list(range(1, n + 1))
    effect = ranked["card_id"].map(planted)
    positive, negative = ranked[effect > 0], ranked[effect < 0]
    assert len(positive) >= 1 and len(negative) >= 1
    if world.name == "field":
        shown = int(
            world.query("select recommendation_count from seeds.sop_rules")[
                "recommendation_count"
            ].iloc[0]
        )
        assert positive["uplift_rank"].min() <= shown, positive
    else:
        assert planted[ranked["card_id"].iloc[0]] > 0
    assert positive["uplift_rank"].max() <= math.ceil(n / 3), positive
    assert negative["uplift_rank"].min() > math.floor(0.75 * n), negative
    nulls = ranked[effect == 0]["shrunk_uplift_pp"].mean()
    assert positive["shrunk_uplift_pp"].mean() > nulls > negative["shrunk_uplift_pp"].mean()


def feedback_counts(world) -> pd.Series:
    """Uses with feedback per card, counted from the landing files (not from the mart)."""
    crm = world.landing / "crm"
    sql = f"""
        select usage.card_id, count(distinct usage.usage_id) as feedback
        from read_csv('{crm / "sop_usage.csv"}', all_varchar = true) as usage
        inner join read_csv('{crm / "sop_feedback.csv"}', all_varchar = true) as feedback
            on feedback.usage_id = usage.usage_id
        group by usage.card_id
    """
    con = duckdb.connect()
    try:
        return con.execute(sql).df().set_index("card_id")["feedback"]
    finally:
        con.close()


def test_planted_retirement_candidates_are_found(world):
    """Usage rate (active reps using the card in the last 90 days ÷ active reps, the truth's
    realised_usage_rate_90d) < 15% and not_applicable feedback > 40%. A planted candidate
    that was never used has no feedback and cannot be found (default: SOP023), so the
    mart must list exactly the truth's realised candidates, all of them planted ones.

    The mart also asks for ``retirement_min_feedback`` (seed sop_rules, 5) feedbacks before it
    retires a card: a card is not retired on one or two opinions. In the default and alt
    worlds every realised candidate has that many, so the bar there is unchanged (the realised
    candidates, and at least one). In the field world cards are used on fewer deals and
    neither realised candidate has 5 feedbacks (SOP023: 1, SOP027: 4), so none may be listed:
    the field check is that no card is retired on thin evidence (no false candidate among 40
    cards), and that the thin candidates miss only on evidence — their usage rate and negative
    share in the mart do cross the seed's thresholds."""
    sop = world.truth["sop"]
    rules = world.query("select * from seeds.sop_rules").iloc[0]
    realised = set(sop["realised_retirement_candidates"])
    feedback = feedback_counts(world).reindex(sorted(realised), fill_value=0)
    judged = set(feedback[feedback >= rules["retirement_min_feedback"]].index)
    cards = world.query(
        "select card_id, is_retirement_candidate, usage_rate, negative_feedback_share"
        " from marts.fct_sop_card_performance"
    ).set_index("card_id")
    found = set(cards.index[cards["is_retirement_candidate"]])
    assert found == judged
    assert found <= set(sop["planted_retirement_candidates"])
    if world.name == "field":
        thin = cards.loc[sorted(realised - judged)]
        assert len(thin) > 0
        assert (thin["usage_rate"] < rules["retirement_max_usage_rate"]).all(), thin
        assert (thin["negative_feedback_share"] > rules["retirement_min_negative_share"]).all()
    else:
        assert found == realised
        assert found


def test_usage_rate_and_negative_share_match_the_truth(world):
    """Negative share: same definition, exact (truth rounds to 4 places). Usage rate: the
    mart counts only reps active on as_of in the numerator (the truth counts every rep who
    used the card, leavers included), so it can only be lower, by at most the reps who left
    in the last 90 days ÷ active reps."""
    truth = {c["card_id"]: c for c in world.truth["sop"]["cards"]}
    cards = world.query(
        """
        select card_id, usage_rate, negative_feedback_share, active_reps
        from marts.fct_sop_card_performance
        """
    )
    leavers = world.query(
        """
        select count(*) as leavers
        from marts.dim_reps
        where role = 'rep' and termination_date > as_of - interval 90 day
            and termination_date <= as_of
        """
    )["leavers"].iloc[0]
    bound = leavers / cards["active_reps"].iloc[0] + 1e-4
    for row in cards.itertuples():
        expected = truth[row.card_id]
        if expected["realised_negative_feedback_share"] is None:
            assert math.isnan(row.negative_feedback_share)
        else:
            assert row.negative_feedback_share == pytest.approx(
                expected["realised_negative_feedback_share"], abs=1e-4
            )
        assert -1e-4 <= expected["realised_usage_rate_90d"] - row.usage_rate <= bound


def test_feedback_within_48_hours_share(world):
    """Of the feedback given, the share within 48 h (the truth's realised value, planted
    0.88). The mart's own rate divides by every due use (no feedback = not on time); here the
    on-time count is divided by the feedback count to compare like with like. ±0.01: the
    mart leaves out uses whose 48 h had not ended by as_of (the truth keeps them). Same bar in
    the field world, where the same 88% is planted (measured there: 0.004 below the truth)."""
    on_time, feedback = world.query(
        """
        select sum(feedback_on_time_count), sum(feedback_count)
        from marts.fct_sop_card_performance
        """
    ).iloc[0]
    assert on_time / feedback == pytest.approx(
        world.truth["sop"]["realised_feedback_within_48h"], abs=0.01
    )


def test_reuse_rate_per_regime_matches_the_truth(world):
    """reused ÷ eligible at HQ over all months, per regime, vs adoption.realised
    best_practice_reuse (used ÷ all opportunities of the group). Every simulated
    opportunity has a card for its scenario (cards for all industries exist at every
    stage), so eligible = all and the rates agree to rounding (truth rounds to 4 places).

    Field world: its first all-industry lead-stage card was written seven weeks after its
    first deal, so deals lost at the lead stage before that had no card for their scenario
    and are not eligible (SPEC §5; 45 traditional deals, 0.9%), while the truth divides by
    every deal. The bar there is the bound those deals allow, and no wider: each deal outside
    the mart's population is at most one more used deal, so the truth's used ÷ all lies
    between reused ÷ all and (reused + not eligible) ÷ all (± rounding), and at most 1% of a
    regime's deals may be outside. Where every deal is eligible (default, alt) the bound is
    the exact equality above."""
    realised = world.truth["adoption"]["realised"]
    rows = world.query(
        """
        select process_regime, sum(reused_count) as reused, sum(eligible_count) as eligible,
               sum(opportunities_count) as opportunities
        from marts.fct_best_practice_reuse_monthly
        where unit_level = 'hq'
        group by process_regime
        """
    ).set_index("process_regime")
    for regime in ("traditional", "structured"):
        reused, eligible = rows.loc[regime, "reused"], rows.loc[regime, "eligible"]
        truth = realised[regime]["best_practice_reuse"]
        if world.name != "field":
            assert reused / eligible == pytest.approx(truth, abs=1e-4)
            continue
        everyone = rows.loc[regime, "opportunities"]
        outside = everyone - eligible
        assert outside <= 0.01 * everyone, (regime, outside, everyone)
        assert reused / everyone - 1e-4 <= truth <= (reused + outside) / everyone + 1e-4, regime
    assert rows.loc["structured", "reused"] / rows.loc["structured", "eligible"] > (
        rows.loc["traditional", "reused"] / rows.loc["traditional", "eligible"] + 0.2
    )


def test_retention_per_regime_matches_the_truth(world):
    """Hire cohorts in the 24-month comparison window (the simulated window), every cohort
    whose 90 days have passed. Cohorts are small (default: 20 traditional and 6 structured
    hires; one rep moves the structured rate by 17 pp), so no sampling tolerance would mean
    anything: the definition is the truth's (retained = no termination or termination later
    than hire + 90 days; regime by the team's structured_since at hire), and the cohort sizes
    and rates must agree exactly (the truth rounds to 4 places)."""
    realised = world.truth["adoption"]["realised"]
    rows = world.query(
        """
        select process_regime, sum(retained_count) as retained, sum(hired_count) as hired
        from marts.fct_new_rep_retention
        where unit_level = 'hq' and is_in_comparison_window
        group by process_regime
        """
    ).set_index("process_regime")
    for regime in ("traditional", "structured"):
        assert rows.loc[regime, "hired"] == realised[regime]["retention_cohort_size"]
        assert rows.loc[regime, "retained"] / rows.loc[regime, "hired"] == pytest.approx(
            realised[regime]["retention_90d"], abs=1e-4
        )


def test_recommendations_lead_with_the_best_card_and_never_with_a_harmful_one(world):
    planted = planted_uplift(world)
    recs = world.query(
        """
        select recommendation.unit_id, recommendation.industry, recommendation.stage,
               recommendation.recommendation_rank, recommendation.card_id
        from marts.fct_sop_recommendations as recommendation
        """
    )
    assert len(recs) > 0
    ranks = recs.groupby(["unit_id", "industry", "stage"])["recommendation_rank"]
    assert (ranks.max() == ranks.count()).all()
    best = world.query(
        """
        select card_id, industry, stage
        from marts.fct_sop_card_performance
        where uplift_rank = 1
        """
    ).iloc[0]
    where_it_fits = recs[
        (recs["stage"] == best["stage"])
        & (pd.isna(best["industry"]) | (recs["industry"] == best["industry"]))
    ]
    first = where_it_fits[where_it_fits["recommendation_rank"] == 1]
    assert len(first) > 0 and (first["card_id"] == best["card_id"]).all()
    firsts = recs[recs["recommendation_rank"] == 1]["card_id"].map(planted)
    assert (firsts >= 0).all()
