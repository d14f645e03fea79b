"""The README renderer of the marts' landing-table requirements (the rule itself lives in dbt
and is checked on real builds: tests/dbt/test_partial_source.py)."""

from __future__ import annotations

import pytest

from salesops.mart_requirements import (
    ALONE_MARKERS,
    TABLE_MARKERS,
    MartRequirement,
    render_readme,
    render_table,
    splice,
)

MARTS = [
    MartRequirement("dim_org_units", (), ("org_units", "reps")),
    MartRequirement("fct_conversion_cohorts", ("opportunities",), ("leads",)),
    MartRequirement("fct_funnel_stages", ("opportunities", "opportunity_stage_history"), ()),
    MartRequirement("fct_attainment_rep_month", ("contracts", "opportunities", "reps", "targets"), ()),
]


def test_table_lists_required_and_optional_tables_and_the_opportunities_only_marts():
    assert render_table(MARTS).splitlines()[2:] == [
        "| `dim_org_units` | — | `org_units`, `reps` | ✓ |",
        "| `fct_conversion_cohorts` | `opportunities` | `leads` | ✓ |",
        # the stage history is derived from a current-state export when no file has one
        "| `fct_funnel_stages` | `opportunities`, `opportunity_stage_history` | — | ✓ |",
        "| `fct_attainment_rep_month` | `contracts`, `opportunities`, `reps`, `targets` | — |  |",
    ]


def test_render_replaces_only_what_lies_between_the_markers():
    text = (
        f"intro\n{TABLE_MARKERS[0]}\nold table\n{TABLE_MARKERS[1]}\nmiddle "
        f"{ALONE_MARKERS[0]}\nold list\n{ALONE_MARKERS[1]}\nend\n"
    )
    rendered = render_readme(MARTS, text)
    assert rendered.startswith("intro\n") and rendered.endswith("\nend\n")
    assert "old" not in rendered
    assert f"{ALONE_MARKERS[0]}\n`dim_org_units`, `fct_conversion_cohorts`, `fct_funnel_stages`.\n{ALONE_MARKERS[1]}" in rendered
    assert render_readme(MARTS, rendered) == rendered  # idempotent


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="mart-requirements"):
        splice("no markers here", TABLE_MARKERS, "body")
