"""The Spark side of the portability test, in one process so Spark's JVM starts once (about
20 s) for both builds: dbt-spark's ``session`` method reuses the running Spark session (and
with SALESOPS_SPARK_CATALOG=in-memory, the tables the first build registered).

    python tests/spark/spark_leg.py SPARK_HOME DUCKDB_HOME [YESTERDAY_LANDING]

1. yesterday (when YESTERDAY_LANDING is given): ingest yesterday's landing and its chat
   signals into SPARK_HOME, build the incremental marts (and what they read) on Spark,
   without data tests;
2. today: the inputs of today's DuckDB run (DUCKDB_HOME's bronze, signals and model outputs:
   the same landing, ingested there) replace yesterday's, as a new day's ingest would; the
   daily build of the whole project (every model and seed, the daily data tests) on Spark,
   incremental models on yesterday's tables (or from nothing); the export into DuckDB and the
   publish.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

INCREMENTAL_MARTS = "+fct_opportunity_daily_snapshot +fct_opportunity_signals_daily +fct_rep_signals_daily"


def main(home: Path, duckdb_home: Path, yesterday: Path | None) -> int:
    os.environ |= {"SALESOPS_HOME": str(home), "SALESOPS_DBT_TARGET": "spark"}
    from ml.chat_signals.extract import extract_home_signals
    from salesops import dbt_exec
    from salesops.config import DBT_PROJECT_DIR, Paths
    from salesops.dbt_cli import build_args, project_args
    from salesops.dbt_exec import ensure_parsed
    from salesops.ingest import ingest_all
    from salesops.publish import publish_snapshot
    from salesops.spark_export import export_spark_build

    paths = Paths(home, yesterday).ensure()
    dbt = [*project_args(DBT_PROJECT_DIR, home / "dbt_target"), "--log-path", str(home / "dbt_logs")]
    if yesterday:
        ingest_all(paths)
        extract_home_signals(home)
        # yesterday's tables only: the data tests run in today's build
        if dbt_exec.main([*build_args(select=INCREMENTAL_MARTS), "--exclude-resource-type", "test", *dbt]) != 0:
            return 1
    for folder in ("bronze", "signals", "ml"):
        shutil.rmtree(home / folder, ignore_errors=True)
        shutil.copytree(duckdb_home / folder, home / folder)
    if dbt_exec.main([*build_args(), *dbt]) != 0:
        return 1
    tables = export_spark_build(paths, ensure_parsed() / "manifest.json")
    print(f"exported {len(tables)} tables")
    publish_snapshot(paths, "spark-portability")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None))
