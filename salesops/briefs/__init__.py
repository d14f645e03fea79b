"""Daily communication brief 沟通洞察简报 (SPEC §5 "Chat signals"), per rep and per manager.

The brief for date D is read at the morning meeting 晨会 of D and covers the conversations
of D−1. It is built from the published snapshot only (read-only), in steps that are plain
functions, testable without Dagster:

- :mod:`~salesops.briefs.load` — the one place that reads the snapshot (marts and the
  seeds ``briefs_*`` that hold the rules' weights, terms and settings);
- :mod:`~salesops.briefs.rules` — the risk rules, ranking and roll-ups on loaded rows;
- :mod:`~salesops.briefs.render` — Markdown and phone-friendly HTML, one language per file;
- :mod:`~salesops.briefs.write` — the folder ``$SALESOPS_HOME/briefs/<D>/``, swapped in
  with a rename so nobody reads half a folder;
- :mod:`~salesops.briefs.files` — the folder layout only (what the dashboards import).

This package's public names are imported lazily, so ``salesops.briefs.files`` stays free of
the database driver.
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from salesops.briefs.model import Brief

_EXPORTS = {
    "briefs_dir": "files",
    "brief_dates": "files",
    "brief_file": "files",
    "INDEX_JSON": "files",
    "LANGUAGES": "files",
    "BriefInputError": "load",
    "default_brief_date": "load",
    "load_brief_inputs": "load",
    "compose_briefs": "rules",
    "render_markdown": "render",
    "render_html": "render",
    "write_briefs": "write",
    "WrittenBriefs": "write",
    "Brief": "model",
    "BriefInputs": "model",
    "BriefRules": "model",
    "CategoryCount": "model",
    "ManagerBrief": "model",
    "Opportunity": "model",
    "OpportunityNote": "model",
    "RepBrief": "model",
    "Risk": "model",
    "Signal": "model",
    "SopCard": "model",
    "TeamKeywords": "model",
}

__all__ = ["build_briefs", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


def build_briefs(snapshot: Path, brief_date: dt.date) -> list[Brief]:
    """Every rep's and every manager's brief for the morning of ``brief_date``."""
    from salesops.briefs.load import load_brief_inputs
    from salesops.briefs.rules import compose_briefs

    conversation_date = brief_date - dt.timedelta(days=1)
    return compose_briefs(load_brief_inputs(snapshot, conversation_date), brief_date)
