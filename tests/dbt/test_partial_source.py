"""A source with only some extracts builds every mart it can; the rest are reported.

Two builds of the fixture in tests/dbt/conftest.py as of 2026-03-31, every other bronze
table written empty with the contract's schema (as the ingest layer does):
- "partial": only opportunities, reps and opportunity_stage_history. No org tree, so the
  funnel is built on the implicit root ``__all__`` and the reps' teams; no contracts, so
  fct_lead_to_sign is not available.
- "no history": only opportunities and reps. The funnel marts are not available and
  empty: no stage position is made up.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from salesops.contract import TABLES

AS_OF = "2026-03-31"
PARTIAL = ("opportunities", "reps", "opportunity_stage_history")
NO_HISTORY = ("opportunities", "reps")
STAGE_KEYS = ("lead", "qualified", "quote", "negotiation", "contract_approval")


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory, warehouse_builder, fixture_rows) -> dict[str, Path]:
    # every model and seed (the availability rule is checked on every mart), no data tests:
    # those run on the hand fixture (test_marts_build.py) and the planted worlds
    args = ("build", "--exclude-resource-type", "test", "--vars", f'{{"as_of": "{AS_OF}"}}')
    return {
        name: warehouse_builder(tmp_path_factory.mktemp(name), fixture_rows(*tables), *args)
        for name, tables in (("partial", PARTIAL), ("no_history", NO_HISTORY))
    }


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def mart_availability(db: Path, present: tuple[str, ...]) -> dict[str, tuple]:
    """The availability of the marts this module names explicitly; every other mart (there
    are dozens, and more with each issue) is checked against the rule itself: it is
    available exactly when none of its required tables is missing, the tables it reports
    missing are exactly its required ones without rows, and an unavailable mart is empty."""
    rows = query(
        db,
        """
        select mart_name, is_available, required_tables, missing_tables, missing_optional_tables
        from marts.fct_mart_availability
        """,
    )
    split = lambda text: [t for t in text.split(", ") if t]  # noqa: E731
    for name, available, required, missing, _ in rows:
        assert split(missing) == [t for t in split(required) if t not in present], name
        assert available == (missing == ""), name
        if not available:
            assert query(db, f"select count(*) from marts.{name}") == [(0,)], name
    return {r[0]: tuple(r[1:]) for r in rows if r[0] in EXPLICIT_MARTS}


EXPLICIT_MARTS = {
    "dim_org_units",
    "dim_opportunities",
    "dim_reps",
    "fct_funnel_stages",
    "fct_funnel_summary",
    "fct_lead_to_sign",
    "fct_opportunity_signal_evidence",
    "fct_opportunity_signals_daily",
    "fct_rep_signals_daily",
    "fct_requirement_mentions_weekly",
    "fct_team_emerging_terms_weekly",
    "fct_team_top_keywords_weekly",
}
FUNNEL_REQUIRES = "opportunities, opportunity_stage_history, reps"
LEAD_TO_SIGN_REQUIRES = "contracts, opportunities, opportunity_stage_history"


def signal_marts_without_chat(evidence_missing: str = "chat_messages") -> dict[str, tuple]:
    """The chat-signal marts in a fixture without chat: all unavailable, chat_messages missing."""
    return {
        "fct_opportunity_signal_evidence": (
            False,
            "chat_messages, opportunities, opportunity_stage_history",
            evidence_missing,
            "",
        ),
        "fct_opportunity_signals_daily": (False, "chat_messages", "chat_messages", ""),
        "fct_rep_signals_daily": (False, "chat_messages", "chat_messages", ""),
        "fct_requirement_mentions_weekly": (False, "chat_messages, opportunities", "chat_messages", ""),
        "fct_team_emerging_terms_weekly": (False, "chat_messages, reps", "chat_messages", "org_units"),
        "fct_team_top_keywords_weekly": (False, "chat_messages, reps", "chat_messages", "org_units"),
    }


def test_source_availability_lists_every_landing_table_with_its_rows(warehouses):
    rows = query(
        warehouses["partial"],
        "select table_name, source, row_count, is_available, as_of from marts.fct_source_availability",
    )
    # fixture: 6 opportunities, 3 reps, 5 + 6 + 3 + 6 + 1 = 21 stage-history entries
    present = {"opportunities": 6, "reps": 3, "opportunity_stage_history": 21}
    assert sorted(rows) == sorted(
        (
            table.name,
            table.source,
            present.get(table.name, 0),
            table.name in present,
            date(2026, 3, 31),
        )
        for table in TABLES.values()
    )


def test_mart_availability_of_a_partial_source(warehouses):
    assert mart_availability(warehouses["partial"], PARTIAL) == {
        # the org tree needs nothing: the implicit root stands in for the missing extract
        "dim_org_units": (True, "", "", "org_units"),
        "dim_opportunities": (True, "opportunities", "", "activities, customers"),
        "dim_reps": (True, "reps", "", ""),
        "fct_funnel_stages": (True, FUNNEL_REQUIRES, "", "org_units"),
        "fct_funnel_summary": (True, FUNNEL_REQUIRES, "", "contracts, leads, org_units"),
        "fct_lead_to_sign": (False, LEAD_TO_SIGN_REQUIRES, "contracts", "leads"),
        **signal_marts_without_chat(),
    }


def test_without_org_units_the_tree_is_an_implicit_root_over_the_reps_teams(warehouses):
    rows = query(
        warehouses["partial"],
        "select unit_id, level, parent_id, name, name_path, is_implicit from marts.dim_org_units",
    )
    assert sorted(rows) == [
        ("__all__", "hq", None, "全部 (All)", "全部 (All)", True),
        ("t_bj1", "team", "__all__", "t_bj1", "全部 (All) / t_bj1", True),
        ("t_sh1", "team", "__all__", "t_sh1", "全部 (All) / t_sh1", True),
        ("t_sh2", "team", "__all__", "t_sh2", "全部 (All) / t_sh2", True),
    ]


# The implicit root holds O1..O5 (O6 is created 04-05, after as_of), through the teams of
# their owners rep_a (t_sh1), rep_b (t_sh2) and rep_c (t_bj1).
# (reached, advanced, open, lost, conversion_rate, median_dwell_days, dwell_sample_count)
ROOT_FUNNEL = (
    # all 5 reached lead; O5 has no entry (open lead, no ended visit), the other 4 reached
    # qualified → 4/5. Lead dwell: O1 01-05→01-10 = 5, O2 01-12→01-14 = 2, O3 5, O4 2 →
    # median (2 + 5) / 2 = 3.5.
    (5, 4, 1, 0, 0.8, 3.5, 4),
    # O1..O4 reached qualified and all went further (O1 skipped quote to negotiation).
    # Dwell: O1 10, O2 10 + 5 = 15 (two visits), O3 02-10→03-01 = 19, O4 02-14 09:00→
    # 02-15 18:00 = 1.375 → median (10 + 15) / 2 = 12.5.
    (4, 4, 0, 0, 1.0, 12.5, 4),
    # reached by O1 (skipped), O2, O3, O4; advanced O1, O4 → 2/4; O3 open here; O2 lost
    # with quote its furthest stage. Dwell: O2 5 + 17 = 22, O4 4.625 (O3 censored) →
    # median 13.3125.
    (4, 2, 1, 1, 0.5, 13.3125, 2),
    # O1 and O4, both on to contract_approval; dwell O1 01-20→02-01 = 12, O4 9 → 10.5.
    (2, 2, 0, 0, 1.0, 10.5, 2),
    # O1 and O4, both won; dwell 9 and 9.
    (2, 2, 0, 0, 1.0, 9.0, 2),
)


def approx(values: tuple) -> tuple:
    return tuple(v if v is None or isinstance(v, int) else pytest.approx(v) for v in values)


def test_implicit_root_gets_the_hq_level_funnel(warehouses):
    rows = query(
        warehouses["partial"],
        """
        select unit_id, unit_level, stage, reached_count, advanced_count, open_count,
               lost_count, conversion_rate, median_dwell_days, dwell_sample_count
        from marts.fct_funnel_stages
        """,
    )
    assert {r[0] for r in rows} == {"__all__", "t_sh1", "t_sh2", "t_bj1"}
    root = {r[2]: r[3:] for r in rows if r[0] == "__all__"}
    assert {r[1] for r in rows if r[0] == "__all__"} == {"hq"}
    for stage, expected in zip(STAGE_KEYS, ROOT_FUNNEL, strict=True):
        assert root[stage] == approx(expected), stage
    # a team is rolled up exactly as with the org tree: t_bj1 is O4 alone, won through
    # every stage; lead dwell 02-12→02-14 = 2 days.
    t_bj1 = {r[2]: r[3:] for r in rows if r[0] == "t_bj1"}
    assert t_bj1["lead"] == approx((1, 1, 0, 0, 1.0, 2.0, 1))


def test_implicit_root_summary_has_outcomes_but_nothing_signed(warehouses):
    rows = query(
        warehouses["partial"],
        """
        select unit_id, opportunities_count, open_count, won_count, lost_count,
               win_rate_count, signed_count, median_lead_to_sign_days
        from marts.fct_funnel_summary where unit_id = '__all__'
        """,
    )
    # open O3, O5; won O1, O4; lost O2 → 2 / 3. No contracts extract: nothing signed.
    assert rows == [("__all__", 5, 2, 2, 1, pytest.approx(2 / 3), 0, None)]
    assert query(warehouses["partial"], "select count(*) from marts.fct_lead_to_sign") == [(0,)]


def test_without_stage_history_the_funnel_is_not_available_and_empty(warehouses):
    db = warehouses["no_history"]
    assert mart_availability(db, NO_HISTORY) == {
        "dim_org_units": (True, "", "", "org_units"),
        "dim_opportunities": (True, "opportunities", "", "activities, customers, opportunity_stage_history"),
        "dim_reps": (True, "reps", "", ""),
        "fct_funnel_stages": (False, FUNNEL_REQUIRES, "opportunity_stage_history", "org_units"),
        "fct_funnel_summary": (
            False,
            FUNNEL_REQUIRES,
            "opportunity_stage_history",
            "contracts, leads, org_units",
        ),
        "fct_lead_to_sign": (
            False,
            LEAD_TO_SIGN_REQUIRES,
            "contracts, opportunity_stage_history",
            "leads",
        ),
        **signal_marts_without_chat("chat_messages, opportunity_stage_history"),
    }
    # no fabricated history: not even the opportunities as open leads
    for mart in ("fct_funnel_stages", "fct_funnel_summary", "fct_lead_to_sign"):
        assert query(db, f"select count(*) from marts.{mart}") == [(0,)], mart
    # the org tree (the scope picker's) is still there
    assert query(db, "select count(*) from marts.dim_org_units") == [(4,)]


def test_readme_table_of_mart_requirements_is_current(warehouses):
    # The lineage is the same whatever the data: the full build here renders the table that
    # dbt_project/README.md must hold (python -m salesops.mart_requirements writes it).
    from salesops.mart_requirements import README, read_requirements, render_readme

    committed = README.read_text(encoding="utf-8")
    rendered = render_readme(read_requirements(warehouses["partial"]), committed)
    assert committed == rendered, (
        "dbt_project/README.md's mart requirements are stale: build the project, then run "
        "`python -m salesops.mart_requirements [path/to/build.duckdb]`"
    )
