"""Chat signals: keyword hits and weekly token counts from bronze chat, read by the signal marts."""

import os

import dagster as dg

from ml.chat_signals.extract import KEYWORD_HITS, SIGNAL_TABLES, TOKEN_COUNTS, extract_home_signals
from orchestration.defs.ingest.assets import bronze_key
from orchestration.defs.metadata import ROW_COUNT
from orchestration.resources import SalesopsHome
from salesops.memory import give_back

SIGNALS_GROUP = "signals"
SIGNALS_PREFIX = "signals"
"""Asset key prefix; the dbt source ``signals`` points its tables at these keys."""

_DESCRIPTIONS = {
    KEYWORD_HITS: (
        "Dictionary keyword hits in chat 关键词命中: one row per message × keyword × negated, with the "
        "message's conversation, opportunity, rep, sender and time. Dictionary: dbt seed chat_keywords."
    ),
    TOKEN_COUNTS: (
        "Weekly term counts 词频: one row per rep × ISO week (Monday) × token, the number of messages "
        "containing it. A token is a run of 1-4 jieba tokens in one clause (n_tokens), with no stop "
        "word (seed chat_stopwords), 1-character, numeric or id-like token at its edges; a run of 2+ "
        "only when some week has it in two messages or more."
    ),
}


def signals_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([SIGNALS_PREFIX, table])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            signals_key(table),
            deps=[bronze_key("chat_messages")],
            group_name=SIGNALS_GROUP,
            kinds={"python", "parquet"},
            description=_DESCRIPTIONS[table],
        )
        for table in SIGNAL_TABLES
    ],
)
def chat_signals(context: dg.AssetExecutionContext, salesops_home: SalesopsHome):
    """Tokenise bronze chat once per distinct text (jieba + the keyword dictionary) and write
    $SALESOPS_HOME/signals/{keyword_hits,token_counts}.parquet."""
    # The run's peak memory is here: the tokenising workers start beside this process, which
    # still holds what the contract checks left in GX's reference cycles (3.3 GiB at SF10 when
    # this step started; 6.2 GiB with the workers). One full collection first (about 0.5 s).
    give_back(everything=True)
    workers = max(1, min(2, os.cpu_count() or 1))
    result = extract_home_signals(salesops_home.paths().home, workers=workers)
    give_back()
    context.log.info(
        f"{result.messages} messages ({result.distinct_texts} distinct texts) in "
        f"{result.seconds:.1f} s: {result.messages_per_second:,.0f} messages/s"
    )
    common = {
        "messages": result.messages,
        "distinct_texts": result.distinct_texts,
        "seconds": round(result.seconds, 2),
        "messages_per_second": round(result.messages_per_second),
    }
    yield dg.MaterializeResult(
        asset_key=signals_key(KEYWORD_HITS),
        metadata={
            **common,
            "rows": result.keyword_hits,
            ROW_COUNT: result.keyword_hits,
            "path": dg.MetadataValue.path(str(result.keyword_hits_path)),
        },
    )
    yield dg.MaterializeResult(
        asset_key=signals_key(TOKEN_COUNTS),
        metadata={
            **common,
            "rows": result.token_count_rows,
            ROW_COUNT: result.token_count_rows,
            "path": dg.MetadataValue.path(str(result.token_counts_path)),
        },
    )
