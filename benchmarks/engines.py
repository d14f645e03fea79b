"""The dbt build on each engine, DuckDB and Apache Spark: ``make bench-engines SCALES="1 10"``.

Per scale, the simulated world (seed 42, the same as ``make bench``) is generated once into
``data/bench-<scale>/full`` and run once through the daily job on DuckDB in
``data/bench-<scale>/engines/base``: that gives the bronze layer, the chat signals and the
forecasting models' outputs, the inputs of the dbt project. Then, for each engine, a fresh home
whose ``bronze/``, ``signals/`` and ``ml/`` link to the base's, and one full ``dbt build`` of
the whole project from nothing (every model, seed and data test, as the daily run's builds;
`salesops-dbt build`), timed with the peak memory of its process tree (Spark runs inside the
dbt process: its JVM is in the tree). On Spark the copy of its tables into the DuckDB
warehouse the readers use (salesops/spark_export.py) is timed after it.

Reported, for one run of both engines: seconds, Spark ÷ DuckDB, the scan floor (DuckDB
reading every landing file once) and each build ÷ that floor, peak RSS. Results:
``benchmarks/results/<date>-<short sha>-engines.{json,md}``, rewritten after each build.
Nothing here asserts a wall-clock limit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.measure import TreeSampler
from benchmarks.scaling import (
    RESULTS,
    SEED,
    environment,
    generate_full,
    parse_scales,
    run_env,
    salesops_executable,
    scale_key,
    scan_floor,
    shown,
)
from salesops.config import DBT_PROJECT_DIR, REPO_ROOT, Paths
from salesops.dbt_cli import build_args, project_args

ENGINES = {"duckdb": "dev", "spark": "spark"}
"""Engine → dbt target (dbt_project/profiles.yml)."""
INPUTS = ("bronze", "signals", "ml")
"""What the dbt project reads from a home."""


def base_home(folder: Path, full: Path) -> Path:
    """The home whose inputs every engine's build reads: one daily run on DuckDB (cached)."""
    home = folder / "engines" / "base"
    stamp = home / ".done"
    if stamp.exists() and stamp.read_text() == (full.parent / "full.done").read_text():
        return home
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    done = subprocess.run(
        [salesops_executable(), "run", "--landing", str(full)],
        env=run_env(home), capture_output=True, text=True, cwd=REPO_ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"the base run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    stamp.write_text((full.parent / "full.done").read_text())
    return home


def engine_home(folder: Path, base: Path, engine: str) -> Path:
    home = folder / "engines" / engine
    shutil.rmtree(home, ignore_errors=True)
    (home / "warehouse").mkdir(parents=True)
    for name in INPUTS:
        (home / name).symlink_to(base / name, target_is_directory=True)
    return home


def measure_build(home: Path, engine: str, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    env = run_env(home) | {"SALESOPS_DBT_TARGET": ENGINES[engine], "SPARK_LOCAL_IP": "127.0.0.1"}
    command = [
        str(Path(sys.executable).with_name("salesops-dbt")), *build_args(),
        *project_args(DBT_PROJECT_DIR, home / "dbt_target"), "--log-path", str(home / "dbt_logs"),
    ]
    # parse first (once per engine and project version), outside the measured build
    subprocess.run(
        [sys.executable, "-c", "from salesops.dbt_exec import ensure_parsed; ensure_parsed()"],
        env=env, check=True, cwd=REPO_ROOT,
    )
    load_before = round(os.getloadavg()[0], 2)
    with open(out / f"{engine}.stdout.txt", "w") as stdout:
        started = time.time()
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        sampler = TreeSampler(process.pid, interval=0.2).start()
        _, status, _ = os.wait4(process.pid, 0)
        seconds = time.time() - started
        samples = sampler.stop()
    result = {
        "ok": os.waitstatus_to_exitcode(status) == 0,
        "build_seconds": round(seconds, 1),
        "peak_rss_mib": round(max((rss for _, rss, _ in samples), default=0) / 2**20, 1),
        "load_before": load_before,
        "output": shown(out / f"{engine}.stdout.txt"),
    }
    if engine == "spark" and result["ok"]:
        from salesops.dbt_exec import ensure_parsed
        from salesops.spark_export import export_spark_build

        os.environ["SALESOPS_DBT_TARGET"] = "spark"
        started = time.time()
        tables = export_spark_build(Paths(home), ensure_parsed() / "manifest.json")
        result["export_seconds"] = round(time.time() - started, 1)
        result["exported_tables"] = len(tables)
        os.environ.pop("SALESOPS_DBT_TARGET")
    return result


def report(result: dict) -> str:
    env = result["environment"]
    lines = [
        f"# dbt build on DuckDB and on Spark — {env['date']} ({env['short_sha']}{', dirty' if env['dirty'] else ''})",
        "",
        f"{env['cpu']}, {env['cores']} cores, {env['ram_gib']} GiB; load average at start "
        f"{env['load_average_at_start']}. One full `dbt build` of the whole project from nothing "
        "per engine (models, seeds, data tests), Spark `local[2]` in the dbt process.",
        "",
        "| scale | input rows | scan floor | DuckDB build | ÷ floor | Spark build | ÷ floor | Spark ÷ DuckDB | Spark export | peak RSS DuckDB / Spark | load before DuckDB / Spark |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, entry in result["scales"].items():
        floor = entry.get("scan_floor", {}).get("seconds")
        duck, spark = entry.get("duckdb", {}), entry.get("spark", {})
        # a failed build's seconds are no build cost
        duck_s = duck.get("build_seconds") if duck.get("ok") else None
        spark_s = spark.get("build_seconds") if spark.get("ok") else None

        def ratio(a, b):
            return f"{a / b:.1f}×" if a and b else "—"

        lines.append(
            f"| {key} | {entry.get('scan_floor', {}).get('rows', 0):,} | {floor or '—'} s "
            f"| {duck_s or '—'} s | {ratio(duck_s, floor)} "
            f"| {spark_s or '—'} s | {ratio(spark_s, floor)} "
            f"| {ratio(spark_s, duck_s)} "
            f"| {spark.get('export_seconds', '—')} s "
            f"| {duck.get('peak_rss_mib', '—')} / {spark.get('peak_rss_mib', '—')} MiB "
            f"| {duck.get('load_before', '—')} / {spark.get('load_before', '—')} |"
        )
    failed = [f"{k} {e}" for k, v in result["scales"].items() for e in ENGINES if v.get(e, {}).get("ok") is False]
    if failed:
        lines += ["", f"Failed builds: {', '.join(failed)} (their output is named in the JSON)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=parse_scales, default=parse_scales("1 10"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data", type=Path, default=REPO_ROOT / "data")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    env = environment()
    result = {"environment": env, "scales": {}}
    stem = args.out / f"{env['date']}-{env['short_sha']}-engines"
    args.out.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        stem.with_suffix(".json").write_text(json.dumps(result, indent=1), encoding="utf-8")
        stem.with_suffix(".md").write_text(report(result), encoding="utf-8")

    for scale in args.scales:
        key = scale_key(scale)
        folder = args.data / f"bench-{key}"
        entry = result["scales"][key] = {}
        full, _ = generate_full(folder, scale, args.seed)
        entry["scan_floor"] = scan_floor(full, repeats=3)
        print(f"scale {key}: base run (DuckDB daily job, cached)…", flush=True)
        base = base_home(folder, full)
        for engine in ENGINES:
            print(f"scale {key}: {engine} build…", flush=True)
            home = engine_home(folder, base, engine)
            entry[engine] = measure_build(home, engine, folder / "engines" / "runs")
            print(f"scale {key}: {engine} {entry[engine]}", flush=True)
            save()
    print(f"Results: {shown(stem.with_suffix('.md'))}")


if __name__ == "__main__":
    main()
