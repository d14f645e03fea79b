"""How the daily run's cost grows with the data: ``make bench SCALES="0.1 1 10"``.

    make bench SCALES="0.1 1 10"              # the issue's curve (SF10 takes a while)
    make bench                                # one scale: BENCH_SCALE, default the demo's 0.25
    .venv/bin/python -m benchmarks.scaling --scales "0.1 1" --resume   # keep scales measured at this SHA

Per scale, the simulated world (seed 42) is generated once into ``data/bench-<scale>/full``
and cut, with :func:`simulator.truncate.truncate_landing`, into the landing as it stood at the
end of its last day D and of the day before (``day-<date>``); all three are cached (a
``.done`` stamp beside each) and reused. Then, in a fresh home ``data/bench-<scale>/home``,
three ``salesops run --landing …`` in a subprocess each:

    full         cold: the landing of D-1 in an empty home
    incremental  the landing of D swapped in (files identical to D-1's kept as they were, and
                 D-1's opportunity extract kept beside D's, as a daily feed accumulates them)
    no_change    the same landing again

Each run's wall time is cut into stages by the stage record ``salesops run`` writes beside
its run log (startup, prepare, ingest, quality, signals, models, warehouse, publish, the
orchestration between steps, the wrap-up after them), and the memory of its whole process
tree (salesops and the dbt it starts) is sampled from /proc every 0.1 s: the peak RSS of
each stage is the highest summed sample taken while it ran. The scan floor is DuckDB reading
every input file once (:func:`benchmarks.run.duckdb_read_baseline`, best of three). Reported:
ratios full ÷ floor, incremental ÷ full, no-change ÷ full (per stage too), the scaling
exponent of each stage (log-log slope of time against input rows, across the scales run),
the issue's goals marked met/missed, the environment. Each run's output and samples are kept
under ``data/bench-<scale>/runs/``.

Results go to ``benchmarks/results/<date>-<short sha>.{json,md,svg}``, rewritten after every
run, so a long SF10 is never lost; ``--resume`` keeps the scales already complete in the
result of the same SHA. Measure on an otherwise idle machine: the load average is recorded
and a warning printed above 0.5. Nothing here asserts a wall-clock limit.

The single-scale profile (ingest, signals and a dbt build per model area) and the
Excel-vs-CSV ingest stay reachable: ``make bench-profile`` (:mod:`benchmarks.run`) and
``make bench-excel`` (:mod:`benchmarks.excel_ingest`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import scaling_report
from benchmarks.measure import TreeSampler, by_stage, timeline
from salesops.config import REPO_ROOT
from salesops.console import stage_record_path

RUNS = ("full", "incremental", "no_change")
"""The runs of one scale, in order; each after the one before, in the same home."""
RUN_LANDING = {"full": "previous_day", "incremental": "day", "no_change": "day"}
SEED = 42
PACKAGES = (
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "dagster",
    "great-expectations",
    "pandas",
    "pyarrow",
)
IDLE_LOAD = 0.5
RESULTS = Path(__file__).with_name("results")
_RUN_LOG_LINE = re.compile(r"Run log 运行日志: (\S+)")


def scale_key(scale: float) -> str:
    return f"{scale:g}"


def shown(path: Path) -> str:
    """A path as written in the results: relative to the repository when inside it (the
    results are committed; the absolute path says only where one clone was)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def salesops_executable() -> str:
    return str(Path(sys.executable).with_name("salesops"))


def run_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALESOPS_", "DAGSTER_"))}
    env.update(
        SALESOPS_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster_home"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        GX_ANALYTICS_ENABLED="false",
    )
    return env


# --------------------------------------------------------------------------- environment
def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def environment() -> dict:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    sha = _git("rev-parse", "HEAD") or "unknown"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sha": sha,
        "short_sha": sha[:10],
        "dirty": dirty,
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }


# --------------------------------------------------------------------------- data
def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".done")


