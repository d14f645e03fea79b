"""The efficiency comparison (the article's five-row table) recovers the planted effects.

Three worlds (default, alt, field); truth: ``truth.json`` ``adoption.realised`` (per regime,
computed by the simulator with SPEC §5 definitions) and ``adoption.structured_since`` per
region. For each KPI the overall row must show the truth's direction and a size close to the
truth's: the two values each within a tolerance, and the relative change within a tolerance,
both justified per KPI below. The field world (a vendor CRM export with quarantined rows,
long cycles, reassignments, paraphrased evidence) is held to the same tolerances except where
``FIELD_BARS`` says otherwise and why.
"""

from __future__ import annotations

import math

import pytest

WORLDS = ("default", "alt", "field")

# KPI → (truth key, tolerance on each value, tolerance on the relative change, why)
TOLERANCES = {
    "attainment_volatility_pp": (
        "attainment_volatility_pp",
        0.5,
        0.05,
        "same definition (trailing 6 same-regime months, sample stdev); 0.5 pp covers "
        "rounding and the as_of month, which the mart leaves out until it is complete",
    ),
    "lead_to_sign_days": (
        "lead_to_sign_days",
        1.5,
        0.03,
        "the mart counts whole calendar days to the first contract of won deals; the truth "
        "averages fractional days over every contract",
    ),
    "new_rep_retention_90d": (
        "retention_90d",
        1e-4,
        1e-3,
        "same definition and the same cohorts (see test_capability_planted): exact",
    ),
    "loss_reason_traceability": (
        "loss_reason_traceability",
        0.06,
        0.5,
        "fct_lost_opportunity_reasons counts every opportunity lost by as_of, including "
        "deals lost before the extract window whose early chat and notes were never "
        "exported (so less traceable); the truth counts only those lost inside the window. "
        "That lowers the traditional value by ~0.04 and inflates the relative change",
    ),
    "best_practice_reuse_rate": (
        "best_practice_reuse",
        1e-3,
        0.01,
        "same definition; every simulated opportunity is eligible (field world: 0.9% of "
        "traditional deals closed before any card fit them, 0.0002 off the truth; see "
        "test_capability_planted)",
    ),
}


# KPI → (lowest share of the truth's value the mart may show, allowance above it, why) for
# the field world, where a KPI cannot be held to the default tolerance.
FIELD_BARS = {
    "loss_reason_traceability": (
        0.2,
        0.02,
        "traceable = a stated reason code and at least one evidence record the loss-evidence "
        "rules match; the truth counts every deal whose evidence the simulator planted. The "
        "field world writes that evidence from its own paraphrase lexicon (none of its "
        "phrasings carries the simulator's own evidence terms verbatim: truth.json "
        "field_world.phrasings), and the rules find evidence on 35% of the lost "
        "deals that carry it (benchmarks.recovery_figures evidence_coverage_planted 0.354, "
        "false attribution 0.1%), so the mart measures 0.085 vs 0.333 traditional and 0.331 "
        "vs 0.897 structured. Bar: each value between a fifth of the truth (the KPI still "
        "counts a real share of the traceable deals) and the truth + 0.02 (a deal is "
        "traceable without planted evidence only through a false match), the truth's "
        "direction, and no bar on the relative change: evidence is found on a smaller share "
        "of the traditional regime's traceable deals (a quarter vs over a third), so the "
        "relative change comes out inflated (+288% vs +169%). An honest, weak figure: the "
        "matching must improve before this KPI's "
        "size can be read on such text",
    ),
}


@pytest.fixture(scope="module", params=WORLDS)
def world(request, planted_world):
    return planted_world(request.param)


@pytest.fixture(scope="module")
def table(world):
    return world.query(
        """
        select unit_id, scope_level, unit_name, kpi, traditional_value, structured_value,
               traditional_sample, structured_sample, change_pct, direction, is_improvement,
               better_direction
        from marts.fct_efficiency_comparison
        """
    )


def test_one_row_per_scope_and_kpi(table):
    overall = table[table["scope_level"] == "overall"]
    assert sorted(overall["kpi"]) == sorted(TOLERANCES)
    assert len(table) == 5 * table["unit_id"].nunique()


@pytest.mark.parametrize("kpi", sorted(TOLERANCES))
def test_overall_direction_and_size_match_the_truth(world, table, kpi):
    truth_key, value_tolerance, change_tolerance, _why = TOLERANCES[kpi]
    realised = world.truth["adoption"]["realised"]
    traditional = realised["traditional"][truth_key]
    structured = realised["structured"][truth_key]
    row = table[(table["scope_level"] == "overall") & (table["kpi"] == kpi)].iloc[0]
    assert row["direction"] == ("↑" if structured > traditional else "↓")
    if world.name == "field" and kpi in FIELD_BARS:
        lowest_share, allowance, _why = FIELD_BARS[kpi]
        for value, truth in (
            (row["traditional_value"], traditional),
            (row["structured_value"], structured),
        ):
            assert lowest_share * truth <= value <= truth + allowance, (value, truth)
    else:
        assert row["traditional_value"] == pytest.approx(traditional, abs=value_tolerance)
        assert row["structured_value"] == pytest.approx(structured, abs=value_tolerance)
        truth_change = (structured - traditional) / abs(traditional)
        assert row["change_pct"] == pytest.approx(truth_change, abs=change_tolerance)
    # every planted effect is an improvement (article: ±22%→±7%, 86→62 days, 41%→69%, …)
    assert row["is_improvement"]


def test_regions_split_by_their_own_adoption(world, table):
    """A region that never adopted has only a traditional column; an adopted one has both,
    and its cycle, traceability and reuse move the way the planted effect does (retention
    and volatility are left out per region: a handful of hires / rep-months)."""
    adopted = {
        name: since
        for name, since in world.truth["adoption"]["structured_since"].items()
        if isinstance(since, str)
    }
    regions = table[table["scope_level"] == "region"]
    assert set(regions["unit_name"]) == set(world.truth["adoption"]["structured_since"])
    for name, rows in regions.groupby("unit_name"):
        by_kpi = rows.set_index("kpi")
        if name not in adopted:
            assert (rows["structured_sample"] == 0).all(), name
            assert rows["direction"].isna().all(), name
            continue
        assert by_kpi.loc["lead_to_sign_days", "direction"] == "↓", name
        assert by_kpi.loc["loss_reason_traceability", "direction"] == "↑", name
        assert by_kpi.loc["best_practice_reuse_rate", "direction"] == "↑", name
        assert not math.isnan(by_kpi.loc["best_practice_reuse_rate", "structured_value"])


def test_overall_samples_add_up_from_the_regions(table):
    overall = table[table["scope_level"] == "overall"].set_index("kpi")
    regions = table[table["scope_level"] == "region"].groupby("kpi")
    for column in ("traditional_sample", "structured_sample"):
        assert regions[column].sum().sort_index().equals(overall[column].sort_index())
