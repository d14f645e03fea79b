"""Fixtures for the dbt tests: a small hand-made bronze layer, small enough to compute every mart number by eye.

Org tree (9 units):
    hq 总部
    ├── r_east 华东大区 ── c_sh 上海 ── t_sh1 上海一组 (rep_a), t_sh2 上海二组 (rep_b),
    │                                  t_sh3 上海三组 (no opportunities)
    └── r_north 华北大区 ── c_bj 北京 ── t_bj1 北京一组 (rep_c)

Opportunities (all history entries at 09:00 unless noted):
    O1 rep_a  lead L1 created 2026-01-01 18:00; opp created 01-05.
       lead 01-05, qualified 01-10, negotiation 01-20 (quote skipped), contract_approval
       02-01, won 02-10. Contracts C1 signed 2026-02-20 08:00 and C1b 2026-03-05.
    O2 rep_a  lead L2 01-10; opp created 01-12. lead 01-12, qualified 01-14, quote 01-24,
       qualified 01-29 (regression), quote 02-03, lost 02-20.
    O3 rep_b  lead L3 02-01; opp created 02-05. lead 02-05, qualified 02-10, quote 03-01.
    O4 rep_c  lead L4 2026-02-10 09:00; opp created 02-12. lead 02-12, qualified 02-14,
       quote 2026-02-15 18:00 (on the early as_of day), negotiation 02-20,
       contract_approval 03-01, won 03-10. Contract C4 signed 2026-03-15.
    O5 rep_b  lead L5 03-20; opp created 03-25, no history entry yet.
    O6 rep_c  lead L6 04-01; opp created 2026-04-05 (after every as_of used), lead 04-05.

Partial sources: ``partial_rows("opportunities", "reps", ...)`` keeps only those tables'
rows; ``build_warehouse`` writes them (every other bronze table empty with its schema, as
the ingest layer does) and runs dbt.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from salesops.config import DBT_PROJECT_DIR
from salesops.contract import TABLES
from salesops.dbt_cli import project_args
from salesops.dbt_exec import SEED_TESTS

DBT = Path(sys.executable).with_name("salesops-dbt")


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text or "T" in text else f"{text} 09:00")


def d(text: str) -> date:
    return date.fromisoformat(text)


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "r_east", "level": "region", "parent_id": "hq", "name": "华东大区"},
    {"unit_id": "c_sh", "level": "city", "parent_id": "r_east", "name": "上海"},
    {
        "unit_id": "t_sh1",
        "level": "team",
        "parent_id": "c_sh",
        "name": "上海一组",
        "structured_since": d("2026-01-01"),
    },
    {"unit_id": "t_sh2", "level": "team", "parent_id": "c_sh", "name": "上海二组"},
    {"unit_id": "t_sh3", "level": "team", "parent_id": "c_sh", "name": "上海三组"},
    {"unit_id": "r_north", "level": "region", "parent_id": "hq", "name": "华北大区"},
    {"unit_id": "c_bj", "level": "city", "parent_id": "r_north", "name": "北京"},
    {"unit_id": "t_bj1", "level": "team", "parent_id": "c_bj", "name": "北京一组"},
]

REPS = [
    {"rep_id": rep, "name": name, "team_id": team, "role": "rep", "hire_date": d("2025-01-01")}
    for rep, name, team in (
        ("rep_a", "张三", "t_sh1"),
        ("rep_b", "李四", "t_sh2"),
        ("rep_c", "王五", "t_bj1"),
    )
]

LEADS = [
    {
        "lead_id": lead,
        "customer_id": f"cust_{lead}",
        "source": "web",
        "created_at": ts(created),
        "assigned_rep_id": rep,
    }
    for lead, created, rep in (
        ("L1", "2026-01-01 18:00", "rep_a"),
        ("L2", "2026-01-10", "rep_a"),
        ("L3", "2026-02-01", "rep_b"),
        ("L4", "2026-02-10", "rep_c"),
        ("L5", "2026-03-20", "rep_b"),
        ("L6", "2026-04-01", "rep_c"),
    )
]

# (opportunity, lead, owner, created, current stage, current status)
_OPPORTUNITIES = (
    ("O1", "L1", "rep_a", "2026-01-05", "won", "won"),
    ("O2", "L2", "rep_a", "2026-01-12", "lost", "lost"),
    ("O3", "L3", "rep_b", "2026-02-05", "quote", "open"),
    ("O4", "L4", "rep_c", "2026-02-12", "won", "won"),
    ("O5", "L5", "rep_b", "2026-03-25", "lead", "open"),
    ("O6", "L6", "rep_c", "2026-04-05", "lead", "open"),
)
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": lead,
        "customer_id": f"cust_{lead}",
        "owner_rep_id": rep,
        "product_line": "pumps",
        "created_at": ts(created),
        "stage": stage,
        "status": status,
        "amount": 100000,
        "expected_close_date": "尽快",
    }
    for opp, lead, rep, created, stage, status in _OPPORTUNITIES
]

_HISTORY = {
    "O1": [
        ("lead", "2026-01-05"),
        ("qualified", "2026-01-10"),
        ("negotiation", "2026-01-20"),
        ("contract_approval", "2026-02-01"),
        ("won", "2026-02-10"),
    ],
    "O2": [
        ("lead", "2026-01-12"),
        ("qualified", "2026-01-14"),
        ("quote", "2026-01-24"),
        ("qualified", "2026-01-29"),
        ("quote", "2026-02-03"),
        ("lost", "2026-02-20"),
    ],
    "O3": [("lead", "2026-02-05"), ("qualified", "2026-02-10"), ("quote", "2026-03-01")],
    "O4": [
        ("lead", "2026-02-12"),
        ("qualified", "2026-02-14"),
        ("quote", "2026-02-15 18:00"),
        ("negotiation", "2026-02-20"),
        ("contract_approval", "2026-03-01"),
        ("won", "2026-03-10"),
    ],
    "O6": [("lead", "2026-04-05")],
}
STAGE_HISTORY = [
    {"opportunity_id": opp, "stage": stage, "entered_at": ts(at), "changed_by": "crm"}
    for opp, entries in _HISTORY.items()
    for stage, at in entries
]

CONTRACTS = [
    {
        "contract_id": "C1",
        "opportunity_id": "O1",
        "signed_at": ts("2026-02-20 08:00"),
        "amount": 100000,
    },
    {"contract_id": "C1b", "opportunity_id": "O1", "signed_at": ts("2026-03-05"), "amount": 20000},
    {"contract_id": "C4", "opportunity_id": "O4", "signed_at": ts("2026-03-15"), "amount": 100000},
]

ROWS: dict[str, list[dict]] = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "leads": LEADS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "contracts": CONTRACTS,
}


def write_bronze(bronze_dir: Path, rows: dict[str, list[dict]] = ROWS) -> None:
    """Write all contract tables as bronze Parquet, the ingest layer's shape: every
    contract column with its DuckDB type (absent values as typed NULLs) plus lineage."""
    bronze_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        for table in TABLES.values():
            columns = [(c.name, c.duckdb_type) for c in table.columns]
            columns += [("_source_file", "VARCHAR"), ("_source_line", "BIGINT")]
            ddl = ", ".join(f'"{name}" {type_}' for name, type_ in columns)
            con.execute(f'create or replace table "{table.name}" ({ddl})')
            placeholders = ", ".join("?" for _ in columns)
            for line, row in enumerate(rows.get(table.name, []), start=2):
                unknown = set(row) - set(table.column_names)
                assert not unknown, f"{table.name}: not in the contract: {unknown}"
                values = [row.get(name) for name, _ in columns[:-2]]
                values += [f"{table.source}/{table.name}.csv", line]
                con.execute(f'insert into "{table.name}" values ({placeholders})', values)
            target = bronze_dir / f"{table.name}.parquet"
            con.execute(f"copy \"{table.name}\" to '{target}' (format parquet)")
    finally:
        con.close()


@pytest.fixture(scope="session")
def bronze_writer():
    """The bronze writer, as a fixture: the suite imports test modules in importlib mode,
    where helper modules beside the tests cannot be imported."""
    return write_bronze


def partial_rows(*tables: str) -> dict[str, list[dict]]:
    """The fixture rows of only these tables: a source that lacks the other extracts (the
    ingest layer still writes their bronze files, empty with the contract's schema)."""
    unknown = set(tables) - set(ROWS)
    assert not unknown, f"no fixture rows for {unknown}"
    return {table: ROWS[table] for table in tables}


def run_dbt_in(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if args and args[0] == "build" and "unit_test" not in args:
        # unit tests check logic, not the fixture: they run once, in test_dbt_unit_tests.py;
        # the seeds' tests ran when the project was parsed (salesops.dbt_exec.check_seeds)
        args = (*args, "--exclude-resource-type", "unit_test", "--exclude", SEED_TESTS)
    command = [
        str(DBT),
        *args,
        *project_args(DBT_PROJECT_DIR, home / "dbt_target"),
        "--log-path",
        str(home / "dbt_logs"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"{' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="session")
def dbt_in() -> Callable[..., subprocess.CompletedProcess]:
    """:func:`run_dbt_in` as a fixture: dbt in a SALESOPS_HOME with its own target and logs."""
    return run_dbt_in


def build_warehouse(root: Path, rows: dict[str, list[dict]], *args: str) -> Path:
    """Write ``rows`` as the bronze layer under ``root`` (a SALESOPS_HOME), run dbt with
    ``args`` and return the build warehouse."""
    write_bronze(root / "bronze", rows)
    (root / "warehouse").mkdir(parents=True, exist_ok=True)
    run_dbt_in(root, *args)
    return root / "warehouse" / "build.duckdb"


@pytest.fixture(scope="session")
def warehouse_builder() -> Callable[..., Path]:
    """:func:`build_warehouse` as a fixture (test modules cannot import this one)."""
    return build_warehouse


@pytest.fixture(scope="session")
def fixture_rows() -> Callable[..., dict[str, list[dict]]]:
    """:func:`partial_rows` as a fixture; called with no table, it gives no rows at all."""
    return partial_rows
