"""The signals asset on a tiny bronze chat file: both files written, metadata reported."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import duckdb

from orchestration.defs.signals.chat import chat_signals, signals_key
from orchestration.resources import SalesopsHome

MESSAGES = [
    ("M1", "CV1", "O1", "r1", "customer", datetime(2026, 9, 7, 10), "我们还没有预算"),
    ("M2", "CV1", "O1", "r1", "customer", datetime(2026, 9, 8, 10), "领导还没批,防水等级是硬指标"),
    ("M3", "CV2", None, "r2", "rep", datetime(2026, 9, 15, 10), "好的,收到"),
    ("M4", "CV1", "O1", "r1", "customer", datetime(2026, 9, 9, 10), "我们还没有预算"),
]


def write_chat(home) -> None:
    (home / "bronze").mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        "create table chat (message_id varchar, conversation_id varchar, opportunity_id varchar, "
        "rep_id varchar, sender varchar, sent_at timestamp, text varchar)"
    )
    con.executemany("insert into chat values (?, ?, ?, ?, ?, ?, ?)", MESSAGES)
    con.execute(f"copy chat to '{home}/bronze/chat_messages.parquet' (format parquet)")
    con.close()


def test_asset_writes_hits_and_weekly_token_counts(tmp_path):
    write_chat(tmp_path)
    result = dg.materialize(
        [chat_signals], resources={"salesops_home": SalesopsHome(home=str(tmp_path))}
    )
    assert result.success
    hits = (
        duckdb.connect()
        .execute(
            f"select message_id, keyword, category, negated from '{tmp_path}/signals/keyword_hits.parquet' order by all"
        )
        .fetchall()
    )
    assert hits == [
        ("M1", "预算", "budget", True),
        ("M2", "防水等级", "requirement", False),
        ("M2", "领导还没批", "approval", False),
        ("M4", "预算", "budget", True),
    ]
    tokens = dict(
        duckdb.connect()
        .execute(
            f"select token, messages from '{tmp_path}/signals/token_counts.parquet' "
            "where rep_id = 'r1' and week_start = date '2026-09-07'"
        )
        .fetchall()
    )
    assert tokens["预算"] == 2 and tokens["防水等级"] == 1
    assert "收到" not in tokens and "我们" not in tokens
    materializations = result.asset_materializations_for_node("chat_signals")
    assert {m.asset_key for m in materializations} == {
        signals_key("keyword_hits"),
        signals_key("token_counts"),
    }
    assert all(m.metadata["messages"].value == 4 for m in materializations)
    assert all(m.metadata["distinct_texts"].value == 3 for m in materializations)
    assert all(
        m.metadata["dagster/row_count"].value == m.metadata["rows"].value for m in materializations
    )
