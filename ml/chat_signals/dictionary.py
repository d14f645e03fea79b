"""The keyword dictionary, stop words and character variants, read from the dbt seeds (one
source of truth).

Matching happens on normalised text (:meth:`Dictionary.normalise`): full-width forms folded
(NFKC), traditional characters mapped to simplified ones (seed ``chat_character_variants``:
價格 is 价格, 預算 is 预算), Latin letters case-folded (API is api) and common typing slips
corrected (seed ``chat_typos``: 竟品 is 竞品, 以批 is 已批). Dictionary forms are normalised the
same way, so a keyword written once matches every variant.

Concept rules (seed ``chat_concepts``) compose a keyword from a topic word and a cue word in one
clause (价位 + 偏高 is 太贵), so paraphrases nobody listed still match; see
:mod:`ml.chat_signals.tokenize` for how they are applied.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from salesops.chat_categories import CATEGORIES
from salesops.config import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
KEYWORDS_FILE = SEEDS_DIR / "chat_keywords.csv"
STOPWORDS_FILE = SEEDS_DIR / "chat_stopwords.csv"
VARIANTS_FILE = SEEDS_DIR / "chat_character_variants.csv"
TYPOS_FILE = SEEDS_DIR / "chat_typos.csv"
CONCEPTS_FILE = SEEDS_DIR / "chat_concepts.csv"

POLARITIES = ("positive", "negative", "neutral")
CONCEPT_MODES = ("plain", "affirmed", "negated")
"""How a concept rule treats negation in its clause: ``plain`` reports the keyword (negated when
the keyword is negatable and the clause negates it); ``affirmed`` fires only on a plain
statement (no negation, no question, no hedge such as 要/希望); ``negated`` fires only when
the clause negates the cue (领导 + 没 + 签字 is 领导还没批), reported not negated."""


@dataclass(frozen=True)
class Keyword:
    keyword: str
    """Canonical form; every hit is reported under it."""
    synonyms: tuple[str, ...]
    category: str
    polarity: str
    negatable: bool
    """True when a negator next to it (没有预算, 预算不够) flips its meaning."""
    loss_reason: str | None

    @property
    def surface_forms(self) -> tuple[str, ...]:
        return (self.keyword, *self.synonyms)


@dataclass(frozen=True)
class Concept:
    """A keyword composed from two words in one clause: any ``topics`` word and any ``cues``
    word (费用 + 超了 is 太贵). Words are matched as written after normalisation; a
    one-character topic must be a whole token (价 alone, never inside 评价)."""

    keyword: str
    topics: tuple[str, ...]
    cues: tuple[str, ...]
    mode: str


@dataclass(frozen=True)
class Dictionary:
    keywords: tuple[Keyword, ...]
    stopwords: frozenset[str]
    variants: Mapping[str, str] = field(default_factory=dict)
    """Traditional → simplified character 繁→简, applied before matching."""
    typos: Mapping[str, str] = field(default_factory=dict)
    """Common typing slips → the intended word 错别字 (after the character folding)."""
    concepts: tuple[Concept, ...] = ()
    """Topic + cue composition rules 概念组合规则, applied after the dictionary forms."""

    def normalise(self, text: str) -> str:
        """NFKC, traditional → simplified characters, case-folded Latin letters, typos fixed."""
        folded = unicodedata.normalize("NFKC", text or "").translate(self._table).casefold()
        if self._typo_pattern is None:
            return folded
        return self._typo_pattern.sub(lambda m: self._typo_fixes[m.group()], folded)

    @cached_property
    def _table(self) -> dict[int, str]:
        return {ord(traditional): simplified for traditional, simplified in self.variants.items()}

    @cached_property
    def _typo_fixes(self) -> dict[str, str]:
        folded = lambda word: unicodedata.normalize("NFKC", word).translate(self._table).casefold()  # noqa: E731
        return {folded(typo): folded(fix) for typo, fix in self.typos.items()}

    @cached_property
    def _typo_pattern(self) -> re.Pattern[str] | None:
        if not self.typos:
            return None
        longest_first = sorted(self._typo_fixes, key=lambda typo: (-len(typo), typo))
        return re.compile("|".join(re.escape(typo) for typo in longest_first))

    def by_surface_form(self) -> dict[str, Keyword]:
        """Every normalised written form (keyword or synonym) → its keyword; a form listed under
        two keywords fails (the same form twice under one keyword, e.g. API and api, is one)."""
        forms: dict[str, Keyword] = {}
        for keyword in self.keywords:
            for form in keyword.surface_forms:
                normal = self.normalise(form)
                if normal in forms and forms[normal] is not keyword:
                    raise ValueError(
                        f"{form!r} is listed under both {forms[normal].keyword!r} and {keyword.keyword!r}"
                    )
                forms[normal] = keyword
        return forms


def _flag(text: str, where: str) -> bool:
    value = text.strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"{where}: negatable must be true or false, got {text!r}")
    return value == "true"


def read_keywords(path: Path = KEYWORDS_FILE) -> tuple[Keyword, ...]:
    keywords = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{path.name}:{line}"
            if row["category"] not in CATEGORIES:
                raise ValueError(f"{where}: unknown category {row['category']!r}")
            if row["polarity"] not in POLARITIES:
                raise ValueError(f"{where}: unknown polarity {row['polarity']!r}")
            synonyms = tuple(s.strip() for s in (row["synonyms"] or "").split("|") if s.strip())
            keywords.append(
                Keyword(
                    keyword=row["keyword"].strip(),
                    synonyms=synonyms,
                    category=row["category"],
                    polarity=row["polarity"],
                    negatable=_flag(row["negatable"], where),
                    loss_reason=(row.get("loss_reason") or "").strip() or None,
                )
            )
    return tuple(keywords)


def read_stopwords(path: Path = STOPWORDS_FILE) -> frozenset[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset(
            row["word"].strip() for row in csv.DictReader(handle) if row["word"].strip()
        )


def read_character_variants(path: Path = VARIANTS_FILE) -> dict[str, str]:
    """Traditional → simplified characters; a row that is not one character each way fails."""
    variants: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            traditional, simplified = row["traditional"].strip(), row["simplified"].strip()
            if len(traditional) != 1 or len(simplified) != 1:
                raise ValueError(
                    f"{path.name}:{line}: one character each way, got {traditional!r} → {simplified!r}"
                )
            variants[traditional] = simplified
    return variants


def read_typos(path: Path = TYPOS_FILE) -> dict[str, str]:
    """Typo → intended word; a typo of one character, or one equal to its fix, fails (a single
    character cannot be corrected without its neighbours)."""
    typos: dict[str, str] = {}
    if not path.exists():
        return typos
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            typo, fix = row["typo"].strip(), row["correct"].strip()
            if len(typo) < 2 or not fix or typo == fix:
                raise ValueError(
                    f"{path.name}:{line}: a typo is two or more characters and differs from its "
                    f"fix, got {typo!r} → {fix!r}"
                )
            typos[typo] = fix
    return typos


def read_concepts(path: Path = CONCEPTS_FILE) -> tuple[Concept, ...]:
    concepts = []
    if not path.exists():
        return ()
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            where = f"{path.name}:{line}"
            if row["mode"] not in CONCEPT_MODES:
                raise ValueError(f"{where}: unknown mode {row['mode']!r}")
            topics = tuple(w.strip() for w in row["topics"].split("|") if w.strip())
            cues = tuple(w.strip() for w in row["cues"].split("|") if w.strip())
            if not topics or not cues:
                raise ValueError(f"{where}: a concept needs topic words and cue words")
            concepts.append(Concept(row["keyword"].strip(), topics, cues, row["mode"]))
    return tuple(concepts)


def load_dictionary(
    keywords_path: Path = KEYWORDS_FILE,
    stopwords_path: Path = STOPWORDS_FILE,
    variants_path: Path = VARIANTS_FILE,
    typos_path: Path = TYPOS_FILE,
    concepts_path: Path = CONCEPTS_FILE,
) -> Dictionary:
    variants = read_character_variants(variants_path)
    typos = read_typos(typos_path)
    plain = Dictionary((), frozenset(), variants, typos)
    keywords = read_keywords(keywords_path)
    known = {k.keyword for k in keywords}
    concepts = tuple(
        Concept(
            c.keyword,
            tuple(plain.normalise(w) for w in c.topics),
            tuple(plain.normalise(w) for w in c.cues),
            c.mode,
        )
        for c in read_concepts(concepts_path)
    )
    unknown = sorted({c.keyword for c in concepts} - known)
    if unknown:
        raise ValueError(f"{concepts_path.name}: concepts for unknown keywords {unknown}")
    dictionary = Dictionary(
        keywords,
        frozenset(plain.normalise(w) for w in read_stopwords(stopwords_path)),
        variants,
        typos,
        concepts,
    )
    dictionary.by_surface_form()
    return dictionary
