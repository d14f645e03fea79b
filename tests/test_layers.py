"""Layers import downward only: the base (``salesops/``: landing contract, ingest, dbt
runner, publish) imports nothing above it; the model, quality and dashboard layers never
import the orchestration layer (Dagster and the ``salesops`` command) or the simulator."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ABOVE = {
    "salesops": {"orchestration", "simulator", "ml", "dashboards", "data_quality"},
    "ml": {"orchestration", "simulator", "dashboards"},
    "data_quality": {"orchestration", "simulator", "dashboards"},
    "dashboards": {"orchestration", "simulator"},
}
"""Each layer's folder and the top-level packages it must not import, even inside a function."""


def imported_packages(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def upward_imports(root: Path) -> tuple[int, list[str]]:
    """(files scanned, ``<file>: imports <package>`` for every import of a layer above)."""
    scanned, found = 0, []
    for layer, forbidden in ABOVE.items():
        for path in sorted((root / layer).rglob("*.py")):
            scanned += 1
            for package in sorted(imported_packages(path.read_text(encoding="utf-8")) & forbidden):
                found.append(f"{path.relative_to(root).as_posix()}: imports {package}")
    return scanned, found


def test_layers_import_downward_only():
    scanned, found = upward_imports(REPO)
    assert scanned > 80, scanned
    assert found == []


def test_the_scan_finds_an_upward_import(tmp_path):
    """The scan can fail: a lazy import inside a function counts as much as one at the top."""
    (tmp_path / "salesops" / "briefs").mkdir(parents=True)
    (tmp_path / "salesops" / "briefs" / "rules.py").write_text(
        "import os\nfrom ml.chat_signals.dictionary import CATEGORIES\n", encoding="utf-8"
    )
    (tmp_path / "salesops" / "run.py").write_text(
        "def run():\n    from orchestration.definitions import defs\n", encoding="utf-8"
    )
    (tmp_path / "ml").mkdir()
    (tmp_path / "ml" / "fine.py").write_text(
        "from salesops.config import Paths\n", encoding="utf-8"
    )
    scanned, found = upward_imports(tmp_path)
    assert scanned == 3
    assert found == [
        "salesops/briefs/rules.py: imports ml",
        "salesops/run.py: imports orchestration",
    ]
