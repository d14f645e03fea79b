"""Bronze chat → ``signals/keyword_hits.parquet`` and ``signals/token_counts.parquet``.

Chat text repeats a lot (templates, 好的/收到), so each distinct text is tokenised once
and the results are joined back to the messages in DuckDB. Distinct texts are tokenised in
chunks, optionally over several processes (``workers``): jieba's own ``enable_parallel``
splits one text by lines and is POSIX-only, which does not help with many short messages.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ml.chat_signals.dictionary import Dictionary, load_dictionary
from ml.chat_signals.terms import NGRAM_MIN_WEEKLY_MESSAGES, message_terms
from ml.chat_signals.tokenize import ChatTokenizer
from salesops import duck

KEYWORD_HITS = "keyword_hits"
TOKEN_COUNTS = "token_counts"
SIGNAL_TABLES = (KEYWORD_HITS, TOKEN_COUNTS)
CHUNK_SIZE = 20_000

_HITS_SCHEMA = pa.schema(
    [
        ("text_id", pa.int64()),
        ("keyword", pa.string()),
        ("category", pa.string()),
        ("negated", pa.bool_()),
    ]
)
_TOKENS_SCHEMA = pa.schema(
    [("text_id", pa.int64()), ("token", pa.string()), ("n_tokens", pa.int32())]
)


@dataclass(frozen=True)
class SignalsResult:
    messages: int
    distinct_texts: int
    keyword_hits: int
    token_count_rows: int
    seconds: float
    tokenise_seconds: float
    keyword_hits_path: Path
    token_counts_path: Path

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else float("inf")

    @property
    def distinct_texts_per_second(self) -> float:
        return (
            self.distinct_texts / self.tokenise_seconds if self.tokenise_seconds else float("inf")
        )


_worker_tokenizer: ChatTokenizer | None = None


def _init_worker(dictionary: Dictionary) -> None:
    global _worker_tokenizer
    _worker_tokenizer = ChatTokenizer(dictionary)


def _tokenise_chunk(chunk: tuple[Sequence[int], Sequence[str]]) -> tuple[pa.Table, pa.Table]:
    assert _worker_tokenizer is not None
    return _as_tables(*tokenise_texts(_worker_tokenizer, *chunk))


def _as_tables(hits: list, tokens: list) -> tuple[pa.Table, pa.Table]:
    """One chunk's hits and terms as Arrow tables: a chunk's Python tuples are dropped as soon
    as it is tokenised, so memory holds columns, not millions of tuples."""
    hit_columns = list(zip(*hits, strict=True)) if hits else [[], [], [], []]
    token_columns = list(zip(*tokens, strict=True)) if tokens else [[], [], []]
    return (
        pa.Table.from_arrays(
            [pa.array(c, t.type) for c, t in zip(hit_columns, _HITS_SCHEMA, strict=True)],
            schema=_HITS_SCHEMA,
        ),
        pa.Table.from_arrays(
            [pa.array(c, t.type) for c, t in zip(token_columns, _TOKENS_SCHEMA, strict=True)],
            schema=_TOKENS_SCHEMA,
        ),
    )


def tokenise_texts(
    tokenizer: ChatTokenizer, text_ids: Sequence[int], texts: Sequence[str]
) -> tuple[list[tuple[int, str, str, bool]], list[tuple[int, str, int]]]:
    """Keyword hits and candidate terms (runs of 1–4 tokens, :mod:`ml.chat_signals.terms`)
    of each text, keyed by its id."""
    hits: list[tuple[int, str, str, bool]] = []
    tokens: list[tuple[int, str, int]] = []
    for text_id, text in zip(text_ids, texts, strict=True):
        words = tokenizer.tokens(text)
        hits.extend(
            (text_id, h.keyword, h.category, h.negated) for h in tokenizer.keyword_hits(text, words)
        )
        tokens.extend((text_id, t, n) for t, n in message_terms(tokenizer, words).items())
    return hits, tokens


def _batches(reader) -> Iterator[tuple[list[int], list[str]]]:
    """(ids, texts) batches from a DuckDB Arrow reader of (text_id, text)."""
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        yield batch.column(0).to_pylist(), batch.column(1).to_pylist()


def _tokenise_all(
    chunks: Iterator[tuple[list[int], list[str]]],
    dictionary: Dictionary,
    workers: int,
) -> tuple[pa.Table, pa.Table]:
    """Tokenise chunk after chunk, in ``workers`` processes when more than one chunk comes,
    with at most two chunks per worker in flight (the texts are read as they are tokenised,
    not all first)."""
    results: list[tuple[pa.Table, pa.Table]] = []
    first, second = next(chunks, None), next(chunks, None)
    rest = itertools.chain((c for c in (first, second) if c is not None), chunks)
    if workers > 1 and second is not None:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(dictionary,)) as pool:
            pending: deque = deque()
            for chunk in rest:
                if len(pending) >= 2 * workers:
                    results.append(pending.popleft().result())
                pending.append(pool.submit(_tokenise_chunk, chunk))
            results.extend(future.result() for future in pending)
    else:
        tokenizer = ChatTokenizer(dictionary)
        results.extend(_as_tables(*tokenise_texts(tokenizer, *chunk)) for chunk in rest)
    if not results:
        return _as_tables([], [])
    return pa.concat_tables([h for h, _ in results]), pa.concat_tables([t for _, t in results])


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def extract_signals(
    chat_path: Path,
    out_dir: Path,
    dictionary: Dictionary | None = None,
    workers: int = 1,
    chunk_size: int = CHUNK_SIZE,
) -> SignalsResult:
    """Read bronze chat at ``chat_path``, write both signal files under ``out_dir``."""
    started = time.perf_counter()
    dictionary = dictionary or load_dictionary()
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duck.own_database()
    try:
        con.execute(
            f"""
            create table messages as
            select message_id, conversation_id, nullif(trim(opportunity_id), '') as opportunity_id,
                rep_id, sender, cast(sent_at as timestamp) as sent_at, coalesce(text, '') as text
            from read_parquet('{_sql_path(chat_path)}')
            """
        )
        con.execute(
            "create table texts as select row_number() over (order by text) as text_id, text "
            "from (select distinct text from messages)"
        )
        (distinct_texts,) = con.execute("select count(*) from texts").fetchall()[0]
        tokenise_started = time.perf_counter()
        reader = con.sql("select text_id, text from texts order by text_id").to_arrow_reader(chunk_size)
        text_hits, text_tokens = _tokenise_all(_batches(reader), dictionary, workers)
        tokenise_seconds = time.perf_counter() - tokenise_started
        con.register("text_hits", text_hits)
        con.register("text_tokens", text_tokens)
        con.execute(
            "create table message_texts as select messages.*, texts.text_id "
            "from messages join texts on texts.text = messages.text"
        )
        hits_path = out_dir / f"{KEYWORD_HITS}.parquet"
        tokens_path = out_dir / f"{TOKEN_COUNTS}.parquet"
        con.execute(
            f"""
            copy (
                select m.message_id, m.conversation_id, m.opportunity_id, m.rep_id, m.sender,
                    m.sent_at, h.keyword, h.category, h.negated
                from message_texts as m
                join text_hits as h on h.text_id = m.text_id
                order by m.sent_at, m.message_id, h.keyword, h.negated
            ) to '{_sql_path(hits_path)}' (format parquet)
            """
        )
        con.execute(
            f"""
            copy (
                with counts as (
                    select m.rep_id, cast(date_trunc('week', m.sent_at) as date) as week_start,
                        t.token, min(t.n_tokens) as n_tokens, count(*) as messages
                    from message_texts as m
                    join text_tokens as t on t.text_id = m.text_id
                    group by all
                ),
                kept_terms as (
                    select token
                    from (
                        select token, week_start, min(n_tokens) as n_tokens,
                            sum(messages) as week_messages
                        from counts
                        group by token, week_start
                    )
                    group by token
                    having min(n_tokens) = 1
                        or max(week_messages) >= {int(NGRAM_MIN_WEEKLY_MESSAGES)}
                )
                select counts.rep_id, counts.week_start, counts.token, counts.n_tokens,
                    counts.messages
                from counts
                where counts.token in (select token from kept_terms)
                order by week_start, rep_id, token
            ) to '{_sql_path(tokens_path)}' (format parquet)
            """
        )
        (n_messages,) = con.execute("select count(*) from messages").fetchone()
        (n_hits,) = con.execute(
            f"select count(*) from read_parquet('{_sql_path(hits_path)}')"
        ).fetchone()
        (n_tokens,) = con.execute(
            f"select count(*) from read_parquet('{_sql_path(tokens_path)}')"
        ).fetchone()
    finally:
        con.close()
    return SignalsResult(
        messages=int(n_messages),
        distinct_texts=int(distinct_texts),
        keyword_hits=int(n_hits),
        token_count_rows=int(n_tokens),
        seconds=time.perf_counter() - started,
        tokenise_seconds=tokenise_seconds,
        keyword_hits_path=hits_path,
        token_counts_path=tokens_path,
    )


SIGNALS_DIR_NAME = "signals"
"""Signal files live in ``$SALESOPS_HOME/signals/``, beside ``bronze/``."""


def signals_dir(home: Path) -> Path:
    return home / SIGNALS_DIR_NAME


def extract_home_signals(home: Path, workers: int = 1) -> SignalsResult:
    """:func:`extract_signals` on the bronze chat of one ``SALESOPS_HOME``."""
    return extract_signals(
        home / "bronze" / "chat_messages.parquet", signals_dir(home), workers=workers
    )
