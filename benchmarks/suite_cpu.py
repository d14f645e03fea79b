"""Where the test suite's CPU goes: ``make bench-suite`` (optionally ``WITH_SPARK=1``).

``make test`` must stay under 15 minutes on 2 cores, and with both cores busy from start to
end the order of the modules no longer matters, only their CPU time. This runs the suite as
``make test`` does (xdist, two workers, ``-m "not spark"``; with ``--with-spark`` the Spark
portability test too, on its tiny-world settings) with itself loaded as a pytest plugin in
every worker, which records per test the core-seconds of the worker and of the processes it
started and waited for (``salesops run``, dbt, Spark: ``getrusage`` of self and children),
fixtures included (a module fixture counts in the first test that uses it). The report, in
``benchmarks/results/<date>-<commit>-suite-cpu[-spark].md`` (the rows in ``data/bench-suite/``), lists the modules by core-seconds, with
the machine's busy and idle core-seconds over the whole run (``/proc/stat``): what is not in
any test is collection, the workers' start and processes never waited for. Spark's JVM is
one: pyspark leaves it to exit on its own, so the portability test's Spark leg is counted
there, not in its module; the difference between ``make bench-suite`` with and without
``WITH_SPARK=1`` gives that module's whole cost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from salesops.config import REPO_ROOT

OUT_VARIABLE = "SALESOPS_SUITE_CPU_DIR"
"""Set by :func:`main` for the workers: where each writes its rows (``<worker>.tsv``)."""


# --------------------------------------------------------------------------- the plugin
def _core_seconds() -> float:
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


_rows = None

if os.environ.get(OUT_VARIABLE):
    import pytest

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        global _rows
        if _rows is None:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            _rows = open(Path(os.environ[OUT_VARIABLE]) / f"{worker}.tsv", "a", encoding="utf-8")  # noqa: SIM115
        cpu, wall = _core_seconds(), time.monotonic()
        try:
            return (yield)
        finally:
            _rows.write(
                f"{item.nodeid}\t{_core_seconds() - cpu:.2f}\t{time.monotonic() - wall:.2f}\n"
            )
            _rows.flush()


# --------------------------------------------------------------------------- the run
def _cpu_ticks() -> tuple[int, int]:
    """(busy, idle) jiffies of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields[:8]) - idle, idle


def per_module(folder: Path) -> dict[str, tuple[float, float, int]]:
    """Module → (core-seconds, seconds, tests), from every worker's rows."""
    modules: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for rows in folder.glob("*.tsv"):
        for line in rows.read_text(encoding="utf-8").splitlines():
            nodeid, cpu, wall = line.split("\t")
            module = modules[nodeid.split("::")[0]]
            module[0] += float(cpu)
            module[1] += float(wall)
            module[2] += 1
    return {name: (cpu, wall, int(tests)) for name, (cpu, wall, tests) in modules.items()}


def report(
    modules: dict,
    busy: float,
    idle: float,
    wall: float,
    returncode: int,
    args: list[str],
    env: dict,
) -> str:
    """The per-module table; ``env`` is :func:`benchmarks.scaling.environment`'s block."""
    in_tests = sum(cpu for cpu, _, _ in modules.values())
    lines = [
        f"# Test suite CPU by module — {env['date']} ({env['short_sha']}{', dirty' if env['dirty'] else ''})",
        "",
        f"{env['cpu']}, {env['cores']} cores; load average at start {env['load_average_at_start']}. "
        f"`pytest {' '.join(args)}`: exit {returncode}, {wall:.0f} s wall "
        f"({int(wall) // 60}:{int(wall) % 60:02d}).",
        f"Machine: {busy:,.0f} busy and {idle:,.0f} idle core-seconds over the run; "
        f"{in_tests:,.0f} core-seconds in tests (the rest: collection, the workers' start, "
        "processes not waited for, such as Spark's JVM).",
        "",
        "| module | core-s | share | test seconds | tests |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (cpu, seconds, tests) in sorted(modules.items(), key=lambda kv: -kv[1][0]):
        lines.append(f"| {name} | {cpu:.1f} | {cpu / in_tests:.1%} | {seconds:.1f} | {tests} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--with-spark",
        action="store_true",
        help="the Spark portability test too (tiny-world settings)",
    )
    parser.add_argument("--workers", default="2")
    options = parser.parse_args(argv)
    from benchmarks.scaling import RESULTS, environment

    env = environment()
    stamp = f"{dt.datetime.now():%Y%m%dT%H%M%S}"
    folder = REPO_ROOT / "data" / "bench-suite" / stamp
    folder.mkdir(parents=True)
    args = [
        *([] if options.with_spark else ["-m", "not spark"]),
        "-n",
        options.workers,
        "--dist",
        "loadfile",
        "-p",
        "benchmarks.suite_cpu",
        "-q",
    ]
    variables = {
        **os.environ,
        OUT_VARIABLE: str(folder),
        "SALESOPS_PLANTED_PREBUILD": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        **({"SALESOPS_SPARK_TINY": "1"} if options.with_spark else {}),
    }
    print(
        f"Running the suite with per-test CPU accounting ({folder}) 测试套件CPU统计 …", flush=True
    )
    busy0, idle0 = _cpu_ticks()
    started = time.monotonic()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("pytest")), *args], cwd=REPO_ROOT, env=variables
    )
    wall = time.monotonic() - started
    busy1, idle1 = _cpu_ticks()
    tick = os.sysconf("SC_CLK_TCK")
    text = report(
        per_module(folder),
        (busy1 - busy0) / tick,
        (idle1 - idle0) / tick,
        wall,
        done.returncode,
        args,
        env,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = (
        RESULTS
        / f"{env['date']}-{env['short_sha']}-suite-cpu{'-spark' if options.with_spark else ''}.md"
    )
    out.write_text(text, encoding="utf-8")
    print("\n".join(text.splitlines()[:16]))
    print(f"Report 报告: {out}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
