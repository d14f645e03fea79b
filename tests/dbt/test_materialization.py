"""The materialization rule of dbt_project.yml, held against the project's graph.

A staging or intermediate model read by two or more models is computed once, as a table (or
incremental); one read by a single model is a view, inlined into its reader. A new model or a
new reader that breaks the rule fails here with the line to change in dbt_project.yml. The
cost side of the rule is measured, not asserted: ``python -m benchmarks.materialization``.
"""

from __future__ import annotations

import json


def _manifest() -> dict:
    from salesops.dbt_exec import ensure_parsed

    return json.loads((ensure_parsed() / "manifest.json").read_text(encoding="utf-8"))


def test_shared_models_are_tables_and_single_reader_models_are_views():
    manifest = _manifest()
    wrong = []
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["original_file_path"].startswith("models/marts/"):
            continue
        readers = [c for c in manifest["child_map"].get(uid, []) if c.startswith("model.")]
        materialized = node["config"]["materialized"]
        expected = {"table", "incremental"} if len(readers) >= 2 else {"view", "ephemeral"}
        if materialized not in expected:
            wrong.append(f"{node['name']}: {len(readers)} readers, {materialized}")
    assert not wrong, "dbt_project.yml materialization rule broken:\n" + "\n".join(wrong)


def test_marts_are_tables_with_enforced_contracts():
    manifest = _manifest()
    marts = [n for n in manifest["nodes"].values() if n["original_file_path"].startswith("models/marts/")]
    marts = [n for n in marts if n["resource_type"] == "model"]
    assert len(marts) > 50
    for node in marts:
        assert node["config"]["materialized"] in {"table", "incremental"}, node["name"]
        assert node["config"]["contract"]["enforced"], node["name"]
