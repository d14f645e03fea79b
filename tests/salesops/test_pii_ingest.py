"""PII never reaches bronze, quarantine or a published snapshot."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from salesops import contract, pii
from salesops.config import Paths
from salesops.ingest import ingest_all, ingest_table
from salesops.publish import PublishError, open_snapshot, publish_snapshot
from simulator.config import load_config
from simulator.generate import generate


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(tmp_path).ensure()
    for folder in ("crm", "chat"):
        (p.landing / folder).mkdir(parents=True)
    return p


def scan_parquet(*folders: Path) -> list[pii.Finding]:
    """Every Parquet file under the folders as a view, scanned."""
    con = duckdb.connect()
    for i, f in enumerate(sorted(p for folder in folders for p in folder.rglob("*.parquet"))):
        con.execute(f"create view \"{i}:{f.name}\" as select * from read_parquet('{f}')")
    return pii.scan_database(con)


def chat_line(i: int, text: str, sender: str = "customer") -> str:
    return json.dumps(
        {
            "message_id": f"M{i}",
            "conversation_id": "CV1",
            "channel": "wecom",
            "rep_id": "S1",
            "contact_id": "C1-1",
            "sender": sender,
            "sent_at": "2026-01-05 10:00:00",
            "text": text,
        },
        ensure_ascii=False,
    )


def test_free_text_is_masked_in_bronze_parts_and_quarantine(paths):
    (paths.landing / "chat" / "chat_messages_2026-01.jsonl").write_text(
        "\n".join(
            [
                chat_line(1, "我手机号 138 1234 5678，邮箱 a123456@qq.com"),
                chat_line(2, "价格太贵了"),
                chat_line(
                    3, "加我微信 wxid_b12345678", sender="13912345678"
                ),  # bad sender: quarantined
                '{"message_id": "M4", "text": "身份证号 11010519491231002X", broken',  # not JSON
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    (paths.landing / "crm" / "activities.csv").write_text(
        "activity_id,rep_id,opportunity_id,kind,occurred_at,note\n"
        "A1,S1,O1,call,2026-01-05 10:00:00,客户留了座机 021-12345678 和卡号 6222021234567890128\n"
        "A2,S1,O1,call,2026-01-05 11:00:00,对方说下周再联系\n"
        "A3,S1,O1,call,2026-01-05 12:00:00,手机 13812345678,extra,fields\n"  # too many fields
        "A4,S1,O1,call,not a time,回电 0755-1234567\n",  # bad timestamp: quarantined
        encoding="utf-8",
    )
    chat = ingest_table(contract.table("chat_messages"), paths, now=dt.datetime(2026, 2, 1))
    acts = ingest_table(contract.table("activities"), paths, now=dt.datetime(2026, 2, 1))
    assert (chat.rows_read, chat.rows_accepted, chat.rows_quarantined) == (4, 2, 2)
    assert (acts.rows_read, acts.rows_accepted, acts.rows_quarantined) == (4, 2, 2)

    texts = (
        duckdb.connect()
        .sql(f"select text from read_parquet('{chat.bronze_path}') order by message_id")
        .fetchall()
    )
    assert texts == [("我手机号 [手机号]，邮箱 [邮箱]",), ("价格太贵了",)]
    notes = (
        duckdb.connect()
        .sql(f"select note from read_parquet('{acts.bronze_path}') order by activity_id")
        .fetchall()
    )
    assert notes == [("客户留了座机 [座机] 和卡号 [银行卡]",), ("对方说下周再联系",)]

    quarantined = (
        duckdb.connect()
        .sql(
            f"select column_name, raw_value from read_parquet(['{chat.quarantine_path}', '{acts.quarantine_path}']) "
            "order by file, line"
        )
        .fetchall()
    )
    assert ("sender", "[手机号]") in quarantined
    assert ("occurred_at", "not a time") in quarantined
    raw_lines = [v for c, v in quarantined if c is None]
    assert len(raw_lines) == 2
    assert any("[身份证]" in v for v in raw_lines) and any("[手机号]" in v for v in raw_lines)

    # Nothing anywhere in bronze (parts and consolidated) or quarantine holds the values.
    assert scan_parquet(paths.bronze, paths.quarantine) == []
    for folder in (paths.bronze, paths.quarantine):
        for f in folder.rglob("*.parquet"):
            data = f.read_bytes()
            assert b"13812345678" not in data and b"a123456@qq.com" not in data


def build_warehouse(paths: Paths, text: str) -> None:
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_as_of_resolved as select date '2026-10-31' as as_of"
        )
        con.execute(
            "create or replace table marts.fct_chat_signals as select 'OPP1' as opportunity_id, ? as excerpt, "
            "date '2026-10-31' as as_of",
            [text],
        )


def test_publish_refuses_a_snapshot_with_unmasked_pii_and_keeps_the_previous_one(paths):
    build_warehouse(paths, "客户说价格太贵 [手机号]")
    publish_snapshot(paths, run_id="r1")
    build_warehouse(paths, "客户说价格太贵 13812345678")
    with pytest.raises(
        PublishError, match=r"marts\.fct_chat_signals\.excerpt holds a mobile number"
    ) as err:
        publish_snapshot(paths, run_id="r2")
    assert "13812345678" not in str(err.value)
    con = open_snapshot(paths)
    assert con.execute("select run_id from main.publish_info").fetchone() == ("r1",)
    assert con.execute("select excerpt from marts.fct_chat_signals").fetchone() == (
        "客户说价格太贵 [手机号]",
    )
    assert not list(paths.snapshot_db.parent.glob("*.tmp"))


def test_simulator_pii_is_in_landing_and_nowhere_in_bronze(tmp_path):
    paths = Paths(tmp_path).ensure()
    manifest = generate(load_config(overrides=["scale=0.03", "seed=3"]), paths.landing)
    planted = manifest["pii"]["counts"]
    assert all(planted[k] > 0 for k in pii.KINDS)

    raw = (
        duckdb.connect()
        .sql(
            f"select text from read_json('{paths.landing}/chat/*.jsonl', format = 'newline_delimited', "
            "columns = {'text': 'VARCHAR'})"
        )
        .fetchall()
    )
    found = Counter(m.kind for (text,) in raw for m in pii.find_pii(text))
    # Every planted value is found, of its kind, and nothing else (the simulator's ID and bank
    # numbers fail the check digits; they are found because 身份证号 / 卡号 introduces them).
    assert dict(found) == planted

    ingest_all(paths, now=dt.datetime(2027, 1, 1))
    assert scan_parquet(paths.bronze, paths.quarantine) == []
    masked = (
        duckdb.connect()
        .sql(f"select text from read_parquet('{paths.bronze / 'chat_messages.parquet'}')")
        .fetchall()
    )
    placeholders = Counter(
        kind for (text,) in masked for kind, p in pii.PLACEHOLDERS.items() if p in text
    )
    for kind in pii.KINDS:  # some messages are quarantined or superseded as duplicates
        assert 0.9 * planted[kind] <= placeholders[kind] <= planted[kind], kind
