"""The data tests of intermediate models, run by the suite instead of the daily gate.

The daily build tests what protects the published marts (their keys, contracts and
invariants, the seeds, the sources) and leaves out the data tests of intermediate models
(``tag:intermediate_logic``, salesops/dbt_cli.py): those check the marts' logic, which does
not change from one day's extract to the next. Here every one of them runs on each planted
world's build warehouse (the hand-made fixtures of tests/dbt run them too: their builds do
not exclude the tag), so the protection moved, it was not dropped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from salesops.config import DBT_PROJECT_DIR
from salesops.dbt_cli import INTERMEDIATE_LOGIC_TAG, build_args, project_args

DBT = Path(sys.executable).with_name("salesops-dbt")


def _manifest() -> dict:
    from salesops.dbt_exec import ensure_parsed

    return json.loads((ensure_parsed() / "manifest.json").read_text(encoding="utf-8"))


def test_every_data_test_of_an_intermediate_model_is_tagged_and_only_those():
    manifest = _manifest()
    nodes = manifest["nodes"]
    tagged, intermediate = set(), set()
    for uid, node in nodes.items():
        if node["resource_type"] != "test":
            continue
        attached = nodes.get(node.get("attached_node") or "", {})
        if attached.get("original_file_path", "").startswith("models/intermediate/"):
            intermediate.add(uid)
        if INTERMEDIATE_LOGIC_TAG in node["tags"]:
            tagged.add(uid)
    assert len(intermediate) > 100
    assert tagged == intermediate


def test_the_daily_build_excludes_exactly_the_tagged_tests():
    args = build_args()
    assert args[args.index("--exclude") + 1] == f"tag:{INTERMEDIATE_LOGIC_TAG}"


@pytest.mark.parametrize("name", ["default", "alt", "field"])
def test_intermediate_data_tests_pass_on_a_planted_world(planted_world, name, tmp_path):
    world = planted_world(name)
    env = {**os.environ, "SALESOPS_HOME": str(world.home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(DBT),
        "test",
        "--select",
        f"tag:{INTERMEDIATE_LOGIC_TAG}",
        *project_args(DBT_PROJECT_DIR, tmp_path / "target"),
        "--log-path",
        str(tmp_path / "logs"),
    ]
    # dbt opens the world's build warehouse for writing: one at a time per world
    with FileLock(str(world.home / "build.duckdb.lock")):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-6000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))
    # the data tests' results (the on-run-start hook, macros/spark_sources.sql, is one too)
    statuses = {r["status"] for r in results["results"] if r["unique_id"].startswith("test.")}
    assert statuses == {"pass"}, statuses
    passed = re.search(r"PASS=(\d+)", done.stdout)
    assert passed and int(passed.group(1)) == len(results["results"]) > 100
