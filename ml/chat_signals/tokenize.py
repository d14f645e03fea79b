"""Chinese tokenizer for chat: jieba with the dictionary's words, negation-aware keyword hits.

Rules (fixtures in ``tests/ml/test_tokenize.py``):

- Every dictionary form (keyword or synonym) is a jieba user word, so 领导还没批 and 预算已批
  stay one token and a keyword is never read out of a longer dictionary word (预算 inside
  预算已批 is 预算已批, not 预算).
- A token that is not a dictionary form but contains one counts as that keyword: jieba's
  own word 预算内 is a mention of 预算, 兼容性 of 兼容. A shorter word inside a dictionary
  token does not count (算 inside 预算).
- ``negated``: for a keyword marked negatable, a negator (没, 没有, 无, 不, 未, 还没, …)
  right before it inside its token or among the ``NEGATION_WINDOW`` tokens before it in the
  same clause, or a "too little / not yet" word (不够, 不足, 没批, …) among the tokens right
  after it: 没有预算, 没预算, 还没有预算 and 预算不够 are negated, 有预算 is not. Punctuation
  ends the window. Negation of a keyword that is not negatable is ignored (领导还没批 is its
  own approval-pending keyword, never "negated").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import jieba

from ml.chat_signals.dictionary import Dictionary, Keyword

NEGATORS = frozenset(
    [
        "没",
        "没有",
        "无",
        "不",
        "未",
        "还没",
        "还没有",
        "尚未",
        "并未",
        "暂无",
        "毫无",
        "不是",
        "并非",
        "缺少",
        "缺乏",
    ]
)
POST_NEGATORS = frozenset(["不够", "不足", "没批", "未批", "没了", "没有了", "紧张", "不到位"])
NEGATION_WINDOW = 2
"""Tokens looked at before a keyword (and after it, for POST_NEGATORS)."""

_CLAUSE_BREAK = re.compile(r"^[\s,，.。!！?？;；:：、~…()（）\[\]【】\"'“”‘’/|-]+$")
_HAS_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_NUMERIC = re.compile(r"^[\d.,%％+\-:/]+$")

jieba.setLogLevel(logging.WARNING)


@dataclass(frozen=True)
class KeywordHit:
    keyword: str
    category: str
    negated: bool


class ChatTokenizer:
    """One jieba tokenizer carrying the dictionary's words; build it once per process."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self.forms: dict[str, Keyword] = dictionary.by_surface_form()
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for form in sorted(self.forms, key=len):
            self._jieba.add_word(form)
        longest_first = sorted(self.forms, key=lambda f: (-len(f), f))
        self._inner = re.compile("|".join(re.escape(f) for f in longest_first))

    def tokens(self, text: str) -> list[str]:
        return [t for t in self._jieba.lcut(text or "") if t.strip()]

    def keyword_hits(self, text: str, tokens: list[str] | None = None) -> list[KeywordHit]:
        """Distinct (keyword, negated) hits of one message, in order of first appearance."""
        tokens = self.tokens(text) if tokens is None else tokens
        hits: dict[tuple[str, bool], KeywordHit] = {}
        for index, token in enumerate(tokens):
            for keyword, prefix in self._keywords_in_token(token):
                negated = keyword.negatable and (
                    _ends_with_negator(prefix)
                    or (not prefix and _negator_before(tokens, index))
                    or _negator_after(tokens, index)
                )
                hit = KeywordHit(keyword.keyword, keyword.category, negated)
                hits.setdefault((hit.keyword, hit.negated), hit)
        return list(hits.values())

    def content_tokens(self, tokens: list[str]) -> set[str]:
        """Tokens worth counting: no stop words, no 1-character, numeric or punctuation tokens."""
        return {
            t
            for t in tokens
            if len(t) > 1
            and t not in self.dictionary.stopwords
            and _HAS_WORD.search(t)
            and not _NUMERIC.match(t)
        }

    def _keywords_in_token(self, token: str) -> list[tuple[Keyword, str]]:
        exact = self.forms.get(token)
        if exact is not None:
            return [(exact, "")]
        if len(token) < 2:
            return []
        return [(self.forms[m.group()], token[: m.start()]) for m in self._inner.finditer(token)]


def _ends_with_negator(prefix: str) -> bool:
    return any(prefix.endswith(n) for n in NEGATORS) if prefix else False


def _negator_before(tokens: list[str], index: int) -> bool:
    for token in reversed(tokens[max(0, index - NEGATION_WINDOW) : index]):
        if _CLAUSE_BREAK.match(token):
            return False
        if token in NEGATORS:
            return True
    return False


def _negator_after(tokens: list[str], index: int) -> bool:
    for token in tokens[index + 1 : index + 1 + NEGATION_WINDOW]:
        if _CLAUSE_BREAK.match(token):
            return False
        if token in POST_NEGATORS:
            return True
    return False
