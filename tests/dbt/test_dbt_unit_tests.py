"""Every dbt ``unit_tests:`` entry of the project, run once.

The daily build leaves unit tests out (they check SQL logic, not the day's data), so this
is where they run: dbt builds every seed and model on an empty bronze layer (the unit tests need
their parents' columns, not their rows), then ``dbt test --select test_type:unit``.
"""

from __future__ import annotations

import json

from salesops.contract import TABLES


def test_every_dbt_unit_test_passes(tmp_path, bronze_writer, dbt_in):
    bronze_writer(tmp_path / "bronze", {})
    (tmp_path / "warehouse").mkdir()
    dbt_in(tmp_path, "build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    done = dbt_in(tmp_path, "test", "--select", "test_type:unit")
    results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text(encoding="utf-8"))
    passed = sorted(
        r["unique_id"] for r in results["results"]
        if r["unique_id"].startswith("unit_test.") and r["status"] == "pass"
    )
    # the run covered every unit test in the manifest, none skipped (the on-run-start hook,
    # macros/spark_sources.sql, is counted in dbt's PASS= too: not read from there)
    manifest = json.loads((tmp_path / "dbt_target" / "manifest.json").read_text(encoding="utf-8"))
    declared = sorted(manifest.get("unit_tests", {}))
    assert passed and passed == declared, done.stdout[-2000:]
    assert len(TABLES) == 21  # the bronze layer above holds every contract table, empty
