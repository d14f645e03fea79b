"""Analysts see definitions where they query (issue 11, point 7).

Every published table carries its description as a DuckDB comment, so ``duckdb_tables()`` /
``duckdb_columns()`` answer "what does this column mean" without the dbt docs site: the marts
and the seeds (the rules the marts come from) from their yml (dbt ``persist_docs``, then
publish's file copy), and publish's own ``main.publish_info`` / ``main.ingest_summary`` from
the descriptions written beside their columns. Checked on a planted world, published by the
real daily job: every table, built the way a user's warehouse is.
"""

from __future__ import annotations

import duckdb
import pytest

PUBLISHED_SCHEMAS = ("marts", "seeds", "main")


@pytest.fixture(scope="module")
def catalog(planted_world) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(planted_world("default").snapshot), read_only=True)
    try:
        placeholders = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
        return {
            "relations": con.execute(
                "select schema_name, table_name, comment from duckdb_tables() "
                f"where not internal and schema_name in ({placeholders}) "
                "union all select schema_name, view_name, comment from duckdb_views() "
                f"where not internal and schema_name in ({placeholders})",
                [*PUBLISHED_SCHEMAS, *PUBLISHED_SCHEMAS],
            ).fetchall(),
            "columns": con.execute(
                "select schema_name, table_name, column_name, comment from duckdb_columns() "
                f"where not internal and schema_name in ({placeholders})",
                list(PUBLISHED_SCHEMAS),
            ).fetchall(),
        }
    finally:
        con.close()


def _blank(comment: str | None) -> bool:
    return comment is None or not comment.strip()


def test_every_published_mart_carries_its_description(catalog):
    relations = catalog["relations"]
    assert {s for s, _t, _c in relations} == set(PUBLISHED_SCHEMAS), relations
    offenders = sorted(f"{s}.{t}" for s, t, comment in relations if _blank(comment))
    assert not offenders, f"{len(offenders)} published marts without a comment: {offenders}"


def test_every_published_column_carries_its_description(catalog):
    columns = catalog["columns"]
    assert len(columns) > 0
    offenders = sorted(f"{s}.{t}.{c}" for s, t, c, comment in columns if _blank(comment))
    assert not offenders, f"{len(offenders)} published columns without a comment: {offenders}"


def test_comments_are_the_yml_definitions(catalog):
    """The comment is the model's description, not a placeholder: the org unit dimension
    says what its grain is, in both languages, as its yml does."""
    comments = {t: comment for s, t, comment in catalog["relations"]}
    assert "One row per org unit" in comments["dim_org_units"]
    assert "组织单元" in comments["dim_org_units"]


def test_publish_tables_carry_their_descriptions(catalog):
    """The two tables publish writes itself (not dbt models) are described too."""
    comments = {(s, t): comment for s, t, comment in catalog["relations"]}
    assert "数据去向" in comments[("main", "ingest_summary")]
    assert "as of" in comments[("main", "publish_info")]
