"""The keyword dictionary and stop words, read from the dbt seeds (one source of truth)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from salesops.config import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
KEYWORDS_FILE = SEEDS_DIR / "chat_keywords.csv"
STOPWORDS_FILE = SEEDS_DIR / "chat_stopwords.csv"

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

    def by_surface_form(self) -> dict[str, Keyword]:
        """Every written form (keyword or synonym) → its keyword; a form listed twice fails."""
        forms: dict[str, Keyword] = {}
        for keyword in self.keywords:
            for form in keyword.surface_forms:
                if form in forms:
                    raise ValueError(
                        f"{form!r} is listed under both {forms[form].keyword!r} and {keyword.keyword!r}"
                    )
                forms[form] = keyword
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


def load_dictionary(
    keywords_path: Path = KEYWORDS_FILE, stopwords_path: Path = STOPWORDS_FILE
) -> Dictionary:
    dictionary = Dictionary(read_keywords(keywords_path), read_stopwords(stopwords_path))
    dictionary.by_surface_form()
    return dictionary
