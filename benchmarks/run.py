"""One scale's profile: time and memory of each stage, reported as ratios measured in one run
(the cost curve across scales and runs is :mod:`benchmarks.scaling`, `make bench`).

    make bench-profile                      # demo scale (0.25)
    make bench-profile BENCH_SCALE=1        # SF1 (~30k opportunities, ~1M chat messages)
    make bench-excel                        # only the Excel-vs-CSV ingest (the last section)

The baseline is what DuckDB needs just to read the same landing files (``read_csv`` /
``read_json``, all columns as text, counted); every stage is reported as a multiple of it,
so the figures compare across machines and noisy neighbours. Nothing here asserts a
wall-clock limit: read the numbers. The ``excel_ingest`` section (:mod:`benchmarks.excel_ingest`)
compares ingesting a 100,000-row CRM export as .xlsx and as .csv, against its own floor.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from salesops.config import REPO_ROOT, Paths
from salesops.ingest import ingest_all, plan_landing


def bench_home() -> Path:
    """``BENCH_HOME``, else ``data/bench-<BENCH_SCALE>`` in the repository."""
    scale = float(os.environ.get("BENCH_SCALE", "0.25"))
    return Path(os.environ.get("BENCH_HOME", REPO_ROOT / "data" / f"bench-{scale:g}")).resolve()


def _timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def duckdb_read_baseline(landing: Path) -> tuple[float, int]:
    """Seconds for DuckDB to read every landing file the ingest reads (all text), and the rows read."""
    files = sorted({f.path for planned in plan_landing(landing).files.values() for f in planned})
    con = duckdb.connect()
    rows = 0
    started = time.perf_counter()
    for path in files:
        if path.suffix == ".csv":
            rows += con.execute(f"select count(*) from read_csv('{path}', all_varchar = true, header = true)").fetchone()[0]
        elif path.suffix == ".jsonl":
            rows += con.execute(f"select count(*) from read_json('{path}', format = 'newline_delimited')").fetchone()[0]
    return time.perf_counter() - started, rows


def dbt_build_profile(home: Path, env: dict, read_seconds: float) -> dict:
    """One more ``dbt build`` (the daily one, on the bronze just ingested), timed as a whole
    and per area from dbt's run_results.json: each model folder (marts/targets, …) and its
    data tests, so the cost of each issue's marts is visible."""
    from salesops.config import DBT_PROJECT_DIR
    from salesops.dbt_cli import build_args, dbt_executable, project_args

    target = home / "bench_dbt_target"
    command = [dbt_executable(), *build_args(), *project_args(DBT_PROJECT_DIR, target)]
    command += ["--log-path", str(home / "bench_dbt_logs")]
    seconds, done = _timed(lambda: subprocess.run(command, env=env, capture_output=True, text=True))
    if done.returncode != 0:
        raise SystemExit(f"dbt build failed:\n{done.stdout[-3000:]}")
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    by_area: dict[str, float] = {}
    for result in results["results"]:
        node = nodes.get(result["unique_id"], {})
        if node.get("resource_type") == "test":
            parent = next((n for n in node.get("depends_on", {}).get("nodes", []) if n in nodes), None)
            node = nodes.get(parent, node)
        parts = Path(node.get("original_file_path", "other")).parts
        area = "/".join(parts[1:3]) if len(parts) > 3 else "/".join(parts[1:2]) or "other"
        by_area[area] = by_area.get(area, 0.0) + result["execution_time"]
    return {
        "dbt_build_seconds": round(seconds, 1),
        "dbt_build_vs_duckdb_read": round(seconds / read_seconds, 1),
        "dbt_nodes": len(results["results"]),
        "dbt_seconds_by_area (models + their tests, summed over 2 threads)": {
            k: round(v, 2) for k, v in sorted(by_area.items(), key=lambda kv: -kv[1])
        },
    }


def main() -> None:
    scale = float(os.environ.get("BENCH_SCALE", "0.25"))
    home = bench_home()
    paths = Paths(home).ensure()
    env = {**os.environ, "SALESOPS_HOME": str(home), "DAGSTER_HOME": str(paths.dagster_home)}
    salesops = str(Path(sys.executable).with_name("salesops"))
    report: dict = {"scale": scale, "home": str(home), "cores": os.cpu_count()}

    if not any(paths.landing.rglob("*.csv")):
        seconds = _timed(lambda: subprocess.run(
            [salesops, "generate", "--scale", str(scale), "--seed", "42", "--out", str(paths.landing), "--no-progress"],
            env=env, check=True, capture_output=True,
        ))[0]
        report["generate_seconds"] = round(seconds, 2)

    report["landing_bytes"] = sum(p.stat().st_size for p in paths.landing.rglob("*") if p.is_file())
    read_seconds, rows = duckdb_read_baseline(paths.landing)
    report.update(duckdb_read_seconds=round(read_seconds, 2), landing_rows=rows)

    for generated in ("_parts", "_registry", "_accounts", "_log"):
        shutil.rmtree(paths.bronze / generated, ignore_errors=True)
    ingest_seconds, results = _timed(lambda: ingest_all(paths))
    rows_read = sum(r.rows_read for r in results.values())
    assert rows_read == rows, f"ingest read {rows_read} rows, DuckDB {rows}"
    again_seconds, _ = _timed(lambda: ingest_all(paths))
    report.update(
        ingest_seconds=round(ingest_seconds, 2),
        ingest_rows_per_second=round(rows_read / ingest_seconds),
        ingest_vs_duckdb_read=round(ingest_seconds / read_seconds, 2),
        reingest_unchanged_seconds=round(again_seconds, 2),
    )

    from ml.chat_signals.extract import extract_home_signals

    signals = extract_home_signals(home, workers=min(2, os.cpu_count() or 1))
    report.update(
        signals_seconds=round(signals.seconds, 2),
        signals_messages=signals.messages,
        signals_distinct_texts=signals.distinct_texts,
        signals_messages_per_second=round(signals.messages_per_second),
        signals_distinct_texts_per_second=round(signals.distinct_texts_per_second),
    )
    from ml.chat_signals.notes import extract_home_note_hits

    notes = extract_home_note_hits(home)
    report.update(
        note_hits_seconds=round(notes.seconds, 2),
        note_hits_distinct_notes=notes.distinct_notes,
    )

    started = time.perf_counter()
    # Ingest is already current, so this is the daily run's fixed cost plus dbt and publish.
    done = subprocess.run([salesops, "run"], env=env, capture_output=True, text=True)
    run_seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"salesops run failed:\n{done.stderr[-3000:]}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report.update(
        run_seconds=round(run_seconds, 1),
        run_vs_duckdb_read=round(run_seconds / read_seconds, 1),
        peak_child_rss_mib=round(peak_kib / 1024),
        snapshot_mib=round(paths.snapshot_db.stat().st_size / 2**20, 1),
    )
    report.update(dbt_build_profile(home, env, read_seconds))

    # Last: its stages run in their own processes, which must not count in peak_child_rss_mib.
    from benchmarks import excel_ingest

    excel = excel_ingest.measure(home)
    excel.pop("_stages")
    report["excel_ingest"] = excel
    out = paths.reports / f"bench-scale-{scale:g}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    width = max(map(len, report))
    for key, value in report.items():
        if key != "excel_ingest":
            print(f"{key:<{width}}  {value}")
    print()
    print(excel_ingest.table(excel))
    print(f"→ {out}")


if __name__ == "__main__":
    main()
