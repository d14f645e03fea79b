"""Activity notes read by the chat matcher (ml/chat_signals/notes.py): hand notes, asserted exactly."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.chat_signals.notes import NOTE_HITS_COLUMNS, NoteMatcher, extract_note_hits


@pytest.fixture(scope="module")
def matcher() -> NoteMatcher:
    return NoteMatcher()


def _hits(matcher: NoteMatcher, note: str) -> set[tuple[str, bool]]:
    return {(hit.keyword, hit.negated) for hit in matcher.hits(note)}


def test_a_stated_cause_is_a_plain_hit_under_its_keyword(matcher):
    # 对接困难 is a synonym of 对接不了; 报价 of 价格
    assert ("对接不了", False) in _hits(matcher, "客户反馈与现有系统对接困难")
    assert ("太贵", False) in _hits(matcher, "客户反馈报价太贵")


def test_traditional_characters_match_the_simplified_keyword(matcher):
    assert ("对接不了", False) in _hits(matcher, "客戶反映與現有系統對接困難")


def test_every_keyword_is_negation_aware_in_a_note(matcher):
    # 太贵 and 选了别家 ignore a negator in chat (not negatable there); a rep's note that
    # rules the cause out must not read as the cause
    assert ("太贵", True) in _hits(matcher, "客户表示报价不是太贵,主要担心交付周期")
    assert ("太贵", False) not in _hits(matcher, "客户表示报价不是太贵,主要担心交付周期")
    assert ("对接不了", True) in _hits(matcher, "确认并非对接不了")


def test_empty_notes_have_no_hits(matcher):
    assert matcher.hits(None) == []
    assert matcher.hits("  ") == []


def test_note_hits_file_is_keyed_by_activity(tmp_path, matcher):
    bronze = tmp_path / "activities.parquet"
    pq.write_table(
        pa.table(
            {
                "activity_id": ["A1", "A2", "A3", "A4"],
                "opportunity_id": ["O1", "O2", "O1", ""],
                "rep_id": ["r1", "r1", "r2", "r2"],
                "occurred_at": [datetime(2026, 3, d, 9) for d in (1, 2, 3, 4)],
                "note": ["客户反馈报价太贵", "客户反馈报价太贵", "电话确认演示时间", None],
            }
        ),
        bronze,
    )
    out = tmp_path / "signals" / "note_hits.parquet"
    result = extract_note_hits(bronze, out, matcher)
    rows = duckdb.sql(
        f"select activity_id, opportunity_id, keyword, negated from read_parquet('{out}') "
        "order by activity_id, keyword"
    ).fetchall()
    # the same text (A1, A2) is matched once and joined back to both activities
    assert rows == [
        ("A1", "O1", "价格", False),
        ("A1", "O1", "太贵", False),
        ("A2", "O2", "价格", False),
        ("A2", "O2", "太贵", False),
    ]
    assert (result.activities, result.notes, result.distinct_notes, result.note_hits) == (
        4,
        3,
        2,
        4,
    )
    assert [c for c, _ in NOTE_HITS_COLUMNS] == pq.read_schema(out).names


def test_without_an_activities_file_the_hits_file_is_empty(tmp_path, matcher):
    out = tmp_path / "note_hits.parquet"
    result = extract_note_hits(tmp_path / "absent.parquet", out, matcher)
    assert result.note_hits == 0
    assert pq.read_table(out).num_rows == 0
    assert [c for c, _ in NOTE_HITS_COLUMNS] == pq.read_schema(out).names


def test_asset_writes_note_hits_beside_the_chat_signals(tmp_path):
    import dagster as dg

    from orchestration.defs.signals.chat import signals_key
    from orchestration.defs.signals.notes import note_signals
    from orchestration.resources import SalesopsHome

    (tmp_path / "bronze").mkdir()
    pq.write_table(
        pa.table(
            {
                "activity_id": ["A1"],
                "opportunity_id": ["O1"],
                "rep_id": ["r1"],
                "occurred_at": [datetime(2026, 3, 1, 9)],
                "note": ["演示時客戶指出與現有系統對接困難"],
            }
        ),
        tmp_path / "bronze" / "activities.parquet",
    )
    result = dg.materialize(
        [note_signals], resources={"salesops_home": SalesopsHome(home=str(tmp_path))}
    )
    assert result.success
    rows = duckdb.sql(
        f"select activity_id, keyword, negated from "
        f"read_parquet('{tmp_path}/signals/note_hits.parquet') order by keyword"
    ).fetchall()
    assert rows == [("A1", "IT系统", False), ("A1", "对接不了", False)]
    (materialization,) = result.asset_materializations_for_node("signals__note_hits")
    assert materialization.asset_key == signals_key("note_hits")
    assert materialization.metadata["rows"].value == 2
