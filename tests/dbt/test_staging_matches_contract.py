"""Every contract table has one staging model that reads its source and selects every
contract column under its contract name."""

from __future__ import annotations

import re

import pytest

from salesops.config import DBT_PROJECT_DIR
from salesops.contract import TABLES

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"


def staging_model_name(table) -> str:
    return f"stg_{table.source}__{table.name}"


@pytest.mark.parametrize("table", TABLES.values(), ids=list(TABLES))
def test_staging_model_selects_every_contract_column(table):
    path = STAGING_DIR / f"{staging_model_name(table)}.sql"
    assert path.exists(), f"missing staging model {path.name} for contract table {table.name}"
    sql = path.read_text(encoding="utf-8")
    assert re.search(rf"source\(\s*'landing'\s*,\s*'{table.name}'\s*\)", sql)
    assert "ref(" not in sql and " join " not in sql.lower(), "staging models take no joins"
    aliases = re.findall(r"\bas\s+([a-z_][a-z0-9_]*)\s*,?\s*$", sql, flags=re.MULTILINE)
    missing = [c for c in table.column_names if c not in aliases]
    assert not missing, f"{path.name} does not select {missing}"


def test_no_staging_model_without_a_contract_table():
    expected = {staging_model_name(t) for t in TABLES.values()}
    present = {p.stem for p in STAGING_DIR.glob("stg_*.sql")}
    assert present == expected
