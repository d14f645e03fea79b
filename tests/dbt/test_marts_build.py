"""Build the dbt project on a hand-made bronze layer and check the marts number by number.

The fixture (tests/dbt/conftest.py, read its docstring first) is built twice:
as of 2026-03-31 ("late") and as of 2026-02-15 ("early"). Every expected value below is
worked out by hand from that fixture; the comments show the arithmetic.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from salesops.contract import OPEN_STAGES, TABLES

DBT = Path(sys.executable).with_name("salesops-dbt")
LATE, EARLY = "2026-03-31", "2026-02-15"
SELECTION = (
    "+fct_funnel_stages",
    "+fct_funnel_summary",
    "+fct_lead_to_sign",
    "+dim_org_units",
    "fct_source_availability",
    "path:models/staging",
    "path:seeds",
)
UNITS = ("hq", "r_east", "c_sh", "t_sh1", "t_sh2", "t_sh3", "r_north", "c_bj", "t_bj1")


def build_home(root: Path, write_bronze, run_dbt, *args: str) -> Path:
    write_bronze(root / "bronze")
    (root / "warehouse").mkdir(parents=True, exist_ok=True)
    run_dbt(root, *args)
    return root / "warehouse" / "build.duckdb"


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory, bronze_writer, dbt_in) -> dict[str, Path]:
    return {
        as_of: build_home(
            tmp_path_factory.mktemp(f"home_{as_of}"),
            bronze_writer,
            dbt_in,
            "build",
            # the marts this module checks, what they need, and every staging view; the other
            # marts have their own fixtures (test_partial_source.py builds them all)
            "--select",
            *SELECTION,
            "--indirect-selection",
            "cautious",
            "--vars",
            f'{{"as_of": "{as_of}"}}',
        )
        for as_of in (LATE, EARLY)
    }


def query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def funnel(db: Path) -> dict[tuple[str, str], tuple]:
    rows = query(
        db,
        """
        select unit_id, stage, reached_count, advanced_count, open_count, lost_count,
               conversion_rate, median_dwell_days, dwell_sample_count
        from marts.fct_funnel_stages
        """,
    )
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def summary(db: Path) -> dict[str, tuple]:
    rows = query(
        db,
        """
        select unit_id, opportunities_count, open_count, won_count, lost_count, win_rate_count,
               signed_count, median_lead_to_sign_days, avg_lead_to_sign_days
        from marts.fct_funnel_summary
        """,
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def approx(values: tuple) -> tuple:
    return tuple(v if v is None or isinstance(v, int) else pytest.approx(v) for v in values)


ZERO = (0, 0, 0, 0, None, None, 0)
STAGE_KEYS = ("lead", "qualified", "quote", "negotiation", "contract_approval")

# Late, 2026-03-31: O1..O5 considered (O6 created 04-05). Positions: O1 furthest won (6),
# O2 furthest quote (3) lost, O3 furthest quote open, O4 won, O5 no entry = open lead.
# Dwell per opportunity (ended visits, days): O1 lead 01-05→01-10 = 5, qualified 01-10→01-20
# = 10, negotiation 01-20→02-01 = 12, contract_approval 02-01→02-10 = 9. O2 lead 2,
# qualified (01-14→01-24) 10 + (01-29→02-03) 5 = 15, quote (01-24→01-29) 5 + (02-03→02-20)
# 17 = 22. O3 lead 5, qualified 02-10→03-01 = 19, quote censored. O4 lead 2, qualified
# 02-14 09:00→02-15 18:00 = 1.375, quote 02-15 18:00→02-20 09:00 = 4.625, negotiation
# 02-20→03-01 = 9, contract_approval 03-01→03-10 = 9.
# Tuples: (reached, advanced, open, lost, conversion_rate, median_dwell_days, dwell_sample_count)
LATE_FUNNEL = {
    # O1 (won, quote skipped) + O2 (lost at quote)
    "t_sh1": (
        (2, 2, 0, 0, 1.0, 3.5, 2),  # dwell median(5, 2) = 3.5
        (2, 2, 0, 0, 1.0, 12.5, 2),  # median(10, 15) = 12.5
        (2, 1, 0, 1, 0.5, 22.0, 1),  # O1 reached quote by skipping it; advanced only O1 → 1/2
        (1, 1, 0, 0, 1.0, 12.0, 1),
        (1, 1, 0, 0, 1.0, 9.0, 1),  # O1 won → advanced
    ),
    # O3 (open at quote) + O5 (open lead, no entry)
    "t_sh2": (
        (2, 1, 1, 0, 0.5, 5.0, 1),  # O5 has no ended visit
        (1, 1, 0, 0, 1.0, 19.0, 1),
        (1, 0, 1, 0, 0.0, None, 0),  # O3's quote visit is censored
        ZERO,
        ZERO,
    ),
    "t_sh3": (ZERO,) * 5,
    # O4 won through every stage
    "t_bj1": (
        (1, 1, 0, 0, 1.0, 2.0, 1),
        (1, 1, 0, 0, 1.0, 1.375, 1),
        (1, 1, 0, 0, 1.0, 4.625, 1),
        (1, 1, 0, 0, 1.0, 9.0, 1),
        (1, 1, 0, 0, 1.0, 9.0, 1),
    ),
    # O1, O2, O3, O5
    "c_sh": (
        (4, 3, 1, 0, 0.75, 5.0, 3),  # median(5, 2, 5) = 5
        (3, 3, 0, 0, 1.0, 15.0, 3),  # median(10, 15, 19) = 15
        (3, 1, 1, 1, 1 / 3, 22.0, 1),  # reached O1, O2, O3; advanced O1
        (1, 1, 0, 0, 1.0, 12.0, 1),
        (1, 1, 0, 0, 1.0, 9.0, 1),
    ),
    # all five
    "hq": (
        (5, 4, 1, 0, 0.8, 3.5, 4),  # median(5, 2, 5, 2) = (2 + 5) / 2
        (4, 4, 0, 0, 1.0, 12.5, 4),  # median(10, 15, 19, 1.375) = (10 + 15) / 2
        (4, 2, 1, 1, 0.5, 13.3125, 2),  # median(22, 4.625) = 13.3125
        (2, 2, 0, 0, 1.0, 10.5, 2),  # median(12, 9)
        (2, 2, 0, 0, 1.0, 9.0, 2),  # median(9, 9)
    ),
}
LATE_FUNNEL["r_east"] = LATE_FUNNEL["c_sh"]
LATE_FUNNEL["c_bj"] = LATE_FUNNEL["r_north"] = LATE_FUNNEL["t_bj1"]

# Early, 2026-02-15: O1..O4 considered (O5 created 03-25). History up to 02-15 only:
# O1 won (furthest 6); O2 open at quote (lost 02-20 not yet known; its quote visit from
# 02-03 censored, so quote dwell = 5); O3 open at qualified (censored); O4 open at quote
# (entered 02-15 18:00, on the as_of day: included), qualified dwell 1.375.
EARLY_FUNNEL = {
    "hq": (
        (4, 4, 0, 0, 1.0, 3.5, 4),  # dwell 5, 2, 5, 2
        (4, 3, 1, 0, 0.75, 10.0, 3),  # advanced O1, O2, O4; median(10, 15, 1.375) = 10
        (3, 1, 2, 0, 1 / 3, 5.0, 1),  # reached O1, O2, O4; open O2, O4; no loss yet
        (1, 1, 0, 0, 1.0, 12.0, 1),
        (1, 1, 0, 0, 1.0, 9.0, 1),
    ),
    "t_sh1": (
        (2, 2, 0, 0, 1.0, 3.5, 2),
        (2, 2, 0, 0, 1.0, 12.5, 2),
        (2, 1, 1, 0, 0.5, 5.0, 1),
        (1, 1, 0, 0, 1.0, 12.0, 1),
        (1, 1, 0, 0, 1.0, 9.0, 1),
    ),
    "t_sh2": ((1, 1, 0, 0, 1.0, 5.0, 1), (1, 0, 1, 0, 0.0, None, 0), ZERO, ZERO, ZERO),
    "t_bj1": (
        (1, 1, 0, 0, 1.0, 2.0, 1),
        (1, 1, 0, 0, 1.0, 1.375, 1),
        (1, 0, 1, 0, 0.0, None, 0),
        ZERO,
        ZERO,
    ),
}

# (opportunities, open, won, lost, win_rate_count, signed, median, avg lead-to-sign days)
# Lead-to-sign: O1 lead 2026-01-01 → first contract 2026-02-20 = 30 + 20 = 50 days;
# O4 lead 2026-02-10 → 2026-03-15 = 18 + 15 = 33 days.
LATE_SUMMARY = {
    "hq": (5, 2, 2, 1, 2 / 3, 2, 41.5, 41.5),  # (50 + 33) / 2
    "r_east": (4, 2, 1, 1, 0.5, 1, 50.0, 50.0),
    "c_sh": (4, 2, 1, 1, 0.5, 1, 50.0, 50.0),
    "t_sh1": (2, 0, 1, 1, 0.5, 1, 50.0, 50.0),
    "t_sh2": (2, 2, 0, 0, None, 0, None, None),
    "t_sh3": (0, 0, 0, 0, None, 0, None, None),
    "r_north": (1, 0, 1, 0, 1.0, 1, 33.0, 33.0),
    "c_bj": (1, 0, 1, 0, 1.0, 1, 33.0, 33.0),
    "t_bj1": (1, 0, 1, 0, 1.0, 1, 33.0, 33.0),
}
# Early: O1 won but its contract (02-20) is after as_of, so nothing is signed yet.
EARLY_SUMMARY = {
    "hq": (4, 3, 1, 0, 1.0, 0, None, None),
    "t_sh1": (2, 1, 1, 0, 1.0, 0, None, None),
    "t_sh2": (1, 1, 0, 0, None, 0, None, None),
    "t_bj1": (1, 1, 0, 0, None, 0, None, None),
}


def test_funnel_stages_late(warehouses):
    got = funnel(warehouses[LATE])
    assert len(got) == len(UNITS) * len(OPEN_STAGES)  # every unit × every open stage
    for unit, per_stage in LATE_FUNNEL.items():
        for stage, expected in zip(STAGE_KEYS, per_stage, strict=True):
            assert got[(unit, stage)] == approx(expected), (unit, stage)


def test_funnel_stages_early_ignores_later_facts(warehouses):
    got = funnel(warehouses[EARLY])
    assert len(got) == len(UNITS) * len(OPEN_STAGES)
    for unit, per_stage in EARLY_FUNNEL.items():
        for stage, expected in zip(STAGE_KEYS, per_stage, strict=True):
            assert got[(unit, stage)] == approx(expected), (unit, stage)


def test_later_as_of_moves_the_funnel_the_right_way(warehouses):
    late, early = funnel(warehouses[LATE]), funnel(warehouses[EARLY])
    # O2's loss (02-20) is invisible early: lost at quote 0 → 1; O5 (created 03-25) adds a lead.
    assert early[("hq", "quote")][3] == 0 and late[("hq", "quote")][3] == 1
    assert early[("hq", "lead")][0] == 4 and late[("hq", "lead")][0] == 5
    # reached counts never shrink as time passes
    for key, row in early.items():
        assert late[key][0] >= row[0], key


def test_funnel_summary(warehouses):
    for as_of, expected in ((LATE, LATE_SUMMARY), (EARLY, EARLY_SUMMARY)):
        got = summary(warehouses[as_of])
        assert set(got) == set(UNITS)
        for unit, values in expected.items():
            assert got[unit] == approx(values), (as_of, unit)


def test_lead_to_sign(warehouses):
    rows = query(
        warehouses[LATE],
        """
        select opportunity_id, lead_id, owner_rep_id, team_id, lead_created_at, signed_at,
               lead_to_sign_days, as_of
        from marts.fct_lead_to_sign order by opportunity_id
        """,
    )
    assert rows == [
        # 2026-01-01 18:00 → 2026-02-20 08:00: 50 calendar days (only 49.6 × 24 h); C1b
        # (03-05) is a later contract and does not count.
        (
            "O1",
            "L1",
            "rep_a",
            "t_sh1",
            datetime(2026, 1, 1, 18),
            datetime(2026, 2, 20, 8),
            50,
            date(2026, 3, 31),
        ),
        (
            "O4",
            "L4",
            "rep_c",
            "t_bj1",
            datetime(2026, 2, 10, 9),
            datetime(2026, 3, 15, 9),
            33,
            date(2026, 3, 31),
        ),
    ]
    assert query(warehouses[EARLY], "select count(*) from marts.fct_lead_to_sign") == [(0,)]


def test_every_mart_carries_its_as_of(warehouses):
    for as_of, db in warehouses.items():
        for mart in ("fct_funnel_stages", "fct_funnel_summary"):
            assert query(db, f"select distinct as_of from marts.{mart}") == [
                (date.fromisoformat(as_of),)
            ]


def test_the_full_fixture_reports_every_mart_available(warehouses):
    rows = query(
        warehouses[LATE],
        "select mart_name, is_available, missing_tables, missing_optional_tables from marts.fct_mart_availability",
    )
    explicit = {
        ("dim_opportunities", True, "", "activities, customers"),  # no such extracts in the fixture
        ("dim_org_units", True, "", ""),
        ("dim_reps", True, "", ""),
        ("fct_funnel_stages", True, "", ""),
        ("fct_funnel_summary", True, "", ""),
        ("fct_lead_to_sign", True, "", ""),
        # the fixture has no chat: the chat-signal marts say so (tests/ml builds them on chat)
        ("fct_opportunity_signal_evidence", False, "chat_messages", ""),
        ("fct_opportunity_signals_daily", False, "chat_messages", ""),
        ("fct_rep_signals_daily", False, "chat_messages", ""),
        ("fct_requirement_mentions_weekly", False, "chat_messages", ""),
        ("fct_team_emerging_terms_weekly", False, "chat_messages", ""),
        ("fct_team_top_keywords_weekly", False, "chat_messages", ""),
    }
    names = {row[0] for row in explicit}
    assert sorted(r for r in rows if r[0] in names) == sorted(explicit)
    # every other mart (the process, target, capability … marts have their own fixtures):
    # a table it misses is one this fixture has no rows for, and only then is it unavailable
    fixture_tables = {"contracts", "leads", "opportunities", "opportunity_stage_history", "org_units", "reps"}
    for name, available, missing, _ in rows:
        missing_tables = {t for t in missing.split(", ") if t}
        assert not missing_tables & fixture_tables, name
        assert available == (not missing_tables), name
    present = query(
        warehouses[LATE],
        "select table_name, row_count from marts.fct_source_availability where is_available",
    )
    assert sorted(present) == [
        ("contracts", 3),
        ("leads", 6),
        ("opportunities", 6),
        ("opportunity_stage_history", 21),
        ("org_units", 9),
        ("reps", 3),
    ]


def test_dim_org_units(warehouses):
    rows = query(
        warehouses[LATE],
        "select unit_id, level, parent_id, name_path, region_id, structured_since from marts.dim_org_units",
    )
    by_id = {r[0]: r[1:] for r in rows}
    assert set(by_id) == set(UNITS)
    assert by_id["t_sh1"] == (
        "team",
        "c_sh",
        "总部 / 华东大区 / 上海 / 上海一组",
        "r_east",
        date(2026, 1, 1),
    )
    assert by_id["hq"] == ("hq", None, "总部", None, None)
    assert by_id["r_north"] == ("region", "hq", "总部 / 华北大区", "r_north", None)


def test_unit_marts_name_the_unit_beside_its_id(warehouses):
    """One unit key across marts: each row aggregated to an org unit carries ``unit_id`` and,
    beside it, the unit's name from the org tree (the fixture's names, see conftest)."""
    names = {
        "hq": "总部",
        "r_east": "华东大区",
        "c_sh": "上海",
        "t_sh1": "上海一组",
        "t_sh2": "上海二组",
        "t_sh3": "上海三组",
        "r_north": "华北大区",
        "c_bj": "北京",
        "t_bj1": "北京一组",
    }
    for mart in ("fct_funnel_summary", "fct_funnel_stages"):
        got = set(query(warehouses[LATE], f"select distinct unit_id, unit_name from marts.{mart}"))
        assert got == set(names.items()), mart


def test_layers_land_in_their_schemas(warehouses):
    rows = query(
        warehouses[LATE],
        "select table_schema, table_name, table_type from information_schema.tables",
    )
    kinds = {(schema, name): kind for schema, name, kind in rows}
    for mart in (
        "dim_org_units",
        "fct_funnel_stages",
        "fct_lead_to_sign",
        "fct_funnel_summary",
        "fct_source_availability",
        "fct_mart_availability",
    ):
        assert kinds[("marts", mart)] == "BASE TABLE"
    for table in TABLES.values():
        model = f"stg_{table.source}__{table.name}"
        # a table or a view by the materialization rule (tests/dbt/test_materialization.py)
        assert kinds[("staging", model)] in {"VIEW", "BASE TABLE"}
        columns = [
            r[0]
            for r in query(
                warehouses[LATE],
                f"select column_name from information_schema.columns where table_schema = 'staging' and table_name = '{model}'",
            )
        ]
        assert set(table.column_names) <= set(columns), model


def test_as_of_defaults_to_the_latest_extract_date(tmp_path, bronze_writer, dbt_in):
    # Without the var, as_of is the latest date in the data: O6 created and entered 2026-04-05.
    db = build_home(tmp_path, bronze_writer, dbt_in, "run", "--select", "int_as_of_resolved")
    assert query(db, "select as_of from intermediate.int_as_of_resolved") == [(date(2026, 4, 5),)]


def test_parse_needs_no_data_and_does_not_depend_on_the_home():
    # Dagster parses the project (manifest.json) before any extract exists; and the parse is
    # the same for every SALESOPS_HOME (sources find their files through the profile's
    # file_search_path at run time), so salesops-dbt reuses one parse for every home. The
    # cached parse is made under an empty scratch home (.parse-*, salesops/dbt_exec.py):
    # it must hold no path of it.
    from salesops.dbt_exec import ensure_parsed

    manifest = (ensure_parsed() / "manifest.json").read_text(encoding="utf-8")
    assert '"nodes"' in manifest and '"external_location": "bronze/{name}.parquet"' in manifest
    assert ".parse-" not in manifest


def _declared_constraints() -> dict[str, dict[str, set]]:
    """Per mart, the keys and checks its contract declares (model- and column-level)."""
    import json

    from salesops.dbt_cli import ensure_manifest

    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    declared: dict[str, dict[str, set]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        keys, checks = set(), set()
        constraints = [(c, c.get("columns") or []) for c in node.get("constraints", [])]
        constraints += [(c, [col]) for col, column in node["columns"].items() for c in column["constraints"]]
        for constraint, columns in constraints:
            if constraint["type"] in ("primary_key", "unique"):
                keys.add(tuple(sorted(columns)))
            elif constraint["type"] == "check":
                checks.add(" ".join(constraint["expression"].split()))
        declared[node["name"]] = {"keys": keys, "checks": checks}
    return declared


def test_the_marts_keys_and_rules_are_enforced_by_the_warehouse(warehouses, tmp_path):
    """The marts' keys, allowed values and invariants are contract constraints (not data
    tests): each one is in the built table, and DuckDB refuses a row that breaks one."""
    declared = _declared_constraints()
    db = tmp_path / "late.duckdb"
    db.write_bytes(warehouses[LATE].read_bytes())
    with duckdb.connect(str(db)) as con:
        built = con.execute(
            """
            select table_name, constraint_type, constraint_column_names, expression
            from duckdb_constraints() where schema_name = 'marts'
            """
        ).fetchall()
        marts = {row[0] for row in built}
        assert {"fct_funnel_stages", "fct_funnel_summary", "dim_org_units"} <= marts
        for mart in marts:
            keys = {tuple(sorted(r[2])) for r in built if r[0] == mart and r[1] in ("PRIMARY KEY", "UNIQUE")}
            checks = sum(r[0] == mart and r[1] == "CHECK" for r in built)
            assert keys == declared[mart]["keys"], mart
            assert checks == len(declared[mart]["checks"]), mart
        assert declared["fct_funnel_stages"]["keys"] and declared["fct_funnel_stages"]["checks"]

        (key,) = declared["fct_funnel_stages"]["keys"]
        with pytest.raises(duckdb.ConstraintException, match="(?i)duplicate key"):
            con.execute("insert into marts.fct_funnel_stages select * from marts.fct_funnel_stages limit 1")
        with pytest.raises(duckdb.ConstraintException, match="(?i)check constraint"):
            con.execute("update marts.fct_funnel_stages set conversion_rate = 2 where reached_count > 0")
