"""The keyword dictionary, stop words and character variants, read from the dbt seeds (one
source of truth).

Matching happens on normalised text (:meth:`Dictionary.normalise`): full-width forms folded
(NFKC), traditional characters mapped to simplified ones (seed ``chat_character_variants``:
價格 is 价格, 預算 is 预算) and Latin letters case-folded (API is api). Dictionary forms are
normalised the same way, so a keyword written once matches every variant.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from salesops.config import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
KEYWORDS_FILE = SEEDS_DIR / "chat_keywords.csv"
STOPWORDS_FILE = SEEDS_DIR / "chat_stopwords.csv"
VARIANTS_FILE = SEEDS_DIR / "chat_character_variants.csv"

CATEGORIES = (
    "budget",
    "tender",
    "approval",
    "price",
    "competitor",
    "it_fit",
    "requirement",
    "risk",
)
POLARITIES = ("positive", "negative", "neutral")


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
class Dictionary:
    keywords: tuple[Keyword, ...]
    stopwords: frozenset[str]
    variants: Mapping[str, str] = field(default_factory=dict)
    """Traditional → simplified character 繁→简, applied before matching."""

    def normalise(self, text: str) -> str:
        """NFKC, traditional → simplified characters, case-folded Latin letters."""
        return unicodedata.normalize("NFKC", text or "").translate(self._table).casefold()

    @cached_property
    def _table(self) -> dict[int, str]:
        return {ord(traditional): simplified for traditional, simplified in self.variants.items()}

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


def load_dictionary(
    keywords_path: Path = KEYWORDS_FILE,
    stopwords_path: Path = STOPWORDS_FILE,
    variants_path: Path = VARIANTS_FILE,
) -> Dictionary:
    variants = read_character_variants(variants_path)
    plain = Dictionary((), frozenset(), variants)
    dictionary = Dictionary(
        read_keywords(keywords_path),
        frozenset(plain.normalise(w) for w in read_stopwords(stopwords_path)),
        variants,
    )
    dictionary.by_surface_form()
    return dictionary
