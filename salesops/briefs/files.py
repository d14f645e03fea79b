"""Where the briefs sit: ``$SALESOPS_HOME/briefs/<D>/{rep,manager}/<id>.<language>.md|.html``.

The folder layout only — no database, no rules — so the dashboards can list and read the
briefs by importing this module alone.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from salesops.config import Paths

INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
KINDS = ("rep", "manager")
LANGUAGES = ("zh", "en")
"""One file per language (Chinese first: the default language)."""
_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def briefs_dir(paths: Paths) -> Path:
    """``$SALESOPS_HOME/briefs``: one folder per brief date."""
    return paths.home / "briefs"


def file_stem(identifier: str) -> str:
    """A file name for an id: ids are opaque text, so anything but [A-Za-z0-9_-] is
    percent-encoded (``t/1`` → ``t%2F1``), which also rules out ``..``."""
    stem = "".join(
        char if char.isascii() and (char.isalnum() or char in "-_") else f"%{ord(char):02X}"
        for char in identifier
    )
    return stem or "%00"


def brief_file(kind: str, subject_id: str, language: str, suffix: str = ".md") -> str:
    """Where a brief sits inside its date folder: ``rep/<id>.zh.md``, ``manager/<id>.en.html``."""
    if kind not in KINDS:
        raise ValueError(f"unknown brief kind {kind!r}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown brief language {language!r}")
    return f"{kind}/{file_stem(subject_id)}.{language}{suffix}"


def brief_dates(folder: Path) -> list[dt.date]:
    """Dates with a complete brief folder (it has its index), newest first."""
    if not folder.is_dir():
        return []
    return sorted(
        (
            dt.date.fromisoformat(child.name)
            for child in folder.iterdir()
            if _DATE_FOLDER.match(child.name) and (child / INDEX_JSON).is_file()
        ),
        reverse=True,
    )


def read_brief(
    day_folder: Path, kind: str, subject_id: str, language: str, suffix: str = ".md"
) -> str | None:
    """One brief's text in one language, or None when the folder has no such file."""
    try:
        return (day_folder / brief_file(kind, subject_id, language, suffix)).read_text(
            encoding="utf-8"
        )
    except FileNotFoundError:
        return None