def generate_full(folder: Path, scale: float, seed: int) -> tuple[Path, bool]:
    """The full simulated landing of this scale, generated once (returns it, and whether it was
    generated now)."""
    full = folder / "full"
    params = {"scale": scale, "seed": seed}
    stamp = _stamp(full)
    if full.is_dir() and stamp.exists() and json.loads(stamp.read_text()) == params:
        return full, False
    tmp = folder / "full.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(full, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        salesops_executable(),
        "generate",
        "--scale",
        str(scale),
        "--seed",
        str(seed),
        "--out",
        str(tmp),
    ]
    done = subprocess.run(command + ["--no-progress"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"generating scale {scale:g} failed:\n{done.stderr[-3000:]}")
    tmp.rename(full)
    stamp.write_text(json.dumps(params))
    return full, True


def last_day(full: Path) -> dt.date:
    """The day the simulated extracts were taken (``truth.json``'s end timestamp)."""
    truth = json.loads((full / "truth.json").read_text(encoding="utf-8"))
    return dt.date.fromisoformat(truth["end_timestamp"][:10])


def landing_on(folder: Path, full: Path, day: dt.date) -> Path:
    """The landing as it stood at the end of ``day`` (cached), cut in a subprocess so the
    harness does not keep pandas' memory."""
    landing = folder / f"day-{day.isoformat()}"
    stamp = _stamp(landing)
    if landing.is_dir() and stamp.exists() and stamp.read_text() == _stamp(full).read_text():
        return landing
    tmp = folder / f"day-{day.isoformat()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(landing, ignore_errors=True)
    command = [sys.executable, "-m", "simulator.truncate", str(full), str(tmp), day.isoformat()]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"truncating {full} at {day} failed:\n{done.stderr[-3000:]}")
    tmp.rename(landing)
    stamp.write_text(_stamp(full).read_text())
    return landing


DATED_EXTRACT = re.compile(r"opportunities_\d{4}-\d{2}-\d{2}\.csv")
"""A day's opportunity extract (``crm/opportunities_YYYY-MM-DD.csv``): a daily feed adds one
each day and keeps the earlier ones."""


