"""``salesops-dbt``: dbt's own command line, with the project parsed once per change.

dbt parses the whole project (~1,400 nodes, 20–45 s here) before every command, and its
partial parse is thrown away whenever the profile's values change, which they do with every
``SALESOPS_HOME`` (the profile reads it for the warehouse path). Nothing the parse produces
depends on the home: sources resolve their files at run time through DuckDB's
``file_search_path`` (profile ``settings``), and ``--vars`` are applied when a node compiles.
So the parsed manifest is cached under ``dbt_project/target/parsed/<fingerprint>/``, keyed by
the content of every file dbt parses and by the dbt version, and every other command is run
through ``dbtRunner(manifest=...)`` on it: no parse at all when nothing in the project changed,
whatever the home, for the daily run, Dagster, the benchmarks and every test fixture alike.

A new parse also loads the seeds into a scratch warehouse and runs their data tests
(:func:`check_seeds`): they check the rules shipped in ``seeds/``, which change only with the
project, so the builds leave them out and a seed that breaks its rules stops every command.

Usage is dbt's (``salesops-dbt build --project-dir … --profiles-dir …``); exit codes are dbt's
(0 success, 1 a node failed, 2 dbt itself failed). ``salesops-dbt parse`` refreshes the cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from pathlib import Path

from salesops.config import (
    DBT_PROJECT_DIR,
    DEFAULT_DBT_TARGET,
    DEFAULT_DUCKDB_MEMORY,
    DUCKDB_MEMORY_VARIABLE,
    HOME_VARIABLE,
    dbt_target,
    spill_directory,
)
from salesops.failpoints import die_with_parent

PARSED_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
PARSED_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
PASS_THROUGH = {"parse", "debug", "deps", "clean", "init"}
"""Commands that never read a parsed manifest (``parse`` writes one)."""
KEEP = 4
"""Parsed manifests kept (one per project version); older ones are removed."""
PICKLE = "manifest.pickle"
SEED_TESTS = "resource_type:test,path:seeds"
"""The seeds' data tests (dbt selector): they check the product's rules shipped in ``seeds/``
(dictionaries, thresholds), which change only with the project, so they run once per parse
(:func:`check_seeds`) and every build leaves them out (``salesops.dbt_cli.build_args``)."""


class SeedRulesError(RuntimeError):
    """A seed (a product rule shipped in ``dbt_project/seeds/``) breaks one of its tests."""


def fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 of the dbt version, the target (each adapter parses its own macros) and of every
    file dbt parses (path and content)."""
    from dbt.version import __version__

    digest = hashlib.sha256(
        f"dbt {__version__}\0python {sys.version_info[:2]}\0target {dbt_target()}\0".encode()
    )
    files = [project_dir / name for name in PARSED_FILES]
    for folder in PARSED_FOLDERS:
        files += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def parsed_root(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    return project_dir / "target" / "parsed"


def parsed_dir(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """The folder of the current project version's parse (may not exist yet)."""
    return parsed_root(project_dir) / fingerprint(project_dir)


def ensure_parsed(project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """The current parse's folder (``manifest.json`` for Dagster, ``manifest.pickle`` for
    dbtRunner), parsing first when the project changed. Safe across processes (file lock)."""
    from filelock import FileLock

    project_dir = project_dir.resolve()
    target = parsed_dir(project_dir)
    if (target / PICKLE).exists():
        return target
    parsed_root(project_dir).mkdir(parents=True, exist_ok=True)
    with FileLock(str(parsed_root(project_dir) / ".lock")):
        if (target / PICKLE).exists():
            return target
        _parse_into(project_dir, target)
        _prune(parsed_root(project_dir), keep=target)
    return target


def _parse_into(project_dir: Path, target: Path) -> None:
    import subprocess

    scratch = Path(tempfile.mkdtemp(prefix=".parse-", dir=target.parent))
    try:
        # its own process: dbt's global flags and adapter registry stay out of the caller
        done = subprocess.run(
            [
                sys.executable, "-m", "salesops.dbt_exec", "parse", "--quiet",
                "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
                "--target-path", str(scratch),
            ],
            cwd=project_dir,
            # parsed under a scratch home: nothing of any real home can enter the shared parse
            env={**os.environ, "SALESOPS_HOME": str(scratch), "SALESOPS_DBT_PICKLE": str(scratch / PICKLE)},
            capture_output=True, text=True,
        )
        if done.returncode == SEED_CHECK_FAILED:
            raise SeedRulesError(
                f"The rules in {project_dir / 'seeds'} break their tests; fix the seed file the "
                f"failing test names (dbt's output below), then run again. 规则表(seeds)未通过校验\n"
                f"{_failures(done.stdout)}"
            )
        if done.returncode != 0 or not (scratch / PICKLE).exists():
            raise RuntimeError(f"dbt parse failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}")
        shutil.rmtree(scratch / "seed_check", ignore_errors=True)
        shutil.rmtree(scratch / "warehouse", ignore_errors=True)
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


SEED_CHECK_FAILED = 3
"""Exit code of the parse process when the parse is fine but a seed test fails."""


def check_seeds(manifest, project_dir: Path, scratch: Path) -> bool:
    """Load the seeds into a scratch warehouse and run their data tests, on the parse just
    made (so a seed edited into breaking its rules stops every command, before any run)."""
    from dbt.cli.main import dbtRunner

    (scratch / "warehouse").mkdir(parents=True, exist_ok=True)
    result = dbtRunner(manifest=manifest).invoke(
        [
            "build", "--select", "resource_type:seed", SEED_TESTS,
            # only the tests wholly on seeds: a relationships test from a mart to a seed
            # checks the day's data and runs in the builds
            "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test",
            "--no-use-colors",
            "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            "--target-path", str(scratch / "seed_check"), "--log-path", str(scratch / "seed_check"),
        ]
    )
    return result.success


def _failures(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if " FAIL " in line or " ERROR " in line or "Got " in line]
    return "\n".join(lines[-40:]) or stdout[-6000:]


def _prune(root: Path, keep: Path) -> None:
    versions = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in [v for v in versions if v != keep][KEEP - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def _manifest_fields() -> list[str]:
    from dataclasses import fields

    from dbt.contracts.graph.manifest import Manifest

    # the public fields only: the lookups (``_ref_lookup`` …) are rebuilt on first use, and
    # Manifest's own __reduce_ex__ is not used because it passes its fields out of order
    return [f.name for f in fields(Manifest) if f.init and not f.name.startswith("_")]


def dump_manifest(manifest, path: Path) -> None:
    state = {name: getattr(manifest, name) for name in _manifest_fields()}
    with open(path, "wb") as f:
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)


def load_manifest(path: Path):
    from dbt.contracts.graph.manifest import Manifest

    with open(path, "rb") as f:
        state = pickle.load(f)
    manifest = Manifest(**state)
    manifest.build_parent_and_child_maps()
    return manifest


def _copy_manifest_json_instead_of_writing_it(parsed: Path) -> None:
    """After a run dbt serialises the whole manifest into the target folder (~3 s here, more
    than most test builds take); the cached parse already holds that file, so it is copied."""
    import dbt.task.runnable

    def copy(manifest, target_path: str, which: str | None = None) -> None:
        shutil.copyfile(parsed / "manifest.json", Path(target_path) / "manifest.json")

    dbt.task.runnable.write_manifest = copy


def _command(argv: list[str]) -> str | None:
    """dbt's subcommand as dbt's own (click) parser sees it, so a global option's value
    (``--log-level debug build``) is not taken for the command; ``--version`` when one of
    dbt's own version flags (``--version``, ``-V``, ``-v``) comes before any subcommand."""
    from dbt.cli.main import cli

    context = cli.make_context("dbt", list(argv), resilient_parsing=True)
    command = next(iter(context._protected_args), None)
    version_flags = {f for p in cli.params if p.name == "version" for f in (*p.opts, *p.secondary_opts)}
    before_command = argv[: argv.index(command)] if command in argv else argv
    return "--version" if version_flags & set(before_command) else command


def _project_dir(argv: list[str]) -> Path:
    for i, arg in enumerate(argv):
        if arg == "--project-dir" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--project-dir="):
            return Path(arg.split("=", 1)[1])
    return Path(os.environ.get("DBT_PROJECT_DIR") or Path.cwd())


def present_sources(manifest) -> list[str]:
    """``source.table`` of every file source whose file exists under the home: a target that
    reads tables, not files (Spark), registers these (macros/spark_sources.sql)."""
    home = Path(os.environ[HOME_VARIABLE])
    return sorted(
        f"{node.source_name}.{node.name}"
        for node in manifest.sources.values()
        if "external_location" in node.meta
        and (home / node.meta["external_location"].format(name=node.name)).exists()
    )


def main(argv: list[str] | None = None) -> int:
    from dbt.cli.main import dbtRunner

    die_with_parent()  # a run killed with SIGKILL takes its dbt build with it
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command(argv)
    # the profile's DuckDB memory limit: the run's setting, else the product's default
    os.environ.setdefault(DUCKDB_MEMORY_VARIABLE, DEFAULT_DUCKDB_MEMORY)
    if os.environ.get(HOME_VARIABLE):
        spill_directory()  # the profile's temp_directory, made before DuckDB needs it
    if command == "--version":
        # what dbt prints, without its version check on PyPI (no network at run time)
        from importlib.metadata import version

        print(f"Core:\n  - installed: {version('dbt-core')}\n\nPlugins:\n  - duckdb: {version('dbt-duckdb')}")
        return 0
    manifest = None
    if command not in PASS_THROUGH and command is not None:
        parsed = ensure_parsed(_project_dir(argv))
        # incremental models keep their rows only while the project is the same version
        # (int_opportunity_daily_snapshot): the parse's fingerprint names that version
        os.environ["SALESOPS_DBT_FINGERPRINT"] = parsed.name
        manifest = load_manifest(parsed / PICKLE)
        _copy_manifest_json_instead_of_writing_it(parsed)
        if os.environ.get(HOME_VARIABLE):
            os.environ["SALESOPS_PRESENT_SOURCES"] = ",".join(present_sources(manifest))
    result = dbtRunner(manifest=manifest).invoke(argv)
    if command == "parse" and result.success and os.environ.get("SALESOPS_DBT_PICKLE"):
        pickled = Path(os.environ["SALESOPS_DBT_PICKLE"])
        dump_manifest(result.result, pickled)
        # the seeds' rules are the same on every engine: checked on the embedded DuckDB target
        on_duckdb = dbt_target() == DEFAULT_DBT_TARGET
        if on_duckdb and not check_seeds(result.result, _project_dir(argv), pickled.parent):
            return SEED_CHECK_FAILED
    if result.exception is not None:
        print(f"salesops-dbt: {result.exception}", file=sys.stderr)
        return 2
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
