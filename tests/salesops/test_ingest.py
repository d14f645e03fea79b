"""Ingest: typing from the contract, quarantine with file/line/column/reason, row accounting."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from salesops import contract
from salesops.config import Paths
from salesops.ingest import IngestError, discover_landing, ingest_all, ingest_table

HEADER = "opportunity_id,lead_id,customer_id,owner_rep_id,product_line,created_at,stage,status,amount,expected_close_date,probability"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(tmp_path).ensure()
    (p.landing / "crm").mkdir(parents=True)
    return p


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows(path: str, sql: str = "select * from t"):
    return duckdb.connect().sql(sql.replace("from t", f"from read_parquet('{path}')")).fetchall()


def test_types_every_column_and_quarantines_bad_rows_with_reasons(paths):
    write(
        paths.landing / "crm" / "opportunities.csv",
        HEADER + ",extra_column\n"
        "O1,L1,C1,R1,智能仓储,2026-01-05 10:00:00,quote,open,120000.50,尽快,0.4,x\n"
        "O2,L2,C2,R1,智能仓储,2026-01-06 08:00:00,won,won,abc,,0.5,x\n"
        "O3,L3,C3,R2,智能仓储,2026-01-07 09:00:00,bogus,open,5000,2026-02-01,1.5,x\n"
        "O4,L4,C4,,智能仓储,2026-01-08 09:00:00,lead,open,0,,,x\n",
    )
    result = ingest_table(contract.table("opportunities"), paths)
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (4, 1, 3)
    assert result.ignored_columns == {"crm/opportunities.csv": ["extra_column"]}
    (accepted,) = rows(result.bronze_path, "select opportunity_id, amount, probability, created_at, _source_line from t")
    assert accepted[0] == "O1" and float(accepted[1]) == 120000.50 and accepted[2] == 0.4 and accepted[4] == 2
    quarantined = rows(result.quarantine_path, "select line, column_name, raw_value, reason from t order by line, column_name")
    assert quarantined == [
        (3, "amount", "abc", "not a valid decimal"),
        (4, "probability", "1.5", "above the maximum 1"),
        (4, "stage", "bogus", "not one of: lead, qualified, quote, negotiation, contract_approval, won, lost"),
        (5, "owner_rep_id", None, "empty value in a required column"),
    ]


def test_absent_optional_columns_become_typed_nulls(paths):
    write(paths.landing / "crm" / "opportunities.csv", HEADER + "\nO1,L1,C1,R1,P,2026-01-05 10:00:00,lead,open,1,,\n")
    result = ingest_table(contract.table("opportunities"), paths)
    described = duckdb.connect().sql(f"describe select * from read_parquet('{result.bronze_path}')").fetchall()
    types = {name: type_ for name, type_, *_ in described}
    assert types["closed_at"] == "TIMESTAMP" and types["forecast_amount"] == "DECIMAL(18,2)"
    assert rows(result.bronze_path, "select closed_at, loss_reason_code from t") == [(None, None)]


def test_missing_required_column_names_file_column_and_fix(paths):
    f = write(paths.landing / "crm" / "opportunities.csv", HEADER.replace(",stage", "") + "\n")
    with pytest.raises(IngestError) as err:
        ingest_table(contract.table("opportunities"), paths)
    message = str(err.value)
    assert str(f) in message and "missing required column(s) stage" in message and "under `columns` in a mapping profile" in message


def test_latest_extract_wins_on_duplicate_keys_and_accounting_holds(paths):
    crm = paths.landing / "crm"
    a = write(crm / "opportunities_2026-03-30.csv", HEADER + "\nO1,L1,C1,R1,P,2026-01-05 10:00:00,lead,open,100,,\nO2,L2,C2,R1,P,2026-01-05 10:00:00,lead,open,5,,\n")
    b = write(crm / "opportunities_2026-03-31.csv", HEADER + "\nO1,L1,C1,R1,P,2026-01-05 10:00:00,quote,open,200,,\n")
    files = discover_landing(paths.landing)["opportunities"]
    assert files == [a, b]
    result = ingest_table(contract.table("opportunities"), paths)
    assert rows(result.bronze_path, "select opportunity_id, stage from t order by 1") == [("O1", "quote"), ("O2", "lead")]
    by_file = {Path(acc.file).name: acc for acc in result.files}
    assert by_file[a.name].rows_superseded == 1 and by_file[a.name].rows_accepted == 1
    for acc in result.files:
        assert acc.rows_read == acc.rows_accepted + acc.rows_quarantined + acc.rows_superseded


def test_chat_jsonl_reads_every_file_of_the_folder(paths):
    chat = paths.landing / "chat"
    chat.mkdir()
    write(
        chat / "wecom_2026-10.jsonl",
        '{"message_id":"M1","conversation_id":"V1","channel":"wecom","opportunity_id":null,"rep_id":"R1",'
        '"contact_id":"K1","sender":"customer","sent_at":"2026-10-01 09:00:00","text":"预算已经批了"}\n'
        '{"message_id":"M2","conversation_id":"V1","channel":"fax","rep_id":"R1",'
        '"contact_id":"K1","sender":"rep","sent_at":"2026-10-01 09:05:00","text":"好的"}\n',
    )
    result = ingest_all(paths)["chat_messages"]
    assert (result.rows_read, result.rows_accepted, result.rows_quarantined) == (2, 1, 1)
    assert rows(result.quarantine_path, "select line, column_name, raw_value from t") == [(2, "channel", "fax")]


def test_every_table_gets_a_bronze_file_even_without_extracts(paths):
    results = ingest_all(paths)
    assert set(results) == set(contract.TABLES)
    for name, result in results.items():
        columns = [r[0] for r in duckdb.connect().sql(f"describe select * from read_parquet('{result.bronze_path}')").fetchall()]
        assert columns == [*contract.table(name).column_names, "_source_file", "_source_line"]


def test_unknown_file_in_landing_is_an_error_not_a_skip(paths):
    write(paths.landing / "crm" / "deals.csv", "a\n1\n")
    with pytest.raises(IngestError, match="deals.csv.*Name the file after its table"):
        discover_landing(paths.landing)
