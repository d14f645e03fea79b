"""Chinese tokenizer for chat: jieba with the dictionary's words, negation-aware keyword hits.

Rules (fixtures in ``tests/ml/test_tokenize.py``):

- Text is normalised first (:meth:`Dictionary.normalise`: full-width folded, traditional
  characters simplified, Latin case-folded), so 預算 and 预算, API and api are one word.
- Every dictionary form (keyword or synonym) is a jieba user word, so 领导还没批 and 预算已批
  stay one token and a keyword is never read out of a longer dictionary word (预算 inside
  预算已批 is 预算已批, not 预算).
- A token that is not a dictionary form but contains a Chinese one counts as that keyword:
  jieba's own word 预算内 is a mention of 预算, 兼容性 of 兼容. A shorter word inside a
  dictionary token does not count (算 inside 预算); a Latin form (api, app) counts only as a
  whole token, never inside an English word.
- ``negated`` (only for a keyword marked negatable): the negators in its scope are counted and
  an odd count negates. The scope is the rest of its own token before it (没预算) and, when
  nothing else stands there, up to ``NEGATION_WINDOW`` tokens before it in the same clause;
  punctuation or a turn such as 但是 / 不过 ends the clause. 没有预算, 还没有预算 and 无预算 are
  negated; 不是没有预算 and 不是不兼容 (two negators) are not; 有没有预算 is a question, not a
  negation. A "too little / not working" word right after it (预算不够, 兼容有问题, 预算还没批)
  counts as one more negator. Negation of a keyword that is not negatable is ignored
  (领导还没批 is its own approval-pending keyword, never "negated").
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
        "非",
        "别",
        "还没",
        "还没有",
        "也没",
        "也没有",
        "都没",
        "都没有",
        "并没有",
        "根本没",
        "根本没有",
        "完全没有",
        "从来没有",
        "一直没",
        "尚未",
        "并未",
        "暂无",
        "毫无",
        "不是",
        "并非",
        "并不",
        "也不",
        "都不",
        "根本不",
        "不会",
        "不能",
        "无法",
        "没法",
        "不用",
        "不需要",
        "不要",
        "缺少",
        "缺乏",
    ]
)
DOUBLE_NEGATIONS = frozenset(
    ["不是不", "不是没", "不是没有", "并非没有", "并非不", "没有不", "不会不", "不得不", "无不"]
)
"""One token holding two negators: it cancels itself (不是没有预算 = there is a budget)."""
POST_NEGATORS = frozenset(
    [
        "不够",
        "不足",
        "没批",
        "未批",
        "没了",
        "没有了",
        "紧张",
        "不到位",
        "没到位",
        "不行",
        "不了",
        "不上",
        "有问题",
    ]
)
CLAUSE_TURNS = frozenset(["但是", "但", "不过", "可是", "然而", "只是", "而是", "就是说"])
"""Words that open a new clause: a negator before them does not reach past them."""
NEGATION_WINDOW = 3
"""Tokens looked at before a keyword (and ``POST_WINDOW`` after it, for POST_NEGATORS)."""
POST_WINDOW = 2

_CLAUSE_BREAK = re.compile(r"^[\s,，.。!！?？;；:：、~…()（）\[\]【】\"'“”‘’/|-]+$")
_HAS_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")
_NUMERIC = re.compile(r"^[\d.,%％+\-:/]+$")
_NEGATORS_LONGEST_FIRST = sorted(NEGATORS | DOUBLE_NEGATIONS, key=len, reverse=True)

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
        # a Latin form as a jieba word would cut English words apart (app|le): Latin forms
        # match whole tokens only
        for form in sorted((f for f in self.forms if _HAS_HAN.search(f)), key=len):
            self._jieba.add_word(form)
        inner = sorted((f for f in self.forms if _HAS_HAN.search(f)), key=lambda f: (-len(f), f))
        self._inner = re.compile("|".join(re.escape(f) for f in inner))

    def tokens(self, text: str) -> list[str]:
        """jieba tokens of the normalised text, blanks dropped."""
        return [t for t in self._jieba.lcut(self.dictionary.normalise(text)) if t.strip()]

    def keyword_hits(self, text: str, tokens: list[str] | None = None) -> list[KeywordHit]:
        """Distinct (keyword, negated) hits of one message, in order of first appearance."""
        tokens = self.tokens(text) if tokens is None else tokens
        hits: dict[tuple[str, bool], KeywordHit] = {}
        for index, token in enumerate(tokens):
            for keyword, prefix in self._keywords_in_token(token):
                negated = keyword.negatable and _negator_count(tokens, index, prefix) % 2 == 1
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
        if len(token) < 2 or not _HAS_HAN.search(token):
            return []
        return [(self.forms[m.group()], token[: m.start()]) for m in self._inner.finditer(token)]


def _strip_negators(prefix: str) -> tuple[int, str]:
    """Negators at the end of ``prefix`` (counted, double negations twice) and what is left."""
    count = 0
    while prefix:
        for negator in _NEGATORS_LONGEST_FIRST:
            if prefix.endswith(negator):
                count += 2 if negator in DOUBLE_NEGATIONS else 1
                prefix = prefix[: -len(negator)]
                break
        else:
            break
    return count, prefix


def _ends_clause(token: str) -> bool:
    return bool(_CLAUSE_BREAK.match(token)) or token in CLAUSE_TURNS


def _negator_count(tokens: list[str], index: int, prefix: str) -> int:
    count, rest = _strip_negators(prefix)
    if not rest:
        for token in reversed(tokens[max(0, index - NEGATION_WINDOW) : index]):
            if _ends_clause(token):
                break
            if token in DOUBLE_NEGATIONS:
                count += 2
            elif token in NEGATORS:
                count += 1
    following: list[str] = []
    for token in tokens[index + 1 : index + 1 + POST_WINDOW + 1]:
        if _ends_clause(token):
            break
        following.append(token)
    # 不够 / 有问题 may start right after the keyword or after one adverb (预算还没批), and
    # jieba may cut it in two (有|问题)
    if any(
        "".join(following[start:]).startswith(post)
        for start in range(min(POST_WINDOW, len(following)))
        for post in POST_NEGATORS
    ):
        count += 1
    return count
