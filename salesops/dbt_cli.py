"""dbt command lines, built by pure functions (unit-tested), and the manifest guard."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from salesops.config import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def build_args(as_of: str | None = None, select: str | None = None) -> list[str]:
    """Arguments for the daily ``dbt build``: the as_of var only when given (else the project's
    fallback). dbt unit tests check SQL logic, not data, so the daily build leaves them out
    (as dbt's docs advise for production); the test suite runs every one of them
    (tests/dbt/test_dbt_unit_tests.py)."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    # a subset run (`salesops run --select`) must not run a test whose other parent is not
    # built (a relationships test to a mart outside the subset); a full build runs them all
    args += ["--indirect-selection", "cautious"]
    if as_of:
        args += ["--vars", json.dumps({"as_of": as_of})]
    if select:
        args += ["--select", select]
    return args


def project_args(project_dir: Path = DBT_PROJECT_DIR, target_path: Path | None = None) -> list[str]:
    args = ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if target_path is not None:
        args += ["--target-path", str(target_path)]
    return args


def parse(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """Write ``target/manifest.json`` (needed before the Dagster definitions load)."""
    cmd = [dbt_executable(), "parse", "--quiet", *project_args(project_dir)]
    done = subprocess.run(
        cmd, cwd=project_dir, env=os.environ.copy(), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    return project_dir / "target" / "manifest.json"


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when the manifest is missing or older than any file dbt parses."""
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [
        project_dir / "dbt_project.yml",
        *(
            p
            for folder in ("models", "macros", "seeds", "tests", "snapshots")
            for p in (project_dir / folder).rglob("*")
            if p.is_file()
        ),
    ]
    return any(p.stat().st_mtime > built for p in sources if p.exists())


def ensure_manifest() -> Path:
    """The manifest Dagster loads the dbt assets from, parsed again whenever the project changed."""
    return parse() if manifest_is_stale() else MANIFEST
