"""Activity-note signals: the chat matcher's keyword hits in CRM activity notes, read by loss attribution."""

import dagster as dg

from ml.chat_signals.notes import NOTE_HITS, extract_home_note_hits
from orchestration.defs.ingest.assets import bronze_key
from orchestration.defs.metadata import ROW_COUNT
from orchestration.defs.signals.chat import SIGNALS_GROUP, signals_key
from orchestration.resources import SalesopsHome


@dg.asset(
    key=signals_key(NOTE_HITS),
    deps=[bronze_key("activities")],
    group_name=SIGNALS_GROUP,
    kinds={"python", "parquet"},
    description=(
        "Dictionary keyword hits in CRM activity notes 跟进记录关键词命中: one row per activity × "
        "keyword × negated, with the activity's opportunity, rep and time. Same matcher as chat "
        "(jieba + seed chat_keywords); in a note every keyword is negation-aware."
    ),
)
def note_signals(context: dg.AssetExecutionContext, salesops_home: SalesopsHome):
    """Match each distinct activity note once (jieba + the keyword dictionary, negation scope)
    and write $SALESOPS_HOME/signals/note_hits.parquet."""
    result = extract_home_note_hits(salesops_home.paths().home)
    context.log.info(
        f"{result.notes} notes ({result.distinct_notes} distinct) → {result.note_hits} hits "
        f"in {result.seconds:.1f} s"
    )
    return dg.MaterializeResult(
        metadata={
            "activities": result.activities,
            "notes": result.notes,
            "distinct_notes": result.distinct_notes,
            "rows": result.note_hits,
            ROW_COUNT: result.note_hits,
            "seconds": round(result.seconds, 2),
            "path": dg.MetadataValue.path(str(result.path)),
        }
    )
