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
- Concept rules (seed ``chat_concepts``, :class:`~ml.chat_signals.dictionary.Concept`) then
  compose keywords nobody listed word for word: a topic word and a cue word in one sentence, at
  most ``CONCEPT_GAP`` characters apart (钱 + 批下来 is 预算已批, 老板 + 没 + 签字 is
  领导还没批, 价位 + 偏高 is 太贵). Multi-character words match anywhere in the clause; a
  one-character word must be a whole token, optionally behind degree adverbs or negators
  (高, 太高, 不高; never the 高 of 高端). Negators between the clause start (at most
  ``NEGATION_WINDOW`` tokens before the pair) and the later word count as above, a negator
  inside a listed cue (批不了) does not, and a 不/没 right after the cue (批不下来) does. A
  question (吗, ？, 有没有, 高不高) or a hedge (要, 希望, 如果) is not a statement: modes
  ``affirmed`` and ``negated`` do not fire on it. A concept is not reported when its cue is
  already part of another listed keyword of the same category (老板不同意 is 审批被否, not
  also 领导还没批), or its topic part of one stating an outcome (接口对不上 is 接口不匹配, not also
  兼容). A concept's scope is the sentence: its two words may stand on either side of a comma
  (钱的事,已经批下来了), but a negator before the pair counts only from its own clause.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import jieba

from ml.chat_signals.dictionary import Concept, Dictionary, Keyword

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
        "还未",
        "仍未",
        "暂未",
        "从未",
        "未能",
        "没能",
        "不曾",
        "迟迟没",
        "迟迟未",
        "还不",
        "仍不",
        "还没能",
        "并未",
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
LEADING_NEGATORS = ("不", "没", "未", "无")
"""A short token that opens with one of these is a negated verb jieba kept whole (没找, 不看,
不考虑) and counts as one negator, unless it is a fixed word listed in ``NOT_NEGATIONS``."""
NOT_NEGATIONS = frozenset(
    [
        "不错",
        "不过",
        "不少",
        "不断",
        "不仅",
        "不久",
        "不同",
        "不管",
        "不但",
        "不如",
        "不然",
        "不光",
        "不论",
        "不一定",
        "不好意思",
        "不定期",
        "不锈钢",
        "不得了",
        "不限",
        "没事",
        "没关系",
        "没错",
        "没问题",
        "没准",
        "无论",
        "无所谓",
        "无线",
        "无缝",
        "无人",
        "无纸化",
        "未来",
    ]
)
"""Words that open with 不/没/无/未 but negate nothing (不错, 没问题, 无论, 未来)."""
CLAUSE_TURNS = frozenset(["但是", "但", "不过", "可是", "然而", "只是", "而是", "就是说"])
"""Words that open a new clause: a negator before them does not reach past them."""
NEGATION_WINDOW = 3
"""Tokens looked at before a keyword (and ``POST_WINDOW`` after it, for POST_NEGATORS)."""
POST_WINDOW = 2
CONCEPT_GAP = 10
"""Characters allowed between a concept's topic word and its cue word in one clause."""
HEDGES = frozenset(
    [
        "要",
        "需要",
        "才",
        "才能",
        "准备",
        "打算",
        "计划",
        "争取",
        "希望",
        "估计",
        "可能",
        "预计",
        "如果",
        "要是",
        "假如",
        "一旦",
        "只要",
        "等到",
        "应该",
        "看能不能",
        "尽快",
        "等",
    ]
)
"""Words that make a clause a plan, wish or condition, not a fact (预算要批下来才行)."""
QUESTIONS = re.compile(
    r"[吗么嘛]$|是否|有没有|能不能|会不会|可不可以|是不是|能否|了没|行不行|(.)[不没]\1"
)
DEGREE = frozenset(
    [
        "太",
        "很",
        "偏",
        "挺",
        "较",
        "更",
        "超",
        "蛮",
        "真",
        "好",
        "也",
        "还",
        "都",
        "最",
        "有点",
        "有些",
        "比较",
        "相当",
        "特别",
        "非常",
        "过",
    ]
)
"""Degree adverbs that may stand before a one-character concept word in its token (太高)."""
SINGLE_SUFFIXES = frozenset(["了", "过", "掉", "出", "啦", "的"])

