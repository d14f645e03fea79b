"""The README's analyst queries (examples/analyst_queries.sql) run on a published snapshot and
answer: each returns rows, and the rows agree with the marts they summarise."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

QUERIES_FILE = Path(__file__).resolve().parents[2] / "examples" / "analyst_queries.sql"


def analyst_queries() -> dict[str, str]:
    """``{name: sql}`` from the ``-- name:`` blocks of the file."""
    blocks = re.split(r"^-- name: ", QUERIES_FILE.read_text(encoding="utf-8"), flags=re.M)[1:]
    return {
        name.strip(): body.strip().rstrip(";")
        for name, _, body in (block.partition("\n") for block in blocks)
    }


@pytest.fixture
def snapshot(planted_world):
    con = duckdb.connect(str(planted_world("default").snapshot), read_only=True)
    yield con
    con.close()


def test_the_file_holds_the_three_queries_the_readme_shows():
    assert list(analyst_queries()) == [
        "attainment_by_region_latest_month",
        "forecast_accuracy_by_lock_day",
        "reactivation_pool_by_city",
    ]
    readme = (QUERIES_FILE.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "examples/analyst_queries.sql" in readme


def test_attainment_by_region_latest_month(snapshot):
    result = snapshot.sql(analyst_queries()["attainment_by_region_latest_month"]).df()
    regions = snapshot.sql("select count(*) from marts.dim_org_units where level = 'region'")
    assert len(result) == regions.fetchall()[0][0] > 0
    assert result["period"].nunique() == 1
    latest = snapshot.sql("select max(period) from marts.fct_attainment_unit_month").fetchall()[0][
        0
    ]
    assert result["period"].iloc[0] == latest
    assert (result["attainment"] > 0).all()
    assert list(result["attainment"]) == sorted(result["attainment"], reverse=True)


def test_forecast_accuracy_by_lock_day(snapshot):
    result = snapshot.sql(analyst_queries()["forecast_accuracy_by_lock_day"]).df()
    assert len(result) >= 2
    assert list(result["lock_day"]) == sorted(result["lock_day"])
    assert result["months"].nunique() == 1 and result["months"].iloc[0] > 0
    assert result["mean_accuracy"].between(-10, 1).all()


def test_reactivation_pool_by_city(snapshot):
    result = snapshot.sql(analyst_queries()["reactivation_pool_by_city"]).df()
    assert len(result) > 0
    pool = snapshot.sql("select count(*) from marts.fct_reactivation_pool").fetchall()[0][0]
    assert result["leads_to_reactivate"].sum() == pool  # every lead lands in one city
    cities = {
        row[0]
        for row in snapshot.sql(
            "select name from marts.dim_org_units where level = 'city'"
        ).fetchall()
    }
    assert set(result["city"]) <= cities
