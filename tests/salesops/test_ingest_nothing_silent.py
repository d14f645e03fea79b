"""Nothing is changed silently at ingest (issue 11, point 8), tried as a user would:

* a value out of its column's range (an amount of 10^20, an integer beyond 64 bits, a float
  that overflows) is quarantined with file, line, column and reason — the run does not crash;
* a byte-order mark inside a file (two exports joined) never stays inside an id or a value;
* an amount with more decimals than the contract keeps is quarantined, never rounded, while
  floating-point noise and 万/亿 amounts are kept exactly;
* ignored extra columns and superseded duplicate keys are named in the run log, the end-of-run
  summary, the snapshot's ``ingest_summary`` and the quality report — not only in the accounts.

Every expected value is worked out by hand from the fixture text in the test."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from data_quality.report import render_html
from data_quality.runs import ingest_account
from data_quality.validate import ValidationOutcome
from salesops import contract
from salesops.config import Paths
from salesops.ingest import ingest_all, ingest_table, load_profile
from salesops.ingest.profile import ReadOptions
from salesops.ingest.typing import range_checks, typed
from salesops.run_summary import RunSummary, ingest_summaries, render, write_snapshot_table

HEADER = "opportunity_id,lead_id,customer_id,owner_rep_id,product_line,created_at,stage,status,amount,expected_close_date,probability"
NOW = dt.datetime(2026, 4, 15, 12, 0, 0)
BOM = "\ufeff"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(tmp_path).ensure()
    (p.landing / "crm").mkdir(parents=True)
    return p


def row(key: str, amount: str = "100", probability: str = "0.5") -> str:
    return f"{key},L1,C1,R1,P,2026-01-05 10:00:00,quote,open,{amount},,{probability}\n"


def rows(path: str, sql: str) -> list[tuple]:
    return duckdb.connect().sql(sql.replace("from t", f"from read_parquet('{path}')")).fetchall()


def quarantined(result) -> list[tuple]:
    return rows(
        result.quarantine_path,
        "select file, line, column_name, raw_value, reason from t order by line, column_name",
    )


def balanced(result) -> bool:
    return all(
        a.rows_read == a.rows_accepted + a.rows_quarantined + a.rows_superseded + a.rows_set_aside
        for a in result.files
    )


# ---------------------------------------------------------------- 1. out of range


def test_values_out_of_range_are_quarantined_with_file_line_column_not_a_crash(paths):
    f = paths.landing / "crm" / "opportunities.csv"
    f.write_text(
        HEADER
        + "\n"
        + row("O1")
        + row("O2", amount="100000000000000000000")  # 10^20 yuan: DECIMAL(18,2) holds < 10^16
        + row("O3", amount="99999999999999万")  # fits as text, 10^18 yuan once × 10,000
        + row("O4", probability="1" + "0" * 400)  # beyond any double
        + row("O5", probability="1e300")  # scientific notation: digits may be cut
        + row("O6", amount="9999999999999999.99"),  # the largest amount DECIMAL(18,2) holds
        encoding="utf-8",
    )
    result = ingest_table(contract.table("opportunities"), paths, now=NOW)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (6, 2, 4)
    assert balanced(result)
    assert rows(result.bronze_path, "select opportunity_id, amount from t order by 1") == [
        ("O1", Decimal("100.00")),
        ("O6", Decimal("9999999999999999.99")),
    ]
    found = quarantined(result)
    assert [(file, line, column) for file, line, column, _, _ in found] == [
        (str(f), 3, "amount"),
        (str(f), 4, "amount"),
        (str(f), 5, "probability"),
        (str(f), 6, "probability"),
    ]
    reasons = [reason for *_, reason in found]
    for reason in reasons[:3]:
        assert reason.startswith("out of range") and "超出范围" in reason
    assert "DECIMAL(18,2)" in reasons[0] and "DOUBLE" in reasons[2]
    assert reasons[3].startswith("a number in scientific notation") and "科学计数法" in reasons[3]


def test_an_integer_beyond_64_bits_or_with_decimals_is_quarantined_not_rounded():
    # No contract column is an integer today: the rule is tried on a column of that type.
    column = contract.Column("seats", "integer", "seats", min_value=0)
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (1, '42'), (2, '9223372036854775807'), "
        "(3, '9223372036854775808'), (4, '2.5'), (5, '7.000')) v(id, raw)"
    )
    value = typed(column, "raw", ReadOptions(), False)
    con.execute(f"create table typed as select id, raw, {value} as v from t")
    ranges = range_checks(column, "raw", "v", ReadOptions())
    cases = " ".join(f"when {condition} then '{reason[:20]}'" for condition, reason in ranges)
    got = con.execute(f"select id, v, case {cases} end from typed order by id").fetchall()
    assert got == [
        (1, 42, None),
        (2, 9223372036854775807, None),
        (3, None, "out of range: BIGINT"),
        (4, None, "not a whole number: "),
        (5, 7, None),
    ]


# ---------------------------------------------------------------- 2. byte-order marks


def test_a_byte_order_mark_inside_a_file_never_stays_in_an_id(paths):
    # Two exports joined with `cat`: the second one's BOM and header, then a BOM before a quoted id
    # and one inside a row (a value pasted from another export).
    second = (
        BOM
        + HEADER
        + "\n"
        + row("O3")
        + BOM
        + '"O4",L1,C1,R1,P,2026-01-05 10:00:00,quote,open,7,,0.5\n'
    )
    text = (
        HEADER
        + "\n"
        + row("O1")
        + "O2,L1,"
        + BOM
        + "C1,R1,P,2026-01-05 10:00:00,quote,open,5,,0.5\n"
        + second
    )
    f = paths.landing / "crm" / "opportunities.csv"
    f.write_bytes((BOM + text).encode("utf-8"))
    result = ingest_table(contract.table("opportunities"), paths, now=NOW)
    assert (
        result.rows_read,
        result.rows_accepted,
        result.rows_quarantined,
        result.rows_set_aside,
    ) == (5, 4, 0, 1)
    assert balanced(result)
    kept = rows(
        result.bronze_path,
        "select opportunity_id, customer_id, amount, _source_line from t order by 1",
    )
    assert kept == [
        ("O1", "C1", Decimal("100.00"), 2),
        ("O2", "C1", Decimal("5.00"), 3),
        ("O3", "C1", Decimal("100.00"), 5),
        ("O4", "C1", Decimal("7.00"), 6),
    ]
    (account,) = result.files
    assert account.set_aside == {"repeated header row 重复表头行": 1}
    notes = " ".join(account.notes)
    assert (
        "byte-order mark(s) (U+FEFF) inside the file, on line(s) 3, 4, 6" in notes
        and "字节顺序标记" in notes
    )
    assert "header row is repeated on line(s) 4" in notes


def test_a_byte_order_mark_inside_a_parquet_value_is_removed_and_noted(paths):
    f = paths.landing / "crm" / "customers.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * from (values ('C1', '杭州物流', '物流'), ('{BOM}C2', '宁波{BOM}港务', '贸易')) "
            f"v(customer_id, name, industry)) to '{f}' (format parquet)"
        )
    result = ingest_table(contract.table("customers"), paths, now=NOW)
    assert rows(result.bronze_path, "select customer_id, name from t order by 1") == [
        ("C1", "杭州物流"),
        ("C2", "宁波港务"),
    ]
    assert any("U+FEFF" in note and "line(s) 2" in note for a in result.files for note in a.notes)


# ---------------------------------------------------------------- 3. decimals beyond the cent


def test_an_amount_with_sub_cent_digits_is_quarantined_never_rounded(paths):
    f = paths.landing / "crm" / "opportunities.csv"
    f.write_text(
        HEADER
        + "\n"
        + row("O1", amount="12.345")  # fen read as yuan? a price per unit? not rounded to 12.35
        + row("O2", amount="1.2345万")  # 12,345 yuan: exact
        + row("O3", amount="1.23456789万")  # 12,345.6789 yuan: sub-cent
        + row("O4", amount="0.30000000000000004")  # a double's 0.1 + 0.2: noise, 0.30
        + row("O5", amount="113.00000000000001")  # a spreadsheet's 100 × 1.13: noise, 113.00
        + row("O6", amount="12.3400000")  # trailing zeros are not digits below the cent
        + row("O7", amount="12.3400001")  # 0.0000001 yuan is data, not noise
        + row("O8", amount="¥1234.50"),
        encoding="utf-8",
    )
    result = ingest_table(contract.table("opportunities"), paths, now=NOW)
    assert balanced(result)
    assert rows(result.bronze_path, "select opportunity_id, amount from t order by 1") == [
        ("O2", Decimal("12345.00")),
        ("O4", Decimal("0.30")),
        ("O5", Decimal("113.00")),
        ("O6", Decimal("12.34")),
        ("O8", Decimal("1234.50")),
    ]
    found = quarantined(result)
    assert [(line, column, raw) for _, line, column, raw, _ in found] == [
        (2, "amount", "12.345"),
        (4, "amount", "1.23456789万"),
        (8, "amount", "12.3400001"),
    ]
    assert all(r.startswith("more than 2 decimals") and "未自动四舍五入" in r for *_, r in found)


def test_amounts_in_wan_yuan_and_foreign_currency_are_judged_on_the_files_own_figure(tmp_path):
    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "deals.csv").write_text(
        "Id,Owner,Account,Product,Created,Stage,Status,Amount,Cur\n"
        "O1,R1,C1,P,2026-01-05,won,won,1.23456,\n"  # 万元: 12,345.6 yuan, exact
        "O2,R1,C1,P,2026-01-05,won,won,1.2345678,\n"  # 万元: 12,345.678 yuan
        "O3,R1,C1,P,2026-01-05,won,won,0.0013,USD\n"  # 13 USD: × 7.1234 = 92.6042 → 92.60 (the rate's rounding)
        "O4,R1,C1,P,2026-01-05,won,won,0.0000012,USD\n",  # 0.012 USD: sub-cent in its own currency
        encoding="utf-8",
    )
    profile_file = tmp_path / "profile.yaml"
    profile_file.write_text(
        'files:\n  - match: "deals*.csv"\n    table: opportunities\n'
        "    columns: {Id: opportunity_id, Owner: owner_rep_id, Account: customer_id, Product: product_line,"
        " Created: created_at, Stage: stage, Status: status, Amount: amount}\n"
        "    options: {amount_unit: wan_yuan, currency_column: Cur, exchange_rates: {USD: 7.1234}}\n",
        encoding="utf-8",
    )
    paths = Paths(tmp_path / "home", landing).ensure()
    result = ingest_table(
        contract.table("opportunities"), paths, load_profile(profile_file), now=NOW
    )
    assert rows(
        result.bronze_path,
        "select opportunity_id, amount, amount_original, currency from t order by 1",
    ) == [
        ("O1", Decimal("12345.60"), Decimal("12345.60"), "CNY"),
        ("O3", Decimal("92.60"), Decimal("13.00"), "USD"),
    ]
    # Each bad figure is quarantined once, on amount (amount_original repeats its text).
    assert [(line, column) for _, line, column, _, _ in quarantined(result)] == [
        (3, "amount"),
        (5, "amount"),
    ]


# ---------------------------------------------------------------- 4. columns not read, rows superseded


@pytest.fixture
def extracts(paths: Paths) -> Paths:
    crm = paths.landing / "crm"
    (crm / "opportunities_2026-03-30.csv").write_text(
        HEADER
        + ",备注,内部编号\n"
        + row("O1").rstrip("\n")
        + ",x,1\n"
        + row("O2").rstrip("\n")
        + ",y,2\n",
        encoding="utf-8",
    )
    (crm / "opportunities_2026-03-31.csv").write_text(
        HEADER + ",备注\n" + row("O1", amount="200").rstrip("\n") + ",z\n", encoding="utf-8"
    )
    return paths


def test_ignored_columns_and_superseded_keys_are_in_the_run_log_and_summary_every_run(extracts):
    paths = extracts
    for _ in range(2):  # the second run types nothing again: the report must not forget
        result = ingest_all(paths, now=NOW)["opportunities"]
    assert result.ignored_columns == {
        "crm/opportunities_2026-03-30.csv": ["备注", "内部编号"],
        "crm/opportunities_2026-03-31.csv": ["备注"],
    }
    log = [
        json.loads(line)
        for line in (paths.bronze / "_log" / "opportunities.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    added = {e["file"]: e for e in log if e["action"] == "added"}
    assert added["crm/opportunities_2026-03-30.csv"]["ignored_columns"] == ["备注", "内部编号"]
    assert (
        "columns not read 未读取的列: 备注, 内部编号"
        in added["crm/opportunities_2026-03-30.csv"]["reason"]
    )
    (superseded,) = [e for e in log if e["action"] == "superseded"]
    assert superseded["rows"] == 1
    assert (
        "crm/opportunities_2026-03-30.csv: 1 by crm/opportunities_2026-03-31.csv ×1; "
        "e.g. O1 (line 2 → crm/opportunities_2026-03-31.csv line 2)"
    ) in superseded["reason"]

    lines = render(RunSummary(ingest_summaries(paths), 0.05))
    assert (
        "      columns not read 未读取的列: 备注, 内部编号 — in crm/opportunities_2026-03-30.csv"
        in lines
    )
    assert "      columns not read 未读取的列: 备注 — in crm/opportunities_2026-03-31.csv" in lines
    assert (
        "      superseded 被替代: 1 row(s) replaced by a later row with the same key: 1 by a later extract "
        "(kept in crm/opportunities_2026-03-31.csv ×1) (e.g. crm/opportunities_2026-03-30.csv O1 "
        "(line 2 → crm/opportunities_2026-03-31.csv line 2)) — per file: bronze/_accounts/opportunities.json, "
        "the quality report"
    ) in lines

    with duckdb.connect() as con:
        write_snapshot_table(con, ingest_summaries(paths), 0.05)
        ignored, replaced = con.execute(
            "select ignored_columns, superseded from main.ingest_summary where table_name = 'opportunities'"
        ).fetchone()
    assert (
        ignored
        == "crm/opportunities_2026-03-30.csv: 备注, 内部编号\ncrm/opportunities_2026-03-31.csv: 备注"
    )
    assert replaced.startswith(
        "superseded 被替代: 1 row(s) replaced by a later row with the same key"
    )


def test_a_key_repeated_within_one_file_names_the_row_that_replaced_it(paths):
    (paths.landing / "crm" / "opportunities.csv").write_text(
        HEADER + "\n" + row("O1") + row("O2") + row("O1", amount="300"), encoding="utf-8"
    )
    result = ingest_table(contract.table("opportunities"), paths, now=NOW)
    (account,) = result.files
    assert (account.rows_superseded, account.superseded_by) == (1, {"crm/opportunities.csv": 1})
    assert account.superseded_examples == ["O1 (line 2 → line 4)"]
    (line,) = [
        line for line in render(RunSummary(ingest_summaries(paths), 0.05)) if "被替代:" in line
    ]
    assert (
        "1 by a later row of the same file (e.g. crm/opportunities.csv O1 (line 2 → line 4))"
        in line
    )


def test_the_quality_report_shows_columns_not_read_and_rows_superseded(extracts):
    paths = extracts
    ingest_all(paths, now=NOW)
    account = ingest_account(paths.bronze, "opportunities")
    assert {k: account[k] for k in ("rows_read", "rows_accepted", "rows_superseded")} == {
        "rows_read": 3,
        "rows_accepted": 2,
        "rows_superseded": 1,
    }
    outcome = ValidationOutcome(
        "bronze_opportunities", True, 0, table="opportunities", ingest=account
    )
    outcome = ValidationOutcome.from_dict(
        json.loads(json.dumps(outcome.to_dict()))
    )  # as the checks store it
    html = render_html([outcome], "run-1", "t")
    assert "未读取的列 Columns not read" in html and "备注, 内部编号" in html
    assert "被替代的行 Rows superseded" in html
    assert "O1 (line 2 → crm/opportunities_2026-03-31.csv line 2)" in html.replace("&gt;", ">")
    assert (
        "读取 read 3 = 保留 kept 2 + 隔离 quarantined 0 + 被替代 superseded 1 + 未载入 set aside 0"
        in html
    )