_CLAUSE_BREAK = re.compile(r"^[\s,，.。!！?？;；:：、~…()（）\[\]【】\"'“”‘’/|-]+$")
_SENTENCE_BREAK = re.compile(r"^[\s,，、]*[.。!！?？;；…~]+[\s.。!！?？;；…~,，、]*$")
_COMMA = re.compile(r"[,，、]")
_HAS_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")
_NUMERIC = re.compile(r"^[\d.,%％+\-:/]+$")
_NEGATORS_LONGEST_FIRST = sorted(NEGATORS | DOUBLE_NEGATIONS, key=len, reverse=True)
_LEADS_LONGEST_FIRST = sorted(DEGREE | NEGATORS, key=len, reverse=True)

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
        self._keyword_of = {k.keyword: k for k in dictionary.keywords}
        self._concepts: list[tuple[Concept, _Words, _Words]] = [
            (c, _Words.of(c.topics), _Words.of(c.cues)) for c in dictionary.concepts
        ]

    def tokens(self, text: str) -> list[str]:
        """jieba tokens of the normalised text, blanks dropped."""
        return [t for t in self._jieba.lcut(self.dictionary.normalise(text)) if t.strip()]

    def keyword_hits(self, text: str, tokens: list[str] | None = None) -> list[KeywordHit]:
        """Distinct (keyword, negated) hits of one message, in order of first appearance."""
        tokens = self.tokens(text) if tokens is None else tokens
        hits: dict[tuple[str, bool], KeywordHit] = {}
        direct: dict[int, list[Keyword]] = {}
        for index, token in enumerate(tokens):
            for keyword, prefix in self._keywords_in_token(token):
                direct.setdefault(index, []).append(keyword)
                negated = keyword.negatable and _negator_count(tokens, index, prefix) % 2 == 1
                hit = KeywordHit(keyword.keyword, keyword.category, negated)
                hits.setdefault((hit.keyword, hit.negated), hit)
        for hit in self.concept_hits(tokens, direct):
            hits.setdefault((hit.keyword, hit.negated), hit)
        return list(hits.values())

    def concept_hits(
        self, tokens: list[str], direct: dict[int, list[Keyword]] | None = None
    ) -> list[KeywordHit]:
        """Hits of the concept rules (topic word + cue word in one clause), in clause order.
        ``direct``: token index → the listed keywords found in that token (for the rule that a
        cue already part of another keyword of the same category is not reported again)."""
        if not self._concepts:
            return []
        direct = direct or {}
        hits: list[KeywordHit] = []
        start = 0
        for end in [*(i for i, t in enumerate(tokens) if _ends_sentence(t)), len(tokens)]:
            if end > start:
                terminator = tokens[end] if end < len(tokens) else ""
                hits.extend(self._clause_concepts(tokens, start, end, terminator, direct))
            start = end + 1
        return hits

    def _clause_concepts(
        self,
        tokens: list[str],
        start: int,
        end: int,
        terminator: str,
        direct: dict[int, list[Keyword]],
    ) -> list[KeywordHit]:
        clause = tokens[start:end]
        text = "".join(clause)
        bounds: list[tuple[int, int]] = []
        offset = 0
        for token in clause:
            bounds.append((offset, offset + len(token)))
            offset += len(token)
        question = terminator in ("?", "？") or bool(QUESTIONS.search(text))
        found: list[KeywordHit] = []
        for concept, topic_words, cue_words in self._concepts:
            topics = _word_spans(text, clause, bounds, topic_words)
            if not topics:
                continue
            cues = _word_spans(text, clause, bounds, cue_words)
            # in one clause either order (价格偏高, 偏高的价格); across a comma the topic
            # comes first, and for a claim (affirmed / negated) it opens a short clause the
            # cue comments on (钱的事,已经批下来了); a plain mention needs only the order
            pairs = sorted(
                (max(c[0] - t[1], t[0] - c[1]), t, c)
                for t in topics
                for c in cues
                if (c[0] >= t[1] and (concept.mode == "plain" or _topic_then_comment(text, t, c)))
                or (t[0] >= c[1] and not _COMMA.search(text, c[1], t[0]))
            )
            if not pairs or pairs[0][0] > CONCEPT_GAP:
                continue
            _, topic, cue = pairs[0]
            keyword = self._keyword_of[concept.keyword]
            if self._already_read(keyword, topic, cue, bounds, start, direct):
                continue
            count = _pair_negators(text, clause, bounds, topic, cue)
            hedged = any(clause[i] in HEDGES for i, (b0, _) in enumerate(bounds) if b0 < cue[0])
            if concept.mode == "plain":
                # a cue written negated (用不了, 不通) names the negated form of the keyword
                count += _written_negators(text[cue[0] : cue[1]])
                found.append(
                    KeywordHit(
                        keyword.keyword, keyword.category, keyword.negatable and count % 2 == 1
                    )
                )
            elif concept.mode == "affirmed":
                if count % 2 == 0 and not question and not hedged:
                    found.append(KeywordHit(keyword.keyword, keyword.category, False))
            elif count % 2 == 1 and not question:
                found.append(KeywordHit(keyword.keyword, keyword.category, False))
        return found

    def _already_read(
        self,
        keyword: Keyword,
        topic: tuple[int, int],
        cue: tuple[int, int],
        bounds: list[tuple[int, int]],
        start: int,
        direct: dict[int, list[Keyword]],
    ) -> bool:
        """True when a listed keyword of the same category already reads this pair: its cue
        is part of one (老板不同意 is 审批被否), or its topic is part of one that states an
        outcome (接口对不上 is 接口不匹配, not also 兼容)."""
        for i, (b0, b1) in enumerate(bounds):
            others = [
                other
                for other in direct.get(start + i, [])
                if other.category == keyword.category and other.keyword != keyword.keyword
            ]
            if b0 < cue[1] and cue[0] < b1 and others:
                return True
            if b0 < topic[1] and topic[0] < b1 and any(_verdict(o) for o in others):
                return True
        return False

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


