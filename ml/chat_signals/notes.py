"""CRM activity notes → ``signals/note_hits.parquet``: the chat matcher read over reps' notes.

Loss attribution reads a rep's notes (a demo node's 演示记录, a call's 电话记录, a 丢单复盘) as
evidence of why a deal was lost. They are matched exactly as chat messages are — the same
jieba tokenizer carrying the seed dictionary (``chat_keywords``: synonyms reported under their
keyword, traditional characters folded, the concept rules) — so a note saying 對接困難 or
接口对不上 counts under its keyword as the chat message would, instead of a raw substring.

One difference, on purpose: in a note *every* keyword is negation-aware. In chat, a keyword
that is not ``negatable`` ignores a negator before it (the dictionary's choice for talk);
a rep's note often records a cause that was ruled out — 客户表示报价不是太贵, 没有选别家,
并非对接不了 — and a loss rule must be able to tell that apart from the cause itself. The
negation scope is the matcher's own (:mod:`ml.chat_signals.tokenize`): negators in the clause
before the keyword, double negation cancelling, "too little / not working" words after it.
The rules (seed ``loss_evidence_rules``) then say per keyword whether a plain or a negated hit
is evidence.

Notes repeat a lot (templates, 电话确认演示时间), so each distinct text is matched once and
the hits are joined back to the activities in DuckDB.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ml.chat_signals.dictionary import Dictionary, load_dictionary
from ml.chat_signals.extract import signals_dir
from ml.chat_signals.tokenize import ChatTokenizer, KeywordHit

NOTE_HITS = "note_hits"

_TEXT_HITS_SCHEMA = pa.schema(
    [
        ("text_id", pa.int64()),
        ("keyword", pa.string()),
        ("category", pa.string()),
        ("negated", pa.bool_()),
    ]
)
NOTE_HITS_COLUMNS = (
    ("activity_id", "varchar"),
    ("opportunity_id", "varchar"),
    ("rep_id", "varchar"),
    ("occurred_at", "timestamp"),
    ("keyword", "varchar"),
    ("category", "varchar"),
    ("negated", "boolean"),
)
"""The file's columns, in order (the dbt source ``signals.note_hits`` declares the same)."""


@dataclass(frozen=True)
class NoteHitsResult:
    activities: int
    notes: int
    distinct_notes: int
    note_hits: int
    seconds: float
    path: Path


def note_dictionary(dictionary: Dictionary) -> Dictionary:
    """The chat dictionary with every keyword negation-aware (see the module docstring)."""
    keywords = tuple(dataclasses.replace(k, negatable=True) for k in dictionary.keywords)
    return dataclasses.replace(dictionary, keywords=keywords)


class NoteMatcher:
    """The chat tokenizer over :func:`note_dictionary`; build it once per process."""

    def __init__(self, dictionary: Dictionary | None = None) -> None:
        self.tokenizer = ChatTokenizer(note_dictionary(dictionary or load_dictionary()))

    def hits(self, note: str | None) -> list[KeywordHit]:
        """Distinct (keyword, negated) hits of one note, in order of first appearance."""
        if not note or not note.strip():
            return []
        return self.tokenizer.keyword_hits(note)

    def hits_table(self, text_ids: Iterable[int], texts: Iterable[str]) -> pa.Table:
        rows = [
            (text_id, hit.keyword, hit.category, hit.negated)
            for text_id, text in zip(text_ids, texts, strict=True)
            for hit in self.hits(text)
        ]
        columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
        return pa.Table.from_arrays(
            [pa.array(c, f.type) for c, f in zip(columns, _TEXT_HITS_SCHEMA, strict=True)],
            schema=_TEXT_HITS_SCHEMA,
        )


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _empty_activities_sql() -> str:
    return (
        "select cast(null as varchar) as activity_id, cast(null as varchar) as opportunity_id, "
        "cast(null as varchar) as rep_id, cast(null as timestamp) as occurred_at, "
        "cast(null as varchar) as note where false"
    )


def extract_note_hits(
    activities_path: Path, out_path: Path, matcher: NoteMatcher | None = None
) -> NoteHitsResult:
    """Match the notes of bronze activities at ``activities_path``; write the hits to
    ``out_path`` (one row per activity × keyword × negated). Without an activities file (a
    source that exports none) the file is written empty, so dbt reads no evidence, not an
    error."""
    started = time.perf_counter()
    matcher = matcher or NoteMatcher()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    source = (
        f"select activity_id, opportunity_id, rep_id, occurred_at, note "
        f"from read_parquet('{_sql_path(activities_path)}')"
        if activities_path.exists()
        else _empty_activities_sql()
    )
    con = duckdb.connect()
    try:
        con.execute(
            f"""
            create table activities as
            select cast(activity_id as varchar) as activity_id,
                nullif(trim(cast(opportunity_id as varchar)), '') as opportunity_id,
                cast(rep_id as varchar) as rep_id,
                cast(occurred_at as timestamp) as occurred_at,
                nullif(trim(cast(note as varchar)), '') as note
            from ({source})
            """
        )
        con.execute(
            "create table texts as select row_number() over (order by note) as text_id, note "
            "from (select distinct note from activities where note is not null)"
        )
        text_ids, texts = (
            con.execute("select text_id, note from texts order by text_id").fetchnumpy().values()
        )
        text_hits = matcher.hits_table([int(i) for i in text_ids], list(texts))
        con.register("text_hits", text_hits)
        con.execute(
            f"""
            copy (
                select a.activity_id, a.opportunity_id, a.rep_id, a.occurred_at,
                    h.keyword, h.category, h.negated
                from activities as a
                join texts as t on t.note = a.note
                join text_hits as h on h.text_id = t.text_id
                order by a.occurred_at, a.activity_id, h.keyword, h.negated
            ) to '{_sql_path(out_path)}' (format parquet)
            """
        )
        n_activities, n_notes = con.execute(
            "select count(*), count(note) from activities"
        ).fetchone()
        (n_hits,) = con.execute(
            f"select count(*) from read_parquet('{_sql_path(out_path)}')"
        ).fetchone()
    finally:
        con.close()
    return NoteHitsResult(
        activities=int(n_activities),
        notes=int(n_notes),
        distinct_notes=len(texts),
        note_hits=int(n_hits),
        seconds=time.perf_counter() - started,
        path=out_path,
    )


def extract_home_note_hits(home: Path) -> NoteHitsResult:
    """:func:`extract_note_hits` on the bronze activities of one ``SALESOPS_HOME``, written
    beside the chat signals (``$SALESOPS_HOME/signals/note_hits.parquet``)."""
    return extract_note_hits(
        home / "bronze" / "activities.parquet", signals_dir(home) / f"{NOTE_HITS}.parquet"
    )
