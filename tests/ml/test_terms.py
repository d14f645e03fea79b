"""Candidate terms of a message (runs of 1-4 tokens) and the weekly term counts written by the
extract: hand-made token lists and a tiny bronze chat."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from ml.chat_signals.dictionary import load_dictionary
from ml.chat_signals.extract import extract_signals
from ml.chat_signals.terms import is_ascii_noise, message_terms, term_surface
from ml.chat_signals.tokenize import ChatTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> ChatTokenizer:
    return ChatTokenizer(load_dictionary())


def test_runs_stay_in_their_clause_and_have_content_words_at_both_edges(tokenizer):
    tokens = ["我们", "的", "仓储", "管家", "方案", "很", "好", "，", "价格", "太高"]
    assert message_terms(tokenizer, tokens) == {
        "仓储": 1,
        "管家": 1,
        "方案": 1,
        "价格": 1,
        "太高": 1,
        "仓储管家": 2,
        "管家方案": 2,
        "仓储管家方案": 3,
        "价格太高": 2,
    }


def test_a_function_word_may_stand_inside_a_run_but_not_at_its_edge(tokenizer):
    terms = message_terms(tokenizer, ["降本", "和", "增效", "吧"])
    assert terms["降本和增效"] == 3
    assert not any(t.endswith("吧") or t.startswith("和") for t in terms)


def test_runs_are_at_most_four_tokens(tokenizer):
    terms = message_terms(tokenizer, ["智慧", "仓储", "管理", "平台", "升级"])
    assert terms["智慧仓储管理平台"] == 4 and terms["仓储管理平台升级"] == 4
    assert "智慧仓储管理平台升级" not in terms


def test_the_fewest_tokens_are_kept_when_a_run_repeats_a_word(tokenizer):
    assert message_terms(tokenizer, ["仓储", "管家", "，", "仓储管家"])["仓储管家"] == 1


def test_ascii_noise_is_no_edge_but_a_latin_word_is(tokenizer):
    terms = message_terms(tokenizer, ["opp00123", "仓储", "crm", "对接"])
    assert not any("opp00123" in t for t in terms)
    assert terms["仓储crm"] == 2 and terms["crm对接"] == 2
    assert is_ascii_noise("5g") and is_ascii_noise("2026q3") and is_ascii_noise("x")
    assert not is_ascii_noise("b2b") and not is_ascii_noise("saas") and not is_ascii_noise("预算")


def test_a_space_is_kept_only_between_latin_words():
    assert term_surface(["power", "bi", "看板"]) == "power bi看板"
    assert term_surface(["ai", "助手"]) == "ai助手"
    assert term_surface(["仓储", "管家"]) == term_surface(["仓", "储管家"]) == "仓储管家"


MESSAGES = [
    ("M1", "r1", datetime(2026, 9, 7, 10), "仓储管家方案什么时候上线"),
    ("M2", "r2", datetime(2026, 9, 8, 10), "仓储管家方案的报价发我"),
    ("M3", "r1", datetime(2026, 9, 9, 10), "周报模板改好了"),
    ("M4", "r1", datetime(2026, 9, 15, 10), "仓储管家方案还要再看看"),
]


def test_extract_keeps_a_run_only_when_some_week_repeats_it(tmp_path, tokenizer):
    """仓储管家方案 is in two messages of week 2026-09-07 (two reps) and once the next week:
    every one of its rows is kept, the lone week too (its baseline stays exact). 周报模板 is in
    one message only: as a run it is dropped, its one-token pieces are not."""
    (tmp_path / "bronze").mkdir()
    con = duckdb.connect()
    con.execute(
        "create table chat (message_id varchar, conversation_id varchar, opportunity_id varchar, "
        "rep_id varchar, sender varchar, sent_at timestamp, text varchar)"
    )
    con.executemany(
        "insert into chat values (?, 'CV1', null, ?, 'rep', ?, ?)", [list(m) for m in MESSAGES]
    )
    con.execute(f"copy chat to '{tmp_path}/bronze/chat_messages.parquet' (format parquet)")
    extract_signals(tmp_path / "bronze" / "chat_messages.parquet", tmp_path / "signals")
    rows = con.execute(
        f"select rep_id, cast(week_start as varchar), token, n_tokens, messages "
        f"from '{tmp_path}/signals/token_counts.parquet'"
    ).fetchall()
    con.close()
    term = term_surface(tokenizer.tokens("仓储管家方案"))
    assert term == "仓储管家方案"
    assert sorted((r[0], r[1], r[4]) for r in rows if r[2] == term) == [
        ("r1", "2026-09-07", 1),
        ("r1", "2026-09-14", 1),
        ("r2", "2026-09-07", 1),
    ]
    assert {r[3] for r in rows if r[2] == term} == {len(tokenizer.tokens("仓储管家方案"))}
    pieces = tokenizer.content_tokens(tokenizer.tokens("周报模板"))
    kept = {r[2] for r in rows if r[0] == "r1" and r[1] == "2026-09-07"}
    assert pieces and pieces <= kept
    assert not any(r[3] > 1 and "周报" in r[2] for r in rows)


def test_signals_in_small_chunks_across_two_processes_equal_one_pass(tmp_path):
    """The texts are read and tokenised chunk by chunk (two worker processes, at most two
    chunks each in flight): chunks of one text give the same files as a single pass."""
    (tmp_path / "bronze").mkdir()
    con = duckdb.connect()
    con.execute(
        "create table chat (message_id varchar, conversation_id varchar, opportunity_id varchar, "
        "rep_id varchar, sender varchar, sent_at timestamp, text varchar)"
    )
    more = [
        (f"X{i}", "r3", datetime(2026, 9, 10 + i, 10), text)
        for i, text in enumerate(["预算已经批了", "价格太贵了", "竞品报价更低", "下周招标", "需求还没确定", "审批在走流程"])
    ]
    con.executemany(
        "insert into chat values (?, 'CV1', null, ?, 'rep', ?, ?)", [list(m) for m in MESSAGES + more]
    )
    chat = tmp_path / "bronze" / "chat_messages.parquet"
    con.execute(f"copy chat to '{chat}' (format parquet)")
    one = extract_signals(chat, tmp_path / "one", workers=1, chunk_size=10_000)
    chunked = extract_signals(chat, tmp_path / "chunked", workers=2, chunk_size=1)
    assert chunked.distinct_texts == one.distinct_texts == 10  # 10 chunks: more than 2 × 2 in flight
    for name in ("keyword_hits", "token_counts"):
        rows = [
            con.execute(f"select * from '{folder}/{name}.parquet' order by all").fetchall()
            for folder in (tmp_path / "one", tmp_path / "chunked")
        ]
        assert rows[0] == rows[1], name
    assert one.token_count_rows > 0 and one.keyword_hits > 1
    con.close()
