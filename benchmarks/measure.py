"""The measuring parts of the scaling benchmark (:mod:`benchmarks.scaling`), free of any run:

- :class:`TreeSampler` samples the resident memory of a process and all its descendants
  (``salesops run`` and the dbt it starts) from ``/proc`` in a thread;
- :func:`timeline` cuts a run's wall time into stage segments from the stage record that
  ``salesops run`` writes beside its run log (salesops/console.py), and :func:`by_stage`
  gives each stage its seconds and the peak of the memory samples taken while it ran;
- :func:`exponent` fits how a time grows with the input (log-log least squares).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from salesops.console import PREPARE, STAGE_NAMES

STARTUP = "startup"
"""From starting the process to the console opening: Python and the CLI's imports."""
ORCHESTRATION = "orchestration"
"""Inside the job, between steps: Dagster's own work (events, IO managers, checks' wiring)."""
WRAP_UP = "wrap_up"
"""After the last step: the job's end, the run summary, the morning brief, the process exit."""
UNATTRIBUTED = "unattributed"
"""A run without a stage record (it failed before its console opened)."""
STAGE_ORDER: tuple[str, ...] = (STARTUP, PREPARE.name, *STAGE_NAMES, ORCHESTRATION, WRAP_UP)
STAGE_MEANING = {
    STARTUP: "process start → console open (imports, CLI)",
    PREPARE.name: "dbt parse when the project changed, loading the Dagster definitions",
    "ingest": "landing files → bronze parquet",
    "quality": "Great Expectations contract suites (asset checks)",
    "signals": "chat and note signals",
    "models": "deviation-reason clustering",
    "warehouse": "dbt build (models and tests)",
    "forecasting": "forecasting models (win probability)",
    "publish": "read-only snapshot published",
    "alerts": "alerts pushed to the configured bots and webhooks (none configured: a no-op)",
    ORCHESTRATION: "between steps inside the job (Dagster)",
    WRAP_UP: "after the last step: job end, run summary, brief, exit",
}

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MIB = 2**20


# --------------------------------------------------------------------------- memory
def tree_pids(root: int, parent_of: Mapping[int, int]) -> set[int]:
    """``root`` and every process descending from it, given each process's parent."""
    children: dict[int, list[int]] = {}
    for pid, parent in parent_of.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:  # the process is gone
        return None


