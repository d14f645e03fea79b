"""The shipped Salesforce and HubSpot profiles, end to end, against the same data in canonical shape.

The fixtures (tests/profiles/fixtures/, written by build_fixtures.py) are one subset of the
simulator's output three times: canonical, as Salesforce report exports and as HubSpot
exports. The daily job (`salesops run --profile …`) is run on each vendor's files and on the
canonical ones; the funnel marts must agree row for row (team unit ids translated through
id_map.json), nothing may be quarantined, and what the vendor lacks must be reported as not
available rather than fail the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from salesops import contract

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SALESOPS = str(Path(sys.executable).with_name("salesops"))
ID_MAP = json.loads((FIXTURES / "id_map.json").read_text(encoding="utf-8"))
PRESENT = {
    "canonical": {
        "reps",
        "customers",
        "leads",
        "opportunities",
        "opportunity_stage_history",
        "contracts",
    },
    "salesforce": {
        "reps",
        "customers",
        "leads",
        "opportunities",
        "opportunity_stage_history",
        "contracts",
    },
    "hubspot": {"reps", "customers", "opportunities", "opportunity_stage_history", "contracts"},
}
FUNNEL_MARTS = ("fct_funnel_stages", "fct_funnel_summary", "fct_lead_to_sign", "dim_org_units")
LEAD_TO_SIGN = ("median_lead_to_sign_days", "avg_lead_to_sign_days")


def run_job(home: Path, source: str) -> None:
    landing = home / "landing"
    shutil.copytree(FIXTURES / source, landing)
    # the funnel marts this module compares (and what they need); every mart is built in the
    # planted worlds (tests/conftest.py)
    args = [SALESOPS, "run", "--landing", str(landing), "--select", " ".join(FUNNEL_MARTS)]
    if source != "canonical":
        args += ["--profile", str(ROOT / "profiles" / f"{source}.yaml")]
    env = {**os.environ, "SALESOPS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def homes(tmp_path_factory) -> dict[str, Path]:
    """Lazily run the job once per source; each test asks only for what it needs."""
    cache: dict[str, Path] = {}

    class Homes(dict):
        def __missing__(self, source: str) -> Path:
            home = tmp_path_factory.mktemp(f"home_{source}")
            run_job(home, source)
            self[source] = home
            return home

    return Homes(cache)


def query(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "salesops.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def mart(home: Path, name: str, key: str, source: str) -> tuple[list[str], dict]:
    with duckdb.connect(str(home / "warehouse" / "salesops.duckdb"), read_only=True) as con:
        cursor = con.execute(f"select * from marts.{name} order by all")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    teams = ID_MAP["teams"].get(source, {})
    out = {}
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        record["unit_id"] = teams.get(record["unit_id"], record["unit_id"])
        # each source names its teams in its own files; the unit is compared through unit_id
        record.pop("unit_name", None)
        out[(record["unit_id"], record.get(key))] = record
    return columns, out


def approx_equal(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-9)
    return a == b


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot"])
def test_funnel_stages_equal_the_canonical_build(homes, vendor):
    _, want = mart(homes["canonical"], "fct_funnel_stages", "stage", "salesforce")
    _, got = mart(homes[vendor], "fct_funnel_stages", "stage", vendor)
    assert set(got) == set(want)
    assert {unit for unit, _ in got} >= {"__all__", *ID_MAP["teams"][vendor].values()}
    assert (
        sum(r["reached_count"] for (u, s), r in got.items() if u == "__all__" and s == "lead") == 80
    )
    for key, row in want.items():
        for column, value in row.items():
            assert approx_equal(got[key][column], value), (
                vendor,
                key,
                column,
                got[key][column],
                value,
            )


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot"])
def test_funnel_summary_equals_the_canonical_build(homes, vendor):
    _, want = mart(homes["canonical"], "fct_funnel_summary", "unit_level", "salesforce")
    _, got = mart(homes[vendor], "fct_funnel_summary", "unit_level", vendor)
    assert set(got) == set(want)
    for key, row in want.items():
        for column, value in row.items():
            if vendor == "hubspot" and column in LEAD_TO_SIGN:
                continue  # HubSpot has no leads: see the next test
            assert approx_equal(got[key][column], value), (
                vendor,
                key,
                column,
                got[key][column],
                value,
            )
    assert want[("__all__", "hq")]["signed_count"] > 10


def test_hubspot_lead_to_sign_runs_from_the_deal_create_date(homes):
    """No leads in HubSpot: lead_id is the deal id and the cycle starts when the deal was created."""
    home = homes["hubspot"]
    rows = query(
        home,
        "select l.lead_id = l.opportunity_id, l.lead_created_at = o.created_at from marts.fct_lead_to_sign l "
        f"join read_parquet('{home / 'bronze' / 'opportunities.parquet'}') o using (opportunity_id)",
    )
    assert (
        len(rows) == query(homes["canonical"], "select count(*) from marts.fct_lead_to_sign")[0][0]
    )
    assert rows and all(a and b for a, b in rows)


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot"])
def test_values_are_typed_like_the_canonical_extract(homes, vendor):
    """Stages mapped back, probabilities 0–1, amounts with separators, M/D/YYYY and UTC times all land as the truth."""

    def bronze(source: str, table: str, columns: str) -> list[tuple]:
        path = homes[source] / "bronze" / f"{table}.parquet"
        return duckdb.connect().sql(f"select {columns} from read_parquet('{path}') order by all").fetchall()

    columns = "created_at, stage, status, amount, probability, product_line"
    assert bronze(vendor, "opportunities", columns) == bronze("canonical", "opportunities", columns)
    columns = "stage, entered_at" + (", probability" if vendor == "salesforce" else "")
    assert bronze(vendor, "opportunity_stage_history", columns) == bronze(
        "canonical", "opportunity_stage_history", columns
    )
    columns = "name, role, hire_date"
    assert bronze(vendor, "reps", columns) == bronze("canonical", "reps", columns)
    assert bronze(vendor, "contracts", "signed_at, amount") == bronze(
        "canonical", "contracts", "signed_at, amount"
    )


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot", "canonical"])
def test_nothing_is_quarantined_and_every_row_is_accounted_for(homes, vendor):
    accounts = homes[vendor] / "bronze" / "_accounts"
    for path in accounts.glob("*.json"):
        account = json.loads(path.read_text(encoding="utf-8"))
        assert account["rows_quarantined"] == 0, account
        for f in account["files"]:
            assert (
                f["rows_read"] == f["rows_accepted"] + f["rows_quarantined"] + f["rows_superseded"]
            ), f
        assert bool(account["files"]) == (path.stem in PRESENT[vendor]), (
            path.stem,
            account["files"],
        )


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot"])
def test_tables_the_vendor_lacks_are_reported_not_available(homes, vendor):
    home = homes[vendor]
    available = dict(
        query(home, "select table_name, is_available from marts.fct_source_availability")
    )
    assert set(available) == set(contract.TABLES)
    assert {t for t, ok in available.items() if ok} == PRESENT[vendor]
    marts = {
        name: (ok, missing)
        for name, ok, missing in query(
            home, "select mart_name, is_available, missing_tables from marts.fct_mart_availability"
        )
    }
    for name in FUNNEL_MARTS:
        if name in marts:
            assert marts[name][0], (name, marts[name])
    org = query(
        home, "select unit_id, level, is_implicit from marts.dim_org_units where parent_id is null"
    )
    assert org == [("__all__", "hq", True)]
