"""Candidate terms of one message for the emerging-term detector: runs of 1–4 adjacent tokens.

A term new to a team is often in no dictionary, and jieba then cuts it into pieces (a new
product or programme name of three ordinary words). So the counts behind the emerging terms
are not single tokens but token n-grams, read from the data; which n-grams are terms and
which are only pieces of a longer term is decided per team-week in dbt
(``fct_team_emerging_terms_weekly``: cohesion and absorption), where the team's counts are.

Rules (fixtures in ``tests/ml/test_terms.py``):

- One token (n = 1) counts when it could be a term on its own: a content token
  (:meth:`ChatTokenizer.content_tokens`: no stop words, no 1-character, numeric or punctuation
  tokens) that is not ASCII noise (:func:`is_ascii_noise`: an id, a code, a lone letter).
- A run of 2..``MAX_TERM_TOKENS`` tokens counts when it stays inside one clause (punctuation
  ends a clause; a run never crosses it) and both its edge tokens could be a term on their
  own (above). Inside a run any token may stand, so a name cut into single characters in
  its middle (智能|客|服|系统) is still whole; at its edges a stop word, particle or single
  character would only glue chat filler onto the term (我们|新方案, 新方案|吧, 用|新方案).
- A run is spelt by :func:`term_surface`: its tokens concatenated, with one space kept only
  between two Latin/digit tokens (power bi). The spelling does not depend on where jieba cut:
  a term cut AB|C in one message and A|BC in another is one term.
- Each message counts a term once (a set per message), like the one-token counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ml.chat_signals.tokenize import ChatTokenizer

MAX_TERM_TOKENS = 4
"""Longest run counted. Chinese multi-word terms that jieba does not know are mostly two to
four of its words (a qualifier, a domain word, a head such as 平台 / 方案 / 服务); longer runs
are clauses, not terms, and each extra length multiplies the rows counted."""

NGRAM_MIN_WEEKLY_MESSAGES = 2
"""A multi-token run is kept in ``token_counts`` only when some ISO week has at least this
many messages with it (all reps together). A run no week repeats cannot reach the emerging
minimum (``signals_emerging_min_mentions`` ≥ 2) in any team-week, and most runs are one-off
word sequences: this is what keeps n-gram rows in check. Every row of a kept run is kept, so
its baseline weeks stay exact. One-token counts are never dropped this way."""

_CLAUSE_BREAK = re.compile(
    r"^[\s,，.。!！?？;；:：、~～…()（）\[\]【】<>《》\"'“”‘’/|\\\-—_=+*#@&^`]+$"
)
_HAS_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_OR_DIGIT_END = re.compile(r"[a-z0-9]$")
_LATIN_OR_DIGIT_START = re.compile(r"^[a-z0-9]")
_LETTER = re.compile(r"[a-z]")
_DIGIT = re.compile(r"[0-9]")


def is_ascii_noise(token: str) -> bool:
    """A token without Chinese that reads as an id or code rather than a word: fewer than two
    Latin letters (5g, x, 3.5) or more digits than letters (opp00123, 2026q3)."""
    if _HAS_HAN.search(token):
        return False
    letters = len(_LETTER.findall(token))
    return letters < 2 or len(_DIGIT.findall(token)) > letters


def term_surface(tokens: Iterable[str]) -> str:
    """How a run of tokens is spelt as a term: concatenated, with a space between two
    Latin/digit tokens only."""
    surface = ""
    for token in tokens:
        if surface and _LATIN_OR_DIGIT_END.search(surface) and _LATIN_OR_DIGIT_START.match(token):
            surface += " "
        surface += token
    return surface


def _clauses(tokens: list[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if _CLAUSE_BREAK.match(token):
            if clauses[-1]:
                clauses.append([])
        else:
            clauses[-1].append(token)
    return [c for c in clauses if c]


def message_terms(
    tokenizer: ChatTokenizer, tokens: list[str], max_tokens: int = MAX_TERM_TOKENS
) -> dict[str, int]:
    """Candidate terms of one message (its jieba tokens) → the fewest tokens each is made of."""
    words = {t for t in tokenizer.content_tokens(tokens) if not is_ascii_noise(t)}
    terms: dict[str, int] = dict.fromkeys(words, 1)

    def edge(token: str) -> bool:
        return token in words

    for clause in _clauses(tokens):
        for start, first in enumerate(clause):
            if not edge(first):
                continue
            for end in range(start + 1, min(start + max_tokens, len(clause))):
                if edge(clause[end]):
                    n_tokens = end - start + 1
                    surface = term_surface(clause[start : end + 1])
                    if terms.get(surface, n_tokens + 1) > n_tokens:
                        terms[surface] = n_tokens
    return terms