def _parents(proc: Path) -> dict[int, int]:
    parent_of = {}
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        stat = _read(f"{proc}/{name}/stat")
        if stat:
            # "pid (comm) state ppid …": comm may hold spaces and parentheses
            parent_of[int(name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parent_of


def _resident_bytes(proc: Path, pid: int) -> int:
    statm = _read(f"{proc}/{pid}/statm")
    try:
        return int(statm.split()[1]) * PAGE_BYTES if statm else 0
    except (IndexError, ValueError):
        return 0


def tree_rss(
    root: int, proc: Path = Path("/proc"), pids: set[int] | None = None
) -> tuple[int, int]:
    """(summed resident bytes of ``root``'s process tree, number of its live processes); the
    tree is looked up unless given (``pids``).

    A sum of RSS counts pages shared between processes (a forked child's, shared libraries)
    once per process: an upper bound of the memory the tree holds."""
    if pids is None:
        pids = tree_pids(root, _parents(proc))
    sizes = [_resident_bytes(proc, pid) for pid in pids]
    return sum(sizes), sum(1 for size in sizes if size)


class TreeSampler:
    """Samples ``(epoch seconds, summed RSS bytes, processes)`` of a process tree every
    ``interval`` seconds in a daemon thread, until :meth:`stop`.

    Finding the tree means reading every process's ``stat`` (~8 ms of CPU on a loaded 2-core
    machine): it is looked up again every ``rescan`` seconds only, and in between the known
    processes' ``statm`` are read. A child living less than ``rescan`` may be missed; the
    kernel's own peak per process (``ru_maxrss``, benchmarks/scaling.py) does not miss it."""

    def __init__(
        self, root: int, interval: float = 0.1, proc: Path = Path("/proc"), rescan: float = 0.5
    ):
        self.root = root
        self.interval = interval
        self.rescan = rescan
        self.proc = proc
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def _run(self) -> None:
        pids: set[int] | None = None
        scanned = 0.0
        while True:
            now = time.monotonic()
            if pids is None or now - scanned >= self.rescan:
                pids, scanned = tree_pids(self.root, _parents(self.proc)), now
            rss, processes = tree_rss(self.root, self.proc, pids)
            if processes and rss:
                self.samples.append((time.time(), rss, processes))
            if self._stop.wait(self.interval):
                return

    def stop(self) -> list[tuple[float, int, int]]:
        self._stop.set()
        self._thread.join()
        return self.samples


# --------------------------------------------------------------------------- stages
@dataclass(frozen=True)
class Segment:
    stage: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


def timeline(record: Mapping | None, started: float, ended: float) -> list[Segment]:
    """The run's wall time ``[started, ended]`` (epoch seconds) cut into stage segments that
    cover it without overlap: startup, prepare, each step as its stage, the gaps between steps
    as orchestration, the rest as wrap_up. Steps run one at a time (in-process executor); were
    two to overlap, the later one's segment starts where the earlier ended."""
    if not record:
        return [Segment(UNATTRIBUTED, started, ended)]

    def clamp(value: float) -> float:
        return min(max(value, started), ended)

    prepare = next((s for s in record.get("stages", []) if s["name"] == PREPARE.name), None)
    segments: list[Segment] = []
    cursor = started
    if prepare and prepare.get("started") is not None:
        prepare_start = clamp(prepare["started"])
        segments.append(Segment(STARTUP, cursor, prepare_start))
        prepare_end = clamp(prepare["finished"] if prepare.get("finished") is not None else ended)
        segments.append(Segment(PREPARE.name, prepare_start, prepare_end))
        cursor = prepare_end
    else:
        segments.append(Segment(STARTUP, cursor, cursor))
    steps = sorted(
        (s for s in record.get("steps", []) if s.get("started") is not None),
        key=lambda s: s["started"],
    )
    for step in steps:
        start = max(clamp(step["started"]), cursor)
        end = max(clamp(step["finished"] if step.get("finished") is not None else ended), start)
        if start > cursor:
            segments.append(Segment(ORCHESTRATION, cursor, start))
        segments.append(Segment(step["stage"], start, end))
        cursor = end
    segments.append(Segment(WRAP_UP, cursor, ended))
    return [segment for segment in segments if segment.seconds > 0 or segment.stage == STARTUP]


def stage_at(segments: list[Segment], moment: float) -> str | None:
    """The stage whose segment holds ``moment`` (a segment owns its start, not its end; the
    run's last instant belongs to the last segment); None outside the run."""
    for segment in segments:
        if segment.start <= moment < segment.end:
            return segment.stage
    if segments and moment == segments[-1].end:
        return segments[-1].stage
    return None


def by_stage(segments: list[Segment], samples: Iterable[tuple[float, int, int]]) -> dict[str, dict]:
    """Per stage (in :data:`STAGE_ORDER`, then any other): its seconds (the sum of its
    segments) and the peak summed RSS (MiB) and sample count of the samples taken while it ran.
    A stage that ran between two samples has no peak (None)."""
    out: dict[str, dict] = {}
    for segment in segments:
        entry = out.setdefault(segment.stage, {"seconds": 0.0, "peak_rss_mib": None, "samples": 0})
        entry["seconds"] += segment.seconds
    for moment, rss, _processes in samples:
        stage = stage_at(segments, moment)
        if stage is None:
            continue
        entry = out[stage]
        entry["samples"] += 1
        mib = rss / MIB
        entry["peak_rss_mib"] = (
            mib if entry["peak_rss_mib"] is None else max(entry["peak_rss_mib"], mib)
        )
    order = {name: index for index, name in enumerate(STAGE_ORDER)}
    return {
        stage: {
            "seconds": round(entry["seconds"], 3),
            "peak_rss_mib": None
            if entry["peak_rss_mib"] is None
            else round(entry["peak_rss_mib"], 1),
            "samples": entry["samples"],
        }
        for stage, entry in sorted(out.items(), key=lambda kv: order.get(kv[0], len(order)))
    }


# --------------------------------------------------------------------------- scaling
def exponent(points: Iterable[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(y) on log(x): time ∝ input^slope. None with fewer than two
    distinct positive inputs (one scale says nothing about growth); points with a value ≤ 0
    are left out."""
    pairs = [(math.log(x), math.log(y)) for x, y in points if x and y and x > 0 and y > 0]
    if len({x for x, _ in pairs}) < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / len(pairs)
    mean_y = sum(y for _, y in pairs) / len(pairs)
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    return sxy / sxx
