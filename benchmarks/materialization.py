"""How each staging and intermediate model is materialized, and what it costs: the measurement
behind the rule in dbt_project.yml.

    python -m benchmarks.materialization <dbt target folder of a build> [more target folders]

Reads a build's ``run_results.json`` and ``manifest.json`` (the daily run keeps them under
``dbt_project/target/salesops_dbt_assets-*``; ``make bench`` keeps its own) and prints, per
model: how many models read it, how many data tests are on it, its materialization and the
seconds it took to build, and the summed seconds by layer and resource type. The rule it
supports: a model read by two or more models is a table, computed once, because as a view
every reader re-runs its upstream chain; a model read by one model is a view, because a table
would only add a write. A model whose readers' time stands out against its own is the sign a
view should become a table. Nothing here is asserted; the rule itself is held against the
graph by tests/dbt/test_materialization.py.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def layer_of(node: dict) -> str:
    parts = Path(node.get("original_file_path", "")).parts
    if len(parts) > 1 and parts[0] == "models":
        return parts[1]
    return parts[0] if parts else "other"


def report(target: Path) -> list[str]:
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    seconds = {r["unique_id"]: r["execution_time"] for r in results["results"]}
    lines = [f"# {target}", f"elapsed {results['elapsed_time']:.1f} s, {len(seconds)} nodes", ""]
    lines.append(f"{'model':<58} {'readers':>7} {'tests':>5} {'kind':<6} {'seconds':>8}")
    rows = []
    for uid, node in nodes.items():
        if node["resource_type"] != "model" or layer_of(node) not in ("staging", "intermediate"):
            continue
        children = manifest["child_map"].get(uid, [])
        readers = sum(c.startswith("model.") for c in children)
        tests = sum(c.startswith("test.") for c in children)
        rows.append((seconds.get(uid, 0.0), node["name"], readers, tests, node["config"]["materialized"]))
    for secs, name, readers, tests, kind in sorted(rows, reverse=True):
        lines.append(f"{name:<58} {readers:>7} {tests:>5} {kind:<6} {secs:>8.2f}")
    by_layer: Counter = Counter()
    count: Counter = Counter()
    for uid, secs in seconds.items():
        node = nodes.get(uid) or {}
        if node.get("resource_type") == "test":
            attached = nodes.get(node.get("attached_node") or "", {})
            key = ("test", layer_of(attached) if attached else "sources / singular")
        else:
            key = (uid.split(".")[0], layer_of(node))
        by_layer[key] += secs
        count[key] += 1
    lines += ["", f"{'type':<6} {'layer':<20} {'nodes':>6} {'seconds (summed)':>17}"]
    for (kind, layer), secs in sorted(by_layer.items()):
        lines.append(f"{kind:<6} {layer:<20} {count[(kind, layer)]:>6} {secs:>17.1f}")
    return lines


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    for target in argv:
        print("\n".join(report(Path(target))), end="\n\n")


if __name__ == "__main__":
    main(sys.argv[1:])
