"""Write a morning's briefs as one folder, swapped in whole with a rename."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from salesops.briefs.files import INDEX_HTML, INDEX_JSON, KINDS, LANGUAGES, brief_file
from salesops.briefs.model import Brief, ManagerBrief, RepBrief
from salesops.briefs.render import index_html, render_html, render_markdown


@dataclass(frozen=True)
class WrittenBriefs:
    folder: Path
    index: Path
    reps: int
    managers: int


def _files(brief: Brief) -> dict[str, str]:
    """language → the brief's Markdown file inside the date folder."""
    return {language: brief_file(brief.kind, brief.subject_id, language) for language in LANGUAGES}


def _index(day: dt.date, briefs: Sequence[Brief]) -> dict:
    index: dict = {"brief_date": day.isoformat(), "reps": [], "managers": []}
    for brief in briefs:
        if isinstance(brief, RepBrief):
            index["reps"].append(
                {
                    "rep_id": brief.rep_id,
                    "name": brief.name,
                    "team_id": brief.team_id,
                    "files": _files(brief),
                    "risks": len(brief.risks),
                }
            )
        else:
            assert isinstance(brief, ManagerBrief)
            index["managers"].append(
                {
                    "unit_id": brief.unit_id,
                    "name_path": brief.name_path,
                    "rep_ids": list(brief.rep_ids),
                    "files": _files(brief),
                    "risks": brief.risk_opportunities,
                }
            )
    if briefs:
        index["as_of"] = briefs[0].as_of.isoformat() if briefs[0].as_of else None
        index["stale"] = briefs[0].is_stale
    return index


def write_briefs(
    briefs: Sequence[Brief], folder: Path, brief_date: dt.date | None = None
) -> WrittenBriefs:
    """Write ``<folder>/<D>/{rep,manager}/<id>.<zh|en>.md|.html``, ``index.html`` and
    ``index.json``.

    Built in a hidden temporary folder beside the target, then renamed into place: a reader
    sees the previous complete folder or the new complete one, never half of one (a rerun
    moves the old folder aside first; between the two renames the date is briefly absent).
    """
    dates = {brief.brief_date for brief in briefs} | ({brief_date} if brief_date else set())
    if len(dates) != 1:
        raise ValueError(
            f"write_briefs needs the briefs of one date, got {sorted(dates) or 'none'}"
        )
    (day,) = dates
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / day.isoformat()
    token = uuid.uuid4().hex
    staging = folder / f".{day.isoformat()}.{token}.tmp"
    try:
        for kind in KINDS:
            (staging / kind).mkdir(parents=True)
        for brief in briefs:
            for language in LANGUAGES:
                (staging / brief_file(brief.kind, brief.subject_id, language)).write_text(
                    render_markdown(brief, language), encoding="utf-8"
                )
                (staging / brief_file(brief.kind, brief.subject_id, language, ".html")).write_text(
                    render_html(brief, language), encoding="utf-8"
                )
        (staging / INDEX_JSON).write_text(
            json.dumps(_index(day, briefs), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        (staging / INDEX_HTML).write_text(index_html(day, briefs), encoding="utf-8")
        retired = folder / f".{day.isoformat()}.{token}.old"
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WrittenBriefs(
        target,
        target / INDEX_HTML,
        sum(isinstance(b, RepBrief) for b in briefs),
        sum(isinstance(b, ManagerBrief) for b in briefs),
    )