@dataclass(frozen=True)
class _Words:
    """A concept's word list: multi-character words as one pattern, single characters apart."""

    pattern: re.Pattern[str] | None
    singles: frozenset[str]

    @classmethod
    def of(cls, words: tuple[str, ...]) -> _Words:
        multi = sorted({w for w in words if len(w) > 1}, key=lambda w: (-len(w), w))
        return cls(
            re.compile("|".join(re.escape(w) for w in multi)) if multi else None,
            frozenset(w for w in words if len(w) == 1),
        )


def _single_in_token(token: str, char: str) -> int | None:
    """Where ``char`` stands in ``token`` as a word of its own: the whole token, behind degree
    adverbs or negators (太高, 不高), or before an aspect particle (超了); else None."""
    if token == char:
        return 0
    if token[0] == char and token[1:] in SINGLE_SUFFIXES:
        return 0
    if token.endswith(char):
        rest = token[:-1]
        while rest:
            for lead in _LEADS_LONGEST_FIRST:
                if rest.endswith(lead):
                    rest = rest[: -len(lead)]
                    break
            else:
                return None
        return len(token) - 1
    return None


def _word_spans(
    text: str, clause: list[str], bounds: list[tuple[int, int]], words: _Words
) -> list[tuple[int, int]]:
    spans = [m.span() for m in words.pattern.finditer(text)] if words.pattern else []
    if words.singles:
        for token, (b0, _) in zip(clause, bounds, strict=True):
            for char in words.singles:
                if char in token:
                    at = _single_in_token(token, char)
                    if at is not None:
                        spans.append((b0 + at, b0 + at + 1))
    return spans


