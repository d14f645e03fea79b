"""Profile keys a user writes from the README alone: derive (values / otherwise / default),
constants, ignore, currencies, date formats, year-less dates, and the `profile check` dry run.

Every expected value below is worked out by hand from the fixture text in the test."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from salesops import contract
from salesops.config import Paths
from salesops.ingest import IngestError, ingest_all, ingest_table, load_profile, plan_landing
from salesops.ingest.check import MISSING_OPTIONAL, MISSING_REQUIRED, check_landing
from salesops.ingest.profile import Derive

NOW = dt.datetime(2026, 4, 15, 12, 0, 0)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def setup(tmp_path: Path, profile: str, files: dict[str, str]):
    landing = tmp_path / "landing"
    for name, text in files.items():
        write(landing / name, text)
    paths = Paths(tmp_path / "home", landing).ensure()
    return paths, load_profile(write(tmp_path / "profile.yaml", profile))


def rows(path: str, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql.replace("from t", f"from read_parquet('{path}')")).fetchall()


def ingest(paths: Paths, profile, table: str):
    return ingest_table(contract.table(table), paths, profile, now=NOW)


# ---------------------------------------------------------------- derive


USERS = (
    "User ID,Name,Team,Title\n"
    "U1,Ann,T1,Sales Manager\n"  # listed in derive.values → city_manager
    "U2,Bob,T1,\n"  # empty → default rep
    "U3,Cai,T1,hq\n"  # not listed: kept as it is (a valid role)
    "U4,Dan,T1,城市经理\n"  # not listed in derive.values: through the rule's values → city_manager
    "U5,Eve,T1,Intern\n"  # not listed anywhere: kept, and quarantined as no role
)


def test_derive_default_fills_only_empty_values(tmp_path):
    paths, profile = setup(
        tmp_path,
        'files:\n  - match: "users*.csv"\n    table: reps\n'
        '    columns: {"User ID": rep_id, "Name": name, "Team": team_id}\n'
        "    values: {role: {城市经理: city_manager}}\n"
        '    derive:\n      role: {from: "Title", values: {"Sales Manager": city_manager}, default: rep}\n',
        {"users.csv": USERS},
    )
    result = ingest(paths, profile, "reps")
    assert rows(result.bronze_path, "select rep_id, role from t order by rep_id") == [
        ("U1", "city_manager"),
        ("U2", "rep"),
        ("U3", "hq"),
        ("U4", "city_manager"),
    ]
    assert rows(result.quarantine_path, "select line, column_name, raw_value, reason from t") == [
        (6, "role", "Intern", "not one of: rep, city_manager, region_manager, hq"),
    ]


def test_derive_otherwise_covers_other_non_empty_values_and_default_the_empty_ones(tmp_path):
    paths, profile = setup(
        tmp_path,
        'files:\n  - match: "users*.csv"\n    table: reps\n'
        '    columns: {"User ID": rep_id, "Name": name, "Team": team_id}\n'
        '    derive:\n      role: {from: "Title", values: {"Sales Manager": city_manager}, '
        "otherwise: rep, default: hq}\n",
        {"users.csv": USERS},
    )
    result = ingest(paths, profile, "reps")
    assert rows(result.bronze_path, "select rep_id, role from t order by rep_id") == [
        ("U1", "city_manager"),
        ("U2", "hq"),
        ("U3", "rep"),
        ("U4", "rep"),
        ("U5", "rep"),
    ]


def test_otherwise_without_default_leaves_an_empty_source_empty(tmp_path):
    header = "Id,Owner,Account,Product,Created,Stage,Amount\n"
    paths, profile = setup(
        tmp_path,
        'files:\n  - match: "deals*.csv"\n    table: opportunities\n'
        "    columns: {Id: opportunity_id, Owner: owner_rep_id, Account: customer_id, Product: product_line,"
        " Created: created_at, Stage: stage, Amount: amount}\n"
        "    values: {stage: {Negotiation: negotiation, Won: won}}\n"
        "    derive:\n      status: {from: Stage, values: {Won: won, Lost: lost}, otherwise: open}\n",
        {
            "deals.csv": header + "O1,R1,C1,P,2026-01-05,Won,10\n"
            "O2,R1,C1,P,2026-01-05,Negotiation,10\n"
            "O3,R1,C1,P,2026-01-05,,10\n"
        },
    )
    result = ingest(paths, profile, "opportunities")
    assert rows(result.bronze_path, "select opportunity_id, stage, status from t order by 1") == [
        ("O1", "won", "won"),
        ("O2", "negotiation", "open"),
    ]
    assert rows(result.quarantine_path, "select line, column_name, reason from t order by all") == [
        (4, "stage", "empty value in a required column"),
        (4, "status", "empty value in a required column"),
    ]


def test_constants_in_both_forms(tmp_path):
    header = "Id,Owner,Created,Stage,Status,Amount\n"
    rule = (
        '  - match: "{name}*.csv"\n    table: opportunities\n'
        "    columns: {{Id: opportunity_id, Owner: owner_rep_id, Created: created_at, Stage: stage,"
        " Status: status, Amount: amount}}\n"
    )
    paths, profile = setup(
        tmp_path,
        "files:\n"
        + rule.format(name="short")
        + "    constants: {customer_id: C1, product_line: 智能仓储}\n"
        + rule.format(name="long")
        + "    derive:\n      customer_id: {constant: C2}\n      product_line: {constant: 能源监测}\n",
        {
            "short.csv": header + "O1,R1,2026-01-05,lead,open,\n",
            "long.csv": header + "O2,R1,2026-01-05,lead,open,\n",
        },
    )
    assert profile.rules[0].derive == {
        "customer_id": Derive(constant="C1"),
        "product_line": Derive(constant="智能仓储"),
    }
    assert profile.rules[1].derive["customer_id"] == Derive(constant="C2")
    result = ingest(paths, profile, "opportunities")
    assert rows(
        result.bronze_path, "select opportunity_id, customer_id, product_line from t order by 1"
    ) == [
        ("O1", "C1", "智能仓储"),
        ("O2", "C2", "能源监测"),
    ]


# ---------------------------------------------------------------- ignore


def test_ignored_files_are_listed_with_their_glob_and_not_read(tmp_path):
    paths, profile = setup(
        tmp_path,
        'ignore: ["data_dictionary.csv", "*products*"]\n'
        'files:\n  - match: "users*.csv"\n    table: reps\n'
        '    columns: {"User ID": rep_id, "Name": name, "Team": team_id}\n'
        "    constants: {role: rep}\n",
        {
            "export/users.csv": "User ID,Name,Team\nU1,Ann,T1\n",
            "export/data_dictionary.csv": "Table,Field\nusers,User ID\n",
            "products.csv": "product,price\nGTX,4821\n",
        },
    )
    plan = plan_landing(paths.landing, profile)
    assert plan.ignored == [
        ("export/data_dictionary.csv", "ignore: data_dictionary.csv"),
        ("products.csv", "ignore: *products*"),
    ]
    assert [i.glob for i in plan.ignored] == ["data_dictionary.csv", "*products*"]
    results = ingest_all(paths, profile, now=NOW)
    read = {a.file for r in results.values() for a in r.files}
    assert read == {"export/users.csv"}


def test_a_file_no_rule_claims_stops_the_run_and_says_how_to_ignore_it(tmp_path):
    paths, profile = setup(
        tmp_path,
        'files:\n  - match: "users*.csv"\n    table: reps\n',
        {"users.csv": "rep_id,name,team_id,role\nU1,Ann,T1,rep\n", "products.csv": "a\n1\n"},
    )
    with pytest.raises(IngestError, match=r'products\.csv.*ignore: \["products\.csv"\]'):
        plan_landing(paths.landing, profile)
    plan = plan_landing(paths.landing, profile, strict=False)
    assert [Path(e.file).name for e in plan.unclaimed] == ["products.csv"]
    assert [f.relative for f in plan.files["reps"]] == ["users.csv"]


# ---------------------------------------------------------------- currencies

DEALS = (
    "Id,Owner,Account,Product,Created,Stage,Status,Amount,Forecast\n"
    'O1,R1,C1,P,2026-01-05,won,won,"1,000.50",900\n'
    "O2,R1,C1,P,2026-01-05,lead,open,,\n"
)
DEAL_COLUMNS = (
    "    columns: {Id: opportunity_id, Owner: owner_rep_id, Account: customer_id, Product: product_line,"
    " Created: created_at, Stage: stage, Status: status, Amount: amount, Forecast: forecast_amount}\n"
)


def test_amounts_in_dollars_become_yuan_and_opportunities_keep_the_dollars(tmp_path):
    paths, profile = setup(
        tmp_path,
        "defaults: {currency: USD, exchange_rates: {USD: 7.1}}\n"
        'files:\n  - match: "deals*.csv"\n    table: opportunities\n' + DEAL_COLUMNS,
        {
            "deals.csv": DEALS,
            "finance/contracts.csv": 'contract_id,opportunity_id,signed_at,amount\nK1,O1,2026-02-01,"1,000.50"\n',
        },
    )
    result = ingest(paths, profile, "opportunities")
    assert rows(
        result.bronze_path,
        "select opportunity_id, amount, forecast_amount, amount_original, currency from t order by 1",
    ) == [
        ("O1", Decimal("7103.55"), Decimal("6390.00"), Decimal("1000.50"), "USD"),
        ("O2", None, None, None, "USD"),
    ]
    # Other tables are converted without keeping the original (the defaults reach canonical files too).
    contracts = ingest(paths, profile, "contracts")
    assert rows(contracts.bronze_path, "select contract_id, amount from t") == [
        ("K1", Decimal("7103.55"))
    ]


def test_a_currency_column_converts_each_row_and_quarantines_a_currency_without_rate(tmp_path):
    paths, profile = setup(
        tmp_path,
        'files:\n  - match: "deals*.csv"\n    table: opportunities\n'
        + DEAL_COLUMNS
        + "    options: {currency_column: Cur, exchange_rates: {USD: 7.1}}\n",
        {
            "deals.csv": "Id,Owner,Account,Product,Created,Stage,Status,Amount,Forecast,Cur\n"
            'O1,R1,C1,P,2026-01-05,won,won,"1,000.50",900,usd\n'  # codes are case-insensitive
            "O2,R1,C1,P,2026-01-05,lead,open,200,,\n"  # no code: the file's currency (CNY)
            "O3,R1,C1,P,2026-01-05,lead,open,300,,EUR\n"
            "O4,R1,C1,P,2026-01-05,lead,open,400,,RMB\n"
        },
    )
    result = ingest(paths, profile, "opportunities")
    assert rows(
        result.bronze_path,
        "select opportunity_id, amount, amount_original, currency from t order by 1",
    ) == [
        ("O1", Decimal("7103.55"), Decimal("1000.50"), "USD"),
        ("O2", Decimal("200.00"), Decimal("200.00"), "CNY"),
        ("O4", Decimal("400.00"), Decimal("400.00"), "CNY"),
    ]
    assert rows(result.quarantine_path, "select line, column_name, raw_value, reason from t") == [
        (
            4,
            "currency",
            "EUR",
            "no exchange rate for this currency: add it under exchange_rates (yuan per unit)",
        ),
    ]
    assert result.ignored_columns == {}


def test_a_default_currency_column_is_not_asked_of_tables_without_amounts(tmp_path):
    paths, profile = setup(
        tmp_path,
        "defaults: {currency_column: Cur, exchange_rates: {USD: 7.1}}\n",
        {"crm/reps.csv": "rep_id,name,team_id,role\nU1,Ann,T1,rep\n"},
    )
    assert ingest(paths, profile, "reps").rows_accepted == 1


def test_yuan_files_leave_the_original_amount_and_currency_empty(tmp_path):
    paths, profile = setup(
        tmp_path,
        'files:\n  - match: "deals*.csv"\n    table: opportunities\n' + DEAL_COLUMNS,
        {"deals.csv": DEALS},
    )
    result = ingest(paths, profile, "opportunities")
    assert rows(
        result.bronze_path,
        "select amount, amount_original, currency from t order by opportunity_id",
    ) == [
        (Decimal("1000.50"), None, None),
        (None, None, None),
    ]


# ---------------------------------------------------------------- dates


def test_expected_close_dates_that_read_as_dates_are_written_iso(tmp_path):
    paths, profile = setup(
        tmp_path,
        'defaults: {date_formats: ["%m/%d/%Y"]}\n'
        'files:\n  - match: "deals*.csv"\n    table: opportunities\n'
        + DEAL_COLUMNS.replace("}\n", ", Close: expected_close_date, Other: closed_at}\n")
        + '    options:\n      column_date_formats: {expected_close_date: ["%d/%m/%Y"]}\n',
        {
            "deals.csv": "Id,Owner,Account,Product,Created,Stage,Status,Amount,Forecast,Close,Other\n"
            "O1,R1,C1,P,2026-01-05,lead,open,,,3/15/2026,\n"
            "O2,R1,C1,P,2026-01-05,lead,open,,,尽快,\n"
            "O3,R1,C1,P,2026-01-05,lead,open,,,2026-3-7,\n"
            "O4,R1,C1,P,2026-01-05,lead,open,,,04/03/2026,\n"
            "O5,R1,C1,P,2026-01-05,lead,open,,,1-01-01,\n"
            "O6,R1,C1,P,2026-01-05,lead,open,,,2026-04-30 18:00,\n"
            "O7,R1,C1,P,2026-01-05,lead,open,,,46112,\n"
            "O8,R1,C1,P,2026-01-05,won,won,,,,04/03/2026\n"
        },
    )
    result = ingest(paths, profile, "opportunities")
    assert rows(
        result.bronze_path,
        "select opportunity_id, expected_close_date, closed_at from t order by 1",
    ) == [
        ("O1", "2026-03-15", None),  # the column's day-first format fails; date_formats reads it
        ("O2", "尽快", None),
        ("O3", "2026-03-07", None),
        ("O4", "2026-03-04", None),  # the column's own format comes before date_formats
        ("O5", "1-01-01", None),  # no real year: kept as typed, not made a date
        ("O6", "2026-04-30", None),
        ("O7", "2026-03-31", None),  # an Excel serial day
        ("O8", None, dt.datetime(2026, 4, 3)),  # closed_at has no format of its own: M/D/YYYY
    ]
    assert result.rows_quarantined == 0


def test_dates_without_a_year_are_quarantined_with_the_reason(tmp_path):
    paths, profile = setup(
        tmp_path,
        "profile: x\n",
        {
            "crm/reps.csv": "rep_id,name,team_id,role,hire_date\nU1,Ann,T1,rep,2020-03-01\n"
            "U2,Bob,T1,rep,0001-03-01\nU3,Cai,T1,rep,1-01-01\n",
            "crm/targets.csv": "period,unit_id,level,kind,amount\n2026-03,U1,rep,assigned,10\n"
            "1-01,U1,rep,committed,10\n2026-13,U2,rep,assigned,10\n",
        },
    )
    reps = ingest(paths, profile, "reps")
    assert rows(reps.bronze_path, "select rep_id, hire_date from t") == [
        ("U1", dt.date(2020, 3, 1))
    ]
    assert rows(reps.quarantine_path, "select line, column_name, raw_value, reason from t") == [
        (3, "hire_date", "0001-03-01", "not a valid date: no year (or a year before 1900)"),
        (4, "hire_date", "1-01-01", "not a valid date: no year (or a year before 1900)"),
    ]
    targets = ingest(paths, profile, "targets")
    assert rows(targets.quarantine_path, "select line, column_name, raw_value, reason from t") == [
        (3, "period", "1-01", "not a valid period: no 4-digit year (write YYYY-MM)"),
        (4, "period", "2026-13", "not a valid period"),
    ]


# ---------------------------------------------------------------- profile check

CHECK_PROFILE = (
    "profile: small\n"
    'ignore: ["data_dictionary.csv"]\n'
    'files:\n  - match: "users*.csv"\n    table: reps\n'
    '    columns: {"User ID": rep_id, "Name": name}\n'
    '    derive:\n      role: {from: "Title", values: {"Sales Manager": city_manager}, otherwise: rep}\n'
    "    constants: {team_id: T1}\n"
    '  - match: "leads*.csv"\n    table: leads\n'
)


def check_folder(tmp_path: Path, extra: dict[str, str] | None = None) -> tuple[Path, Path]:
    landing = tmp_path / "landing"
    write(
        landing / "users.csv",
        "User ID,Name,Title,Phone\nU1,Ann,Sales Manager,x\nU2,Bob,,x\nU3,,VP,x\n",
    )
    write(landing / "data_dictionary.csv", "Field,Meaning\nUser ID,key\n")
    for name, text in (extra or {}).items():
        write(landing / name, text)
    return landing, write(tmp_path / "small.yaml", CHECK_PROFILE)


def test_profile_check_reports_files_columns_and_what_would_be_quarantined(tmp_path):
    landing, profile = check_folder(tmp_path)
    report = check_landing(landing, profile, now=NOW)
    assert report.ok
    assert report.to_dict() == {
        "landing": str(landing),
        "profile": "small",
        "profile_file": str(profile),
        "files": [
            {
                "file": "users.csv",
                "table": "reps",
                "rule": "files[0]",
                "columns": [
                    {"column": "rep_id", "source": '"User ID"'},
                    {"column": "name", "source": '"Name"'},
                    {"column": "team_id", "source": 'constant "T1"'},
                    {
                        "column": "role",
                        "source": 'derived from "Title" (1 value(s) mapped; otherwise "rep")',
                    },
                    {"column": "hire_date", "source": MISSING_OPTIONAL},
                    {"column": "termination_date", "source": MISSING_OPTIONAL},
                    {"column": "im_user_id", "source": MISSING_OPTIONAL},
                ],
                "rows_read": 3,
                "rows_accepted": 1,
                "rows_quarantined": 2,
                "reasons": [
                    {"column": "name", "reason": "empty value in a required column", "rows": 1},
                    {"column": "role", "reason": "empty value in a required column", "rows": 1},
                ],
                "unused_columns": ["Phone"],
                "error": None,
                "set_aside": {},
                "notes": [],
            }
        ],
        "ignored": [
            {
                "file": "data_dictionary.csv",
                "glob": "data_dictionary.csv",
                "reason": "ignore: data_dictionary.csv",
            }
        ],
        "unclaimed": [],
        "not_data": [],
        "derived": [],
        "unmatched_rules": ["files[1] (leads*.csv → leads)"],
        "errors": [],
        "ok": True,
    }
    # nothing of the dry run is left behind next to the exports
    assert sorted(p.name for p in landing.iterdir()) == ["data_dictionary.csv", "users.csv"]


def test_profile_check_names_what_would_stop_the_run(tmp_path):
    landing, profile = check_folder(
        tmp_path,
        {
            "products.csv": "product,price\nGTX,4821\n",
            "leads_2026.csv": "Lead,Created\nL1,2026-01-01\n",
            "notes.md": "x",
        },
    )
    report = check_landing(landing, profile, now=NOW)
    assert not report.ok
    assert report.not_data == ["notes.md"]
    assert [u["file"] for u in report.unclaimed] == ["products.csv"]
    assert 'ignore: ["products.csv"]' in report.unclaimed[0]["fix"]
    leads = next(f for f in report.files if f.table == "leads")
    sources = {c.column: c.source for c in leads.columns}
    assert sources["lead_id"] == sources["created_at"] == MISSING_REQUIRED
    assert sources["first_response_at"] == MISSING_OPTIONAL
    assert leads.rows_read is None and "missing required column(s) lead_id" in leads.error


def test_profile_check_command_exit_codes(tmp_path):
    runner = CliRunner()
    landing, profile = check_folder(tmp_path)
    ok = runner.invoke(
        main, ["profile", "check", "--landing", str(landing), "--profile", str(profile)]
    )
    assert ok.exit_code == 0, ok.output
    assert "Files → tables 文件 → 表" in ok.output and "Result 结果: OK" in ok.output
    assert "data_dictionary.csv  (ignore: data_dictionary.csv)" in ok.output
    as_json = runner.invoke(
        main, ["profile", "check", "--landing", str(landing), "--profile", str(profile), "--json"]
    )
    assert as_json.exit_code == 0 and json.loads(as_json.output)["files"][0]["rows_read"] == 3

    write(landing / "products.csv", "a,b\n1,2\n")
    unclaimed = runner.invoke(
        main, ["profile", "check", "--landing", str(landing), "--profile", str(profile)]
    )
    assert unclaimed.exit_code == 1
    assert "would stop the run" in unclaimed.output and "products.csv" in unclaimed.output

    bad = write(tmp_path / "bad.yaml", 'defaults: {date_formats: ["%m-%d"]}\n')
    broken = runner.invoke(
        main, ["profile", "check", "--landing", str(landing), "--profile", str(bad)]
    )
    assert broken.exit_code == 1 and "date_formats" in broken.output and "no year" in broken.output


def test_profile_check_says_a_missing_stage_history_will_be_derived():
    fixtures = Path(__file__).resolve().parents[1] / "profiles" / "fixtures" / "flat_opportunities"
    profile = Path(__file__).resolve().parents[2] / "profiles" / "flat_opportunities.yaml"
    report = check_landing(fixtures, profile, now=NOW)
    assert report.ok
    assert report.derived == [
        "opportunity_stage_history ← derived from opportunities 由 opportunities 推导 (no file has it)"
    ]
    assert [(i["file"], i["glob"]) for i in report.ignored] == [
        ("data_dictionary.csv", "data_dictionary*"),
        ("products.csv", "products*"),
    ]
    opportunities = next(f for f in report.files if f.table == "opportunities")
    assert (
        opportunities.rows_read,
        opportunities.rows_accepted,
        opportunities.rows_quarantined,
    ) == (12, 12, 0)
