"""One call to read keyword signals out of any Chinese/English sales text 文本关键词匹配.

:func:`match_text` is the matcher the chat pipeline uses (dictionary words as jieba words,
traditional → simplified folding, concept rules, negation scope), offered as a plain function
for other free text such as CRM activity notes or deviation reports::

    from ml.chat_signals.match import match_text

    for hit in match_text("客户说还没有预算，报价太高了"):
        hit.keyword, hit.category, hit.negated   # ("预算", "budget", True), ("太贵", "price", False)

The tokenizer (jieba plus the dictionary) is built once per process on first use.
"""

from __future__ import annotations

from functools import lru_cache

from ml.chat_signals.dictionary import load_dictionary
from ml.chat_signals.tokenize import ChatTokenizer, KeywordHit

Hit = KeywordHit
"""A keyword hit: ``keyword`` (canonical dictionary keyword), ``category``, ``negated``."""


@lru_cache(maxsize=1)
def default_tokenizer() -> ChatTokenizer:
    """The process-wide tokenizer over the seed dictionary (built on first call, ~1 s)."""
    return ChatTokenizer(load_dictionary())


def match_text(text: str | None) -> list[Hit]:
    """Distinct keyword hits of one text, in order of first appearance.

    Each hit is ``(keyword, category, negated)``, exactly as in ``signals/keyword_hits``:
    ``keyword`` is the canonical dictionary keyword (``chat_keywords.keyword``),
    ``category`` its category, ``negated`` True when a negator in the same clause flips a
    negatable keyword (没有预算). Empty or missing text gives no hits.
    """
    if not text or not text.strip():
        return []
    return default_tokenizer().keyword_hits(text)
