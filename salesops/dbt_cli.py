"""dbt command lines, built by pure functions (unit-tested), and the manifest guard."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

from salesops.config import DBT_PROJECT_DIR
from salesops.dbt_exec import SEED_TESTS, ensure_parsed, parsed_dir

INTERMEDIATE_LOGIC_TAG = "intermediate_logic"
"""dbt_project.yml tags every data test of an intermediate model with it."""


def dbt_executable() -> str:
    """``salesops-dbt`` (:mod:`salesops.dbt_exec`): dbt's command line on the cached parse."""
    beside_python = Path(sys.executable).with_name("salesops-dbt")
    return (
        str(beside_python)
        if beside_python.exists()
        else (shutil.which("salesops-dbt") or "salesops-dbt")
    )


def build_args(as_of: str | None = None, select: str | None = None) -> list[str]:
    """Arguments for the daily ``dbt build``: the as_of var only when given (else the project's
    fallback). dbt unit tests check SQL logic, not data, so the daily build leaves them out
    (as dbt's docs advise for production); the test suite runs every one of them
    (tests/dbt/test_dbt_unit_tests.py)."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    # The daily gate tests what protects the published marts (their keys, contracts and
    # invariants, the sources); the data tests of intermediate models check
    # the marts' logic, which the test suite runs on the planted worlds
    # (tests/dbt/test_intermediate_logic.py) instead of re-running it every day.
    args += ["--exclude", f"tag:{INTERMEDIATE_LOGIC_TAG}"]
    # the seeds' tests check rules shipped with the project, not the day's data: they ran when
    # this version of the project was parsed (salesops.dbt_exec.check_seeds)
    args += ["--exclude", SEED_TESTS]
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


DBT_BUILDS_KEPT = 10
"""The daily job's dbt folders kept in the home: five days of runs, two builds each. A build's
debug log alone is ~10 MB for a small world, so they are not kept as long as the run logs."""


def build_folder(folder: Path, step: str, run_id: str, now: dt.datetime | None = None) -> Path:
    """Where one dbt build of the daily job writes dbt's own log (``dbt.log``, debug level: every
    statement dbt sent) and its artifacts (``run_results.json``, the compiled SQL):
    ``<home>/logs/dbt/<UTC time>-<run id>-<step>``, so names sort by time and carry the run log's
    id. Not under the dbt project, which is the installation's, read by every home."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{stamp}-{run_id[:8]}-{step}"


def prune_build_folders(folder: Path, keep: int = DBT_BUILDS_KEPT) -> list[Path]:
    """Remove all but the ``keep`` newest build folders (:func:`build_folder`); returns them."""
    builds = sorted(p for p in folder.glob("*") if p.is_dir()) if folder.is_dir() else []
    removed = builds[: max(0, len(builds) - keep)]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def next_build_folder(
    folder: Path, step: str, run_id: str, project_dir: Path = DBT_PROJECT_DIR
) -> Path:
    """The folder for a new build of ``step`` (:func:`build_folder`), the older ones pruned to
    leave :data:`DBT_BUILDS_KEPT` with it; the folders earlier versions left for that step under
    the project (dagster-dbt's default, ``target/<step>-<run id>-<random>``) are removed."""
    prune_build_folders(folder, keep=DBT_BUILDS_KEPT - 1)
    for left in (project_dir / "target").glob(f"{step}-*"):
        shutil.rmtree(left, ignore_errors=True)
    return build_folder(folder, step, run_id)


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """The parsed project's ``manifest.json`` (Dagster loads the dbt assets from it), parsed
    again only when a file of the project changed (:func:`salesops.dbt_exec.ensure_parsed`)."""
    return ensure_parsed(project_dir) / "manifest.json"


class ManifestMissingError(RuntimeError):
    """The dbt project's current version has not been parsed yet."""


def parsed_manifest(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """The current parse's ``manifest.json``, never parsing: loading the Dagster definitions
    must not start dbt. ``salesops run``/``serve``/``dev`` parse first (:func:`ensure_manifest`),
    as does ``python -m salesops.dbt_cli``."""
    manifest = parsed_dir(project_dir.resolve()) / "manifest.json"
    if not manifest.exists():
        raise ManifestMissingError(
            f"{manifest}: this version of the dbt project has not been parsed yet; run "
            f"`python -m salesops.dbt_cli` (or `salesops run`/`serve`, which parse first), then "
            f"load the definitions again. dbt 项目尚未解析，请先运行 python -m salesops.dbt_cli"
        )
    return manifest


if __name__ == "__main__":
    print(ensure_manifest())
