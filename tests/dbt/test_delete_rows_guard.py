"""macros/delete_rows.sql refuses a delete condition with ``not in (select …)`` on every engine:
Spark runs it as a nested loop inside the rewrite of the kept rows (80.8 s for one mart of a
0.03 re-run), so a DuckDB build (this suite) must stop a new caller that writes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from salesops.config import DBT_PROJECT_DIR
from salesops.dbt_cli import project_args

DBT = Path(sys.executable).with_name("salesops-dbt")


def _delete(tmp_path: Path, condition: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SALESOPS_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("SALESOPS_DBT_TARGET", None)
    args = f'{{"relation": "main.kept", "condition": "{condition}"}}'
    return subprocess.run(
        [str(DBT), "run-operation", "delete_rows", "--args", args,
         *project_args(DBT_PROJECT_DIR, tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600,
    )


def test_not_in_a_subquery_is_refused_with_the_form_to_write(tmp_path):
    done = _delete(tmp_path, "day NOT  IN ( SELECT day from main.corrected)")
    assert done.returncode != 0
    assert "write `x not in (select ...)` as `not coalesce(x in (select ...), false)`" in done.stdout


def test_the_form_it_asks_for_reaches_the_database(tmp_path):
    # not refused: DuckDB runs the delete and fails on the missing table, not the macro
    done = _delete(tmp_path, "not coalesce(day in (select day from main.corrected), false)")
    assert done.returncode != 0
    assert "not coalesce(x in" not in done.stdout
    assert "kept" in done.stdout and "does not exist" in done.stdout