def sync_landing(source: Path, target: Path) -> dict[str, int]:
    """Make ``target`` hold ``source``'s files, as a new day's extracts arrive: a file with the
    same bytes is left alone (its modification time too), a changed or new one copied, a
    vanished one removed, except the earlier days' opportunity extracts, which a daily feed
    keeps (``truncate_landing`` writes only the latest day's: the landing of D lacks the
    extract of D-1, which the landing of D-1 had). Returns how many files were copied,
    removed and kept."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    present = {p.relative_to(target) for p in target.rglob("*") if p.is_file()}
    counts = {"copied": 0, "removed": 0, "kept": 0}
    for relative in sorted(present - wanted):
        if DATED_EXTRACT.fullmatch(relative.name):
            counts["kept"] += 1
            continue
        (target / relative).unlink()
        counts["removed"] += 1
    for relative in sorted(wanted):
        src, dst = source / relative, target / relative
        if dst.exists() and filecmp.cmp(src, dst, shallow=False):
            counts["kept"] += 1
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        counts["copied"] += 1
    return counts


def scan_floor(landing: Path, repeats: int) -> dict:
    """DuckDB reading every input file once, best of ``repeats`` (the first warms the cache)."""
    from benchmarks.run import duckdb_read_baseline

    times, rows = [], 0
    for _ in range(max(1, repeats)):
        seconds, rows = duckdb_read_baseline(landing)
        times.append(round(seconds, 3))
    return {
        "seconds": min(times),
        "all_seconds": times,
        "rows": rows,
        "bytes": sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()),
        "files": sum(1 for p in landing.rglob("*") if p.is_file()),
    }


# --------------------------------------------------------------------------- one run
def _find_record(stdout: str, home: Path, started: float) -> tuple[Path | None, dict | None]:
    logs = _RUN_LOG_LINE.findall(stdout)
    candidates = [stage_record_path(Path(logs[-1]))] if logs else []
    candidates += sorted(
        (p for p in (home / "logs").glob("*.stages.json") if p.stat().st_mtime >= started - 1),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in candidates:
        if path.exists():
            return path, json.loads(path.read_text(encoding="utf-8"))
    return (Path(logs[-1]) if logs else None), None


def measure_run(kind: str, home: Path, landing: Path, out: Path, interval: float) -> dict:
    """One ``salesops run --landing LANDING`` in ``home``: wall time and peak RSS, per stage."""
    out.mkdir(parents=True, exist_ok=True)
    command = [salesops_executable(), "run", "--landing", str(landing)]
    load_before = round(os.getloadavg()[0], 2)
    with open(out / "stdout.txt", "w") as stdout, open(out / "stderr.txt", "w") as stderr:
        started = time.time()
        process = subprocess.Popen(
            command, env=run_env(home), stdout=stdout, stderr=stderr, cwd=REPO_ROOT
        )
        sampler = TreeSampler(process.pid, interval=interval).start()
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.time()
        samples = sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    with open(out / "samples.tsv", "w") as f:
        f.write("epoch_seconds\trss_bytes\tprocesses\n")
        f.writelines(f"{t:.3f}\t{rss}\t{n}\n" for t, rss, n in samples)
    text = (out / "stdout.txt").read_text(encoding="utf-8", errors="replace")
    record_path, record = _find_record(text, home, started)
    if record is not None:
        (out / "stages.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    stages = by_stage(timeline(record, started, ended), samples)
    peak = max((rss for _, rss, _ in samples), default=0) / 2**20
    return {
        "ok": process.returncode == 0,
        "returncode": process.returncode,
        "command": " ".join(command),
        "seconds": round(ended - started, 3),
        "peak_rss_mib": round(peak, 1),
        "max_process_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "samples": len(samples),
        "load_before": load_before,
        "stages": stages,
        "stage_status": {s["name"]: s["status"] for s in (record or {}).get("stages", [])},
        "run_log": shown(record_path.with_suffix("").with_suffix(".log")) if record_path else None,
        "output": shown(out),
    }


# --------------------------------------------------------------------------- one scale
def measure_scale(scale: float, args, result: dict, save) -> None:
    key = scale_key(scale)
    folder = args.data / f"bench-{key}"
    entry = result["scales"][key] = {"scale": scale, "complete": False, "runs": {}}
    started = time.perf_counter()
    full, generated = generate_full(folder, scale, args.seed)
    day = last_day(full)
    days = {"previous_day": day - dt.timedelta(days=1), "day": day}
    landings = {name: landing_on(folder, full, on) for name, on in days.items()}
    print(
        f"  data: {'generated' if generated else 'cached'} {full}, landings of "
        f"{day - dt.timedelta(days=1)} and {day} ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    entry["day"] = day.isoformat()
    entry["floors"] = {}
    for name, landing in landings.items():
        floor = entry["floors"][name] = {
            "landing": shown(landing),
            "day": days[name].isoformat(),
            **scan_floor(landing, args.floor_repeats),
        }
        print(
            f"  scan floor {name}: {floor['seconds']:.2f} s for {floor['rows']:,} rows", flush=True
        )
    save(result)

    home = folder / "home"
    shutil.rmtree(home, ignore_errors=True)
    runs_out = folder / "runs" / result["environment"]["short_sha"]
    shutil.rmtree(runs_out, ignore_errors=True)
    for kind in RUNS:
        landing_name = RUN_LANDING[kind]
        changes = sync_landing(landings[landing_name], home / "landing")
        print(
            f"  {kind}: landing {landing_name} ({changes['copied']} files copied, "
            f"{changes['kept']} kept, {changes['removed']} removed) …",
            flush=True,
        )
        run = measure_run(kind, home, home / "landing", runs_out / kind, args.interval)
        run.update(landing=landing_name, landing_changes=changes)
        entry["runs"][kind] = run
        warehouse = run["stages"].get("warehouse", {}).get("seconds")
        print(
            f"  {kind}: {'ok' if run['ok'] else 'FAILED'} {run['seconds']:.1f} s, peak RSS "
            f"{run['peak_rss_mib']:.0f} MiB"
            + (f", warehouse {warehouse:.1f} s" if warehouse is not None else "")
            + f" → {run['output']}",
            flush=True,
        )
        save(result)
        if not run["ok"]:
            print(
                f"  {kind} failed: the later runs of scale {key} are skipped; see {run['output']}"
            )
            return
    entry["dashboards"] = measure_dashboards(home, runs_out / "dashboards.json")
    entry["complete"] = True
    save(result)


def measure_dashboards(home: Path, out: Path) -> dict:
    """Each dashboard page's load time on the scale's published snapshot
    (:mod:`benchmarks.dashboards`, in a process of its own so its caches start empty)."""
    print("  dashboards: loading every page, cold and warm …", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.dashboards", "--home", str(home), "--json", str(out)],
        cwd=REPO_ROOT,
        text=True,
    )
    if done.returncode != 0 or not out.exists():
        return {"ok": False}
    return {"ok": True, **json.loads(out.read_text(encoding="utf-8"))}


# --------------------------------------------------------------------------- results
def result_paths(out: Path, env: dict) -> dict[str, Path]:
    stem = f"{env['date']}-{env['short_sha']}"
    return {ext: out / f"{stem}.{ext}" for ext in ("json", "md", "svg")}


def previous_result(out: Path, env: dict) -> dict | None:
    """The newest result of this SHA (any date), for ``--resume``."""
    found = sorted(out.glob(f"*-{env['short_sha']}.json"), key=lambda p: p.stat().st_mtime)
    for path in reversed(found):
        result = json.loads(path.read_text(encoding="utf-8"))
        if result.get("environment", {}).get("sha") == env["sha"]:
            return result
    return None


def save_result(result: dict, paths: dict[str, Path]) -> None:
    scaling_report.summarize(result)
    paths["json"].parent.mkdir(parents=True, exist_ok=True)
    for ext, text in (
        ("json", json.dumps(result, indent=1, ensure_ascii=False) + "\n"),
        ("md", scaling_report.markdown(result)),
        ("svg", scaling_report.svg(result)),
    ):
        tmp = paths[ext].with_name(paths[ext].name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, paths[ext])


def parse_scales(text: str) -> list[float]:
    scales = [float(part) for part in re.split(r"[\s,]+", text.strip()) if part]
    if not scales or any(scale <= 0 for scale in scales):
        raise argparse.ArgumentTypeError(f"scales must be positive numbers, got {text!r}")
    return sorted(set(scales))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--scales",
        type=parse_scales,
        default=parse_scales(os.environ.get("BENCH_SCALE", "0.25")),
        help='scale factors, e.g. "0.1 1 10" (default: BENCH_SCALE or 0.25)',
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--data", type=Path, default=REPO_ROOT / "data", help="where bench-<scale>/ folders go"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--resume", action="store_true", help="keep scales already complete at this SHA"
    )
    parser.add_argument("--interval", type=float, default=0.1, help="memory sampling interval (s)")
    parser.add_argument("--floor-repeats", type=int, default=3)
    args = parser.parse_args(argv)
    args.data = args.data.resolve()

    env = environment()
    paths = result_paths(args.out, env)
    result = {
        "schema": 1,
        "environment": env,
        "settings": {
            "seed": args.seed,
            "sample_interval_s": args.interval,
            "floor_repeats": args.floor_repeats,
            "scales_asked": [scale_key(s) for s in args.scales],
        },
        "scales": {},
    }
    if args.resume and (previous := previous_result(args.out, env)) is not None:
        result["scales"] = {
            k: v for k, v in previous.get("scales", {}).items() if v.get("complete")
        }
    print(
        f"bench {env['short_sha']}{' (dirty)' if env['dirty'] else ''} on {env['cpu']}, {env['cores']} cores, "
        f"{env['ram_gib']} GiB; scales {', '.join(map(scale_key, args.scales))}"
    )
    if env["load_average_at_start"] > IDLE_LOAD:
        print(
            f"WARNING: load average {env['load_average_at_start']} > {IDLE_LOAD}: the machine is not idle, "
            "the times will be high and noisy"
        )
    if env["dirty"]:
        print(
            "WARNING: the working tree has uncommitted changes: the SHA does not say what was measured"
        )
    for scale in args.scales:
        key = scale_key(scale)
        if result["scales"].get(key, {}).get("complete"):
            print(f"scale {key}: already measured at {env['short_sha']} (--resume), kept")
            continue
        print(f"scale {key}:", flush=True)
        measure_scale(scale, args, result, lambda r: save_result(r, paths))
    save_result(result, paths)
    print(f"→ {paths['md']}\n→ {paths['json']}\n→ {paths['svg']}")


if __name__ == "__main__":
    main()
