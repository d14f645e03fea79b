"""README.md's table of which marts need which landing tables, rendered from the lineage.

The rule is written once, in dbt: ``macros/availability.sql`` walks dbt's own lineage at run
time, and ``marts.fct_mart_availability`` carries each mart's ``required_tables`` and
``optional_tables``. This module only renders those rows of a built warehouse as Markdown and
splices them into ``dbt_project/README.md`` between markers, so the README cannot drift from
the models without a test noticing (``tests/dbt/test_partial_source.py`` compares the committed
README with a fresh full build). Regenerate after adding a mart or changing what one reads::

    make run        # or any dbt build of the project into $SALESOPS_HOME
    python -m salesops.mart_requirements [path/to/build.duckdb]

The rows do not depend on the data (lineage only), so any full build will do.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from salesops.config import DBT_PROJECT_DIR, Paths
from salesops.ingest.derived import DERIVED_TABLES

README = DBT_PROJECT_DIR / "README.md"
TABLE_MARKERS = ("<!-- mart-requirements:start -->", "<!-- mart-requirements:end -->")
ALONE_MARKERS = ("<!-- opportunities-only:start -->", "<!-- opportunities-only:end -->")
ALONE_TABLES = frozenset({"opportunities", *DERIVED_TABLES})
"""A current-state opportunities export alone, with the stage history the ingest derives from
it (:mod:`salesops.ingest.derived`): the marts requiring nothing else."""


@dataclass(frozen=True)
class MartRequirement:
    mart_name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def works_from_opportunities_alone(self) -> bool:
        return set(self.required) <= ALONE_TABLES


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t for t in (text or "").split(", ") if t)


def read_requirements(warehouse: Path) -> list[MartRequirement]:
    """Every mart's required and optional landing tables, from a built warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select mart_name, required_tables, optional_tables "
            "from marts.fct_mart_availability order by mart_name"
        ).fetchall()
    return [MartRequirement(name, _split(req), _split(opt)) for name, req, opt in rows]


def _tables(tables: tuple[str, ...]) -> str:
    return ", ".join(f"`{t}`" for t in tables) if tables else "—"


def render_table(requirements: list[MartRequirement]) -> str:
    lines = [
        "| mart | requires (built empty without any of them) | optional (degrades without) "
        "| opportunities export alone |",
        "|---|---|---|---|",
    ]
    for mart in requirements:
        alone = "✓" if mart.works_from_opportunities_alone else ""
        lines.append(
            f"| `{mart.mart_name}` | {_tables(mart.required)} | {_tables(mart.optional)} | {alone} |"
        )
    return "\n".join(lines)


def render_opportunities_only(requirements: list[MartRequirement]) -> str:
    names = [m.mart_name for m in requirements if m.works_from_opportunities_alone]
    return ", ".join(f"`{name}`" for name in names) + "."


def splice(text: str, markers: tuple[str, str], body: str) -> str:
    """``text`` with everything between the two markers replaced by ``body``."""
    start, end = markers
    head, found_start, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found_start or not found_end:
        raise ValueError(f"README lacks the markers {start} … {end}")
    return f"{head}{start}\n{body}\n{end}{tail}"


def render_readme(requirements: list[MartRequirement], text: str) -> str:
    text = splice(text, TABLE_MARKERS, render_table(requirements))
    return splice(text, ALONE_MARKERS, render_opportunities_only(requirements))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    warehouse = Path(args[0]) if args else Paths.from_env().build_db
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: build the project first (make run)", file=sys.stderr)
        return 1
    text = README.read_text(encoding="utf-8")
    README.write_text(render_readme(read_requirements(warehouse), text), encoding="utf-8")
    print(f"{README}: mart requirements rendered from {warehouse}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