def _pair_negators(
    text: str,
    clause: list[str],
    bounds: list[tuple[int, int]],
    topic: tuple[int, int],
    cue: tuple[int, int],
) -> int:
    """Negators that bear on a topic + cue pair: in the tokens from ``NEGATION_WINDOW`` before
    the earlier word to the later one, outside both words; plus 不/没 right after the cue
    (批不下来) or else a negated verb in the ``POST_WINDOW`` + 1 tokens after the pair."""
    low, high = min(topic[0], cue[0]), max(topic[1], cue[1])
    first = next(i for i, (b0, b1) in enumerate(bounds) if b1 > low)
    opening = max(0, first - NEGATION_WINDOW)
    # a negator before the pair reaches it only from its own clause (不急,钱已经批了)
    for i in range(first - 1, opening - 1, -1):
        if _ends_clause(clause[i]):
            opening = i + 1
            break
    count = 0
    for i in range(opening, len(clause)):
        b0, b1 = bounds[i]
        if b0 >= high:
            break
        token = clause[i]
        inside = [s for s in (topic, cue) if s[0] < b1 and b0 < s[1]]
        if not inside:
            count += _token_negators(token)
            continue
        # the part of the token in front of the word (没 of 没批下来) may hold negators
        word = min(inside)
        if b0 < word[0]:
            count += _strip_negators(text[b0 : word[0]])[0]
    if text[cue[1] : cue[1] + 1] in ("不", "没"):
        return count + 1
    # topic first, comment after (别家的方案我们没看): a negated verb just after the pair
    after = [clause[i] for i, (b0, _) in enumerate(bounds) if b0 >= high][: POST_WINDOW + 1]
    return count + sum(_token_negators(token) for token in after)


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


def _token_negators(token: str) -> int:
    """How many negators a whole token stands for: a listed negator (double negations twice),
    or a short negated verb (没找, 不看); fixed words such as 不错 / 没问题 none."""
    if token in DOUBLE_NEGATIONS:
        return 2
    if token in NEGATORS:
        return 1
    if (
        2 <= len(token) <= 3
        and token.startswith(LEADING_NEGATORS)
        and token not in NOT_NEGATIONS
        and _HAS_HAN.fullmatch(token[-1])
    ):
        return 1
    return 0


def _written_negators(word: str) -> int:
    """Negating characters written inside a word (用不了: 1); none in fixed words (无缝)."""
    if any(fixed in word for fixed in NOT_NEGATIONS):
        return 0
    return sum(1 for char in word if char in LEADING_NEGATORS)


TOPIC_TAIL = 3
"""Characters a topic-only clause may have after its topic word (钱的事, 预算这块, 经费嘛)."""


def _topic_then_comment(text: str, topic: tuple[int, int], cue: tuple[int, int]) -> bool:
    """Topic before cue: in one clause always; across commas only when the topic's clause
    ends within ``TOPIC_TAIL`` characters (钱的事,已经批下来了; not 钱的事下周说,流程走完了)."""
    comma = _COMMA.search(text, topic[1], cue[0])
    return comma is None or comma.start() - topic[1] <= TOPIC_TAIL


def _verdict(keyword: Keyword) -> bool:
    """A keyword that states an outcome (接口不匹配, 选了别家), not a topic (竞争对手, IT系统)."""
    return keyword.polarity != "neutral" and not keyword.negatable


def _ends_sentence(token: str) -> bool:
    """A full stop, question or exclamation mark, semicolon or turn (但是) — not a comma: a
    concept's topic and cue may stand on either side of one (钱的事,已经批下来了)."""
    return bool(_SENTENCE_BREAK.match(token)) or token in CLAUSE_TURNS


def _ends_clause(token: str) -> bool:
    return bool(_CLAUSE_BREAK.match(token)) or token in CLAUSE_TURNS


def _negator_count(tokens: list[str], index: int, prefix: str) -> int:
    count, rest = _strip_negators(prefix)
    if not rest:
        for token in reversed(tokens[max(0, index - NEGATION_WINDOW) : index]):
            if _ends_clause(token):
                break
            count += _token_negators(token)
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
