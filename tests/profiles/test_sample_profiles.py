"""The two sample profiles for everyday exports, end to end on hand-made vendor-shaped files.

- ``flat_opportunities``: one row per deal as it stands (Prospecting/Engaging/Won/Lost),
  8-character random record ids, open deals without account, value or date, USD amounts,
  accounts and a sales-teams sheet, plus a data dictionary and a price list in the folder.
- ``leads_and_deals``: a leads export and a closed-deals export with 40-character hash ids
  (several begin with eleven digits that read like a mobile number), M/D/YYYY dates,
  "$12,800.00" amounts, a users sheet and an export note in the folder.

Every figure below was computed by hand from the fixture files (tests/profiles/fixtures/).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
SALESOPS = str(Path(sys.executable).with_name("salesops"))
MARTS = (
    "dim_opportunities",
    "fct_funnel_summary",
    "fct_conversion_cohorts",
    "fct_opportunity_cycle",
    "fct_data_completeness",
)


def run(home: Path, sample: str) -> subprocess.CompletedProcess:
    landing = home / "landing"
    shutil.copytree(FIXTURES / sample, landing)
    env = {**os.environ, "SALESOPS_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    args = [
        SALESOPS,
        "run",
        "--landing",
        str(landing),
        "--profile",
        str(ROOT / "profiles" / f"{sample}.yaml"),
        "--select",
        " ".join(MARTS),
    ]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    class Homes(dict):
        def __missing__(self, sample: str):
            home = tmp_path_factory.mktemp(f"home_{sample}")
            self[sample] = (home, run(home, sample).stdout)
            return self[sample]

    return Homes()


def query(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "salesops.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def bronze(home: Path, table: str, sql: str) -> list[tuple]:
    path = home / "bronze" / f"{table}.parquet"
    with duckdb.connect() as con:
        return con.execute(sql.replace("from t", f"from read_parquet('{path}')")).fetchall()


@pytest.mark.parametrize("sample", ["flat_opportunities", "leads_and_deals"])
def test_nothing_is_quarantined_and_files_that_are_not_data_are_named(homes, sample):
    home, stdout = homes[sample]
    for path in (home / "bronze" / "_accounts").glob("*.json"):
        account = json.loads(path.read_text(encoding="utf-8"))
        assert account["rows_quarantined"] == 0, account
    assert "What happened to your rows 数据去向:" in stdout
    not_read = sorted(
        line.split(": ", 1)[1].split(" (")[0]
        for line in stdout.splitlines()
        if "not read 未读取:" in line
    )
    assert not_read == {
        "flat_opportunities": ["data_dictionary.csv", "products.csv"],
        "leads_and_deals": ["README.txt"],
    }[sample]
    # the columns a profile does not map are named too (issue 11: nothing silently ignored)
    columns_not_read = [line for line in stdout.splitlines() if "columns not read 未读取的列" in line]
    assert columns_not_read, stdout


def test_flat_export_keeps_every_open_deal_and_derives_the_history(homes):
    home, stdout = homes["flat_opportunities"]
    assert bronze(home, "opportunities", "select count(*), count(customer_id), count(amount), count(created_at) from t") == [
        (12, 9, 7, 10)
    ]
    assert query(
        home,
        "select status_as_of, count(*) from marts.dim_opportunities group by 1 order by 1",
    ) == [("lost", 3), ("open", 5), ("won", 4)]
    # USD 7,150 won at 7.1 yuan per dollar; the dollars are kept
    assert bronze(home, "opportunities", "select sum(amount), sum(amount_original), min(currency) from t where status = 'won'") == [
        (Decimal("50765.00"), Decimal("7150.00"), "USD")
    ]
    assert bronze(
        home,
        "opportunity_stage_history",
        "select derived_from, count(*) from t group by 1 order by 1",
    ) == [("closed_at", 7), ("created_at", 10), ("extract:2026-03-20", 2)]
    # the random 8-character ids (VX3K9QZT, WX81KQ2M …) are keys, not WeChat ids: it published
    assert query(home, "select as_of from main.publish_info") == [(dt.date(2026, 3, 20),)]


def test_hash_ids_m_d_y_dates_and_dollars_from_a_leads_and_deals_export(homes):
    home, _ = homes["leads_and_deals"]
    assert bronze(
        home,
        "opportunities",
        "select opportunity_id, expected_close_date, amount, amount_original from t order by created_at limit 2",
    ) == [
        ("13800138000f1e2d3c4b5a69788796a5b4c3d2e1", "2026-02-15", Decimal("92160.00"), Decimal("12800.00")),
        ("9d8c7b6a5f4e3d2c1b0a99887766554433221100", "2026-02-28", Decimal("36000.00"), Decimal("5000.00")),
    ]
    # USD 55,150.50 won at 7.2
    assert query(home, "select sum(amount) from marts.dim_opportunities where status_as_of = 'won'") == [
        (Decimal("397083.60"),)
    ]
    assert query(home, "select as_of from main.publish_info") == [(dt.date(2026, 3, 18),)]


def test_flat_export_everyday_figures_without_finance(homes):
    home, _ = homes["flat_opportunities"]
    # cohort = month the deal was engaged; the two prospecting deals have no date yet
    assert query(
        home,
        "select cohort, opportunities_count, won_count, lost_count, open_count, opportunity_to_won_rate, "
        "won_amount, leads_count from marts.fct_conversion_cohorts where unit_id = '__all__' order by cohort",
    ) == [
        ("2026-01", 4, 3, 1, 0, 0.75, Decimal("46860.00"), None),
        ("2026-02", 4, 1, 2, 1, 0.25, Decimal("3905.00"), None),
        ("2026-03", 2, 0, 0, 2, 0.0, Decimal("0.00"), None),
        ("unknown", 2, 0, 0, 2, 0.0, Decimal("0.00"), None),
    ]
    assert query(
        home,
        "select close_month, closed_count, won_count, median_days_to_won, median_days_to_close "
        "from marts.fct_opportunity_cycle where unit_id = '__all__' order by close_month",
    ) == [
        (dt.date(2026, 1, 1), 1, 1, 22.0, 22.0),
        (dt.date(2026, 2, 1), 3, 2, 31.0, 36.0),
        (dt.date(2026, 3, 1), 3, 1, 44.0, 33.0),
    ]
    assert query(
        home,
        "select open_count, open_without_amount_count, open_without_customer_count, "
        "open_without_expected_close_count, open_without_created_count, reps_count, reps_without_hire_date_count "
        "from marts.fct_data_completeness where scope_type = 'unit' and unit_id = '__all__'",
    ) == [(5, 5, 3, 5, 2, 3, 3)]


def test_leads_and_deals_conversion_by_cohort_and_cycle(homes):
    home, _ = homes["leads_and_deals"]
    assert query(
        home,
        "select cohort, leads_count, converted_leads_count, won_leads_count, lead_to_opportunity_rate, "
        "round(lead_to_won_rate, 4), opportunities_count, won_count, lost_count "
        "from marts.fct_conversion_cohorts where unit_id = '__all__' order by cohort",
    ) == [
        ("2026-01", 4, 3, 2, 0.75, 0.5, 3, 2, 1),
        ("2026-02", 6, 3, 2, 0.5, 0.3333, 3, 2, 1),
    ]
    assert query(
        home,
        "select close_month, closed_count, won_count, median_days_to_won, median_days_to_close "
        "from marts.fct_opportunity_cycle where unit_id = '__all__' order by close_month",
    ) == [
        (dt.date(2026, 2, 1), 2, 1, 35.0, 37.0),
        (dt.date(2026, 3, 1), 4, 3, 30.0, 30.5),
    ]
