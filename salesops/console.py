"""The run's console 运行控制台: one line per stage with its progress and time; everything else
(Dagster events, dbt's per-node lines, GX progress bars, library warnings) in a run log file.

Three parts, none of which imports Dagster (``orchestration/run_log.py`` feeds them Dagster's
events):

- :class:`RunLog` opens ``$SALESOPS_HOME/logs/run-<UTC time>-<run id>.log`` and, while the run
  lasts, sends every byte the process writes (file descriptors 1 and 2 and Python's
  ``sys.stdout``/``sys.stderr``, so subprocesses and handlers bound at import time too) to it;
  Python warnings are written to it and tallied. ``verbose`` copies instead of redirecting.
- :class:`StageBoard` draws the stage lines: redrawn in place on a terminal, one plain line per
  finished stage otherwise (CI, a scheduler, a pipe).
- :class:`DbtLines` reads dbt's own lines as they reach the log ("12 of 1381 PASS …") for the
  warehouse counter and keeps dbt's error summary for the failure message.

Beside the log, ``run-….stages.json`` keeps each stage's and each step's start, end and status
in epoch seconds (:meth:`StageBoard.record`), for programs such as ``benchmarks/scaling.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import shutil
import sys
import threading
import time
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

RUN_LOGGER = "salesops.run"
"""Python logger every Dagster event of a ``salesops run`` reaches (orchestration/run_log.py)."""
LOGS_KEPT = 30
"""Run logs kept in ``$SALESOPS_HOME/logs``; older ones are removed when a run starts."""
LOG_FORMAT = "%(asctime)s - %(levelname)s - %(message)s"


@dataclass(frozen=True)
class Stage:
    name: str
    label: str
    unit: str
    counts_steps: bool = True
    """False: the counter is something else, reported as it runs (the warehouse's dbt nodes)."""


PREPARE = Stage("prepare", "prepare 准备", "")
"""Before the first step: dbt parse when the project changed, loading the Dagster definitions."""
STAGES: tuple[Stage, ...] = (
    Stage("ingest", "ingest 导入", "tables 表"),
    Stage("quality", "quality 质检", "checks 检查"),
    Stage("signals", "signals 信号", "steps 步"),
    Stage("models", "models 模型", "steps 步"),
    Stage("warehouse", "warehouse 数仓", "dbt nodes 节点", counts_steps=False),
    Stage("forecasting", "forecasting 预测", "steps 步"),
    Stage("publish", "publish 发布", "steps 步"),
    Stage("alerts", "alerts 推送", "steps 步"),
)
"""The daily job's stages in the order they run. ``models`` (deviation-reason clustering) runs
before the warehouse: its tables are dbt sources. ``forecasting`` (the SPEC §6 models) runs
between the warehouse's two dbt builds: it reads marts of the first, the second builds the
marts on its predictions."""
STAGE_NAMES = tuple(stage.name for stage in STAGES)

GROUP_STAGES = {
    "ingest": "ingest",
    "quality": "quality",
    "signals": "signals",
    "models": "models",
    "publish": "publish",
    "alerts": "alerts",
}
"""The stage of each Dagster asset group (orchestration/defs/<domain>/)."""
WAREHOUSE_GROUP = "warehouse"
"""The dbt assets' group (orchestration/defs/warehouse/dbt.py)."""
STAGE_TAG = "salesops/stage"
"""An asset tag naming its stage when it differs from its group's: the forecasting models are
in the ``models`` group but run between the two dbt builds, shown as their own stage."""
CHECK_STAGE = "quality"
"""A step that only runs asset checks (the GX contract suites) is a quality step."""


def stage_of_group(group: str | None) -> str | None:
    """The stage of an asset group; None for a group no stage claims (a test fails on it)."""
    if group is None:
        return None
    if group == WAREHOUSE_GROUP or group.startswith(f"{WAREHOUSE_GROUP}_"):
        return "warehouse"
    return GROUP_STAGES.get(group)


def log_path(home: Path, run_id: str, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return home / "logs" / f"run-{stamp}-{run_id[:8]}.log"


def stage_record_path(log: Path) -> Path:
    """The machine-readable stage record kept beside a run log."""
    return log.with_suffix(STAGE_RECORD_SUFFIX)


STAGE_RECORD_SUFFIX = ".stages.json"


def prune_logs(folder: Path, keep: int = LOGS_KEPT) -> list[Path]:
    """Remove all but the ``keep`` newest run logs (names sort by time) and their stage
    records; returns the removed logs."""
    logs = sorted(folder.glob("run-*.log"))
    removed = logs[: max(0, len(logs) - keep)]
    for path in removed:
        path.unlink(missing_ok=True)
        stage_record_path(path).unlink(missing_ok=True)
    return removed


# --------------------------------------------------------------------------- dbt's lines
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NODE_LINE = re.compile(r"^\s*(\d+) of (\d+) (\S+)")
_ERRORS_BEGIN = re.compile(r"^\s*Completed with \d+ errors?")
_ERRORS_END = re.compile(r"^\s*Done\. PASS=")


class DbtLines:
    """dbt's progress and error summary, read from the lines dbt prints through dagster-dbt.

    dbt numbers every selected node ("12 of 1381 START …", then "12 of 1381 PASS …" when it
    finished): the total is dbt's own count of the nodes it will run. A run invokes dbt twice
    (the marts, then those on the forecasting models' outputs): a new numbering (another
    total, or node 1 starting again) adds to the nodes counted so far."""

    MAX_ERROR_LINES = 40

    def __init__(self, on_progress: Callable[[int, int], None] | None = None):
        self.on_progress = on_progress
        self.finished: set[int] = set()
        self.total = 0
        self.counted_before = 0
        """Nodes of the earlier dbt invocations of the run."""
        self.error_lines: list[str] = []
        self._in_errors = False

    def feed(self, line: str) -> None:
        line = _ANSI.sub("", line).rstrip()
        if self._in_errors:
            if _ERRORS_END.match(line):
                self._in_errors = False
            if line.strip() and len(self.error_lines) < self.MAX_ERROR_LINES:
                self.error_lines.append(line.strip())
            return
        if _ERRORS_BEGIN.match(line):
            self._in_errors = True
            self.error_lines.append(line.strip())
            return
        node = _NODE_LINE.match(line)
        if node:
            index, total, word = int(node[1]), int(node[2]), node[3]
            if self.finished and (total != self.total or (index == 1 and word == "START")):
                self.counted_before += self.total
                self.finished = set()
            self.total = total
            if word != "START":
                self.finished.add(index)
            if self.on_progress:
                self.on_progress(
                    self.counted_before + len(self.finished), self.counted_before + total
                )


# --------------------------------------------------------------------------- warnings
_QUOTED = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"")


def warning_template(message: str) -> str:
    """A warning's text with its quoted names elided: "… for dbt test `x`" and "… for dbt test
    `y`" are the same warning (dagster-dbt says it once per test)."""
    return _QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[-1], message.strip())


@dataclass
class WarningTally:
    """Warnings counted by (category, message template): each shown once, with how often it
    came (the log has every one, in full)."""

    counts: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    """(category, template) → the first message and the set of distinct messages seen."""

    def add(self, category: str, message: str) -> None:
        key = (category, warning_template(message))
        self.counts[key] += 1
        self.examples.setdefault(key, (message.strip(), set()))[1].add(message.strip())

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self, limit: int = 5, width: int = 150) -> list[str]:
        shown = []
        for key, count in self.counts.most_common(limit):
            example, distinct = self.examples[key]
            first = example.splitlines()[0] if example else ""
            text = first if len(first) <= width else first[: width - 1] + "…"
            times = f" ×{count}" if count > 1 else ""
            alike = f" (and {len(distinct) - 1} alike 同类)" if len(distinct) > 1 else ""
            shown.append(f"  {key[0]}{times}: {text}{alike}")
        more = len(self.counts) - len(shown)
        if more > 0:
            shown.append(f"  … and {more} more in the log 其余见日志")
        return shown


# --------------------------------------------------------------------------- the run log
class _Tap(io.TextIOBase):
    """A text stream that writes to the log (and, verbose, to the console too) and hands
    every complete line to ``on_line``."""

    def __init__(self, log: io.TextIOBase, on_line: Callable[[str], None], echo=None):
        self._log = log
        self._echo = echo
        self._on_line = on_line
        self._partial = ""
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(self._echo) and self._echo.isatty()

    def fileno(self) -> int:
        return (self._echo or self._log).fileno()

    def write(self, text: str) -> int:
        with self._lock:
            self._log.write(text)
            if self._echo is not None:
                self._echo.write(text)
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
        for line in lines:
            self._on_line(line)
        return len(text)

    def flush(self) -> None:
        self._log.flush()
        if self._echo is not None:
            self._echo.flush()


class _TallyingHandler(logging.StreamHandler):
    """Other libraries' warnings and errors (their INFO chatter is left out): to the log, tallied."""

    def __init__(self, stream, tally: WarningTally):
        super().__init__(stream)
        self.tally = tally
        self.setLevel(logging.WARNING)
        self.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        # Dagster's loggers: what a step logs reaches the run's own tally (orchestration/run_log.py)
        if not record.name.startswith("dagster"):
            self.tally.add(f"{record.name} {record.levelname.lower()}", record.getMessage())
        super().emit(record)


def _fd_of(stream) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class RunLog:
    """The run log file, and the process's output sent to it while the run lasts.

    Quiet (default): file descriptors 1 and 2 point at the log, so whatever a library or a
    subprocess prints lands there; ``sys.stdout``/``sys.stderr`` become taps on the log; the
    console is a duplicate of the original stdout (:attr:`console`). Verbose: the taps copy
    to the console and to the log, descriptors untouched. Python warnings are written to the
    log and tallied (:attr:`warnings`); other loggers' records reach the log via the root logger.
    """

    def __init__(self, path: Path, *, verbose: bool = False, keep: int = LOGS_KEPT):
        self.path = path
        self.verbose = verbose
        self.keep = keep
        self.warnings = WarningTally()
        self.line_listeners: list[Callable[[str], None]] = []
        self.console = sys.stdout
        self._own_console: io.TextIOWrapper | None = None
        self._console_isatty: bool | None = None
        self._file: io.TextIOWrapper | None = None
        self._saved_fds: dict[int, int] = {}
        self._saved_streams = (sys.stdout, sys.stderr)
        self._saved_showwarning = warnings.showwarning
        self._root_handler: logging.Handler | None = None

    # the log as a stream, for handlers
    @property
    def stream(self) -> io.TextIOBase:
        assert self._file is not None, "the run log is not open"
        return self._file

    def _on_line(self, line: str) -> None:
        for listener in self.line_listeners:
            listener(line)

    def open(self) -> RunLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        prune_logs(self.path.parent, keep=max(0, self.keep - 1))
        self._file = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        out, err = self._saved_streams
        if self.verbose:
            sys.stdout = _Tap(self._file, self._on_line, echo=out)
            sys.stderr = _Tap(self._file, lambda _line: None, echo=err)
        else:
            out.flush()
            err.flush()
            console_fd = _fd_of(out)
            for fd in (1, 2):
                self._saved_fds[fd] = os.dup(fd)
                os.dup2(self._file.fileno(), fd)
            if console_fd in self._saved_fds:  # the real stdout now goes to the log
                self._own_console = open(  # noqa: SIM115
                    os.dup(self._saved_fds[console_fd]), "w", encoding="utf-8", buffering=1
                )
                self.console = self._own_console
                self._console_isatty = os.isatty(self._saved_fds[console_fd])
            sys.stdout = _Tap(self._file, self._on_line)
            sys.stderr = _Tap(self._file, lambda _line: None)
        warnings.showwarning = self._showwarning
        self._root_handler = _TallyingHandler(self._file, self.warnings)
        logging.getLogger().addHandler(self._root_handler)
        self._file.write(f"salesops run log {self.path.name} (Python {sys.version.split()[0]})\n")
        return self

    @property
    def is_open(self) -> bool:
        return self._file is not None

    @property
    def original_stderr(self):
        return self._saved_streams[1]

    def console_isatty(self) -> bool:
        if self._console_isatty is not None:
            return self._console_isatty
        isatty = getattr(self.console, "isatty", None)
        return bool(isatty and isatty())

    def _showwarning(self, message, category, filename, lineno, file=None, line=None) -> None:
        self.warnings.add(category.__name__, str(message))
        if self._file is not None:
            self._file.write(warnings.formatwarning(message, category, filename, lineno, line))

    def close(self) -> None:
        if self._file is None:
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = self._saved_streams
        for fd, saved in self._saved_fds.items():
            os.dup2(saved, fd)
            os.close(saved)
        self._saved_fds = {}
        warnings.showwarning = self._saved_showwarning
        if self._root_handler is not None:
            logging.getLogger().removeHandler(self._root_handler)
        if self._own_console is not None:
            self._own_console.close()
            self._own_console = None
            self.console = self._saved_streams[0]
        self._file.close()
        self._file = None

    def __enter__(self) -> RunLog:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------- the stage lines
def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def clip(text: str, width: int) -> str:
    out, used = [], 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used + w > width:
            break
        out.append(ch)
        used += w
    return "".join(out)


def seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


@dataclass
class _Row:
    stage: Stage
    steps: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)
    started: float | None = None
    finished: float | None = None
    failed: bool = False
    count: tuple[int, int] | None = None
    """(done, total) when the stage counts something other than its steps (dbt nodes)."""
    printed: bool = False
    busy: float = 0.0
    """Seconds its finished steps took. Steps run one at a time (in-process executor), and
    ingest and quality steps alternate, so a stage's time is its steps' time, not its span."""
    running: dict[str, float] = field(default_factory=dict)

    def seconds(self, now: float) -> float | None:
        if self.stage is PREPARE or not self.steps:
            return None if self.started is None else (self.finished or now) - self.started
        if self.started is None:
            return None
        return self.busy + sum(now - start for start in self.running.values())

    planned: bool = False

    @property
    def selected(self) -> bool:
        return bool(self.steps) or self.stage is PREPARE or not self.planned

    def progress(self) -> tuple[int, int] | None:
        if self.count is not None:
            return self.count
        if self.steps and self.stage.counts_steps:
            return len(self.done), len(self.steps)
        return None


class StageBoard:
    """The stage lines of a run.

    ``steps`` maps each step the run will execute to its stage (orchestration/run_log.py
    builds it from the job's asset groups). Events arrive from Dagster's logger thread-safely;
    on a terminal (``live``) a ticker redraws the block in place twice a second, otherwise a
    stage's line is printed once, when it has finished."""

    BAR = 12

    def __init__(
        self,
        stream,
        steps: Mapping[str, str] | None = None,
        *,
        live: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream
        self.live = live
        self.clock = clock
        self.rows = {stage.name: _Row(stage) for stage in (PREPARE, *STAGES)}
        self.rows[PREPARE.name].started = clock()
        self._lock = threading.RLock()
        self._drawn = 0
        self._last_draw = 0.0
        self._ticker: threading.Thread | None = None
        self._stopped = threading.Event()
        self.closed = False
        self.step_stage: dict[str, str] = {}
        self.step_spans: list[tuple[str, str, float, float, bool]] = []
        """(step, stage, started, finished, ok) of each step run, in the board's clock."""
        if steps:
            self.plan(steps)
        if live:
            self._ticker = threading.Thread(target=self._tick, name="salesops-console", daemon=True)
            self._ticker.start()
            self.draw(force=True)

    # ---- events
    def plan(self, steps: Mapping[str, str]) -> None:
        with self._lock:
            self.step_stage = dict(steps)
            for row in self.rows.values():
                row.planned = True
            for step, stage in steps.items():
                self.rows[stage].steps.add(step)

    def _row_of(self, step: str) -> _Row | None:
        stage = self.step_stage.get(step)
        return self.rows.get(stage) if stage else None

    def _finish_prepare(self, now: float) -> None:
        prepare = self.rows[PREPARE.name]
        if prepare.finished is None:
            prepare.finished = now
            self._emit_finished(prepare)

    def step_started(self, step: str) -> None:
        with self._lock:
            now = self.clock()
            self._finish_prepare(now)
            row = self._row_of(step)
            if row is not None:
                row.started = now if row.started is None else row.started
                row.running[step] = now
        self.draw()

    def step_finished(self, step: str, ok: bool = True) -> None:
        with self._lock:
            row = self._row_of(step)
            if row is None:
                return
            now = self.clock()
            row.done.add(step)
            started = row.running.pop(step, now)
            row.busy += now - started
            self.step_spans.append((step, row.stage.name, started, now, ok))
            if not ok:
                row.failed = True
            if row.done >= row.steps or not ok:
                row.finished = now
                self._emit_finished(row)
        self.draw()

    def count(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self.rows[stage].count = (done, total)
        self.draw()

    def close(self, success: bool) -> None:
        """The last drawing: every stage finished, failed, skipped or not selected."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._stopped.set()
            now = self.clock()
            self._finish_prepare(now)
            for row in self.rows.values():
                if row.started is not None and row.finished is None:
                    row.finished = now
                    row.failed = row.failed or not success
                    for step, start in row.running.items():
                        row.busy += now - start
                        self.step_spans.append((step, row.stage.name, start, now, success))
                    row.running.clear()
                self._emit_finished(row, final=True)
        if self._ticker is not None:
            self._ticker.join(timeout=2)
        self.draw(force=True)

    def record(self, wall_offset: float = 0.0) -> dict:
        """Each stage's and each step's start, end (``wall_offset`` + the board's clock:
        epoch seconds when the clock is ``time.monotonic`` and the offset their difference),
        seconds (a stage's: its steps' time, as on the console) and status."""
        with self._lock:
            now = self.clock()

            def at(value: float | None) -> float | None:
                return None if value is None else round(value + wall_offset, 3)

            stages = []
            for row in self.rows.values():
                seconds = row.seconds(now)
                progress = row.progress() if row.selected else None
                stages.append(
                    {
                        "name": row.stage.name,
                        "status": self.status_key(row),
                        "started": at(row.started),
                        "finished": at(row.finished),
                        "seconds": None if seconds is None else round(seconds, 3),
                        "progress": list(progress) if progress else None,
                    }
                )
            steps = [
                {"step": step, "stage": stage, "started": at(start), "finished": at(end), "ok": ok}
                for step, stage, start, end, ok in self.step_spans
            ]
        return {"stages": stages, "steps": steps}

    # ---- drawing
    STATUS_LABELS = {
        "failed": "FAILED 失败",
        "not_selected": "not selected 未选择",
        "done": "done 完成",
        "skipped": "skipped 未运行",
        "waiting": "waiting 等待",
        "running": "running 运行中",
    }

    def status_key(self, row: _Row) -> str:
        if row.failed:
            return "failed"
        if not row.selected:
            return "not_selected"
        if row.finished is not None:
            return "done"
        if row.started is None:
            return "skipped" if self.closed else "waiting"
        return "running"

    def status(self, row: _Row) -> str:
        return self.STATUS_LABELS[self.status_key(row)]

    def line(self, row: _Row, *, live: bool) -> str:
        label = pad(row.stage.label, 16)
        progress = row.progress()
        counter = ""
        if progress is not None and row.selected:
            done, total = progress
            counter = f"{done:,}/{total:,} {row.stage.unit}".rstrip()
            if live and row.finished is None and row.started is not None and total:
                filled = min(self.BAR, int(self.BAR * done / total))
                counter = "[" + "█" * filled + "·" * (self.BAR - filled) + "] " + counter
        seconds = row.seconds(self.clock())
        elapsed = "" if seconds is None else seconds_text(seconds)
        return f"{label} {pad(counter, 38)} {pad(elapsed, 10)} {self.status(row)}".rstrip()

    def _emit_finished(self, row: _Row, final: bool = False) -> None:
        """Plain output: a stage's line once it is over (or, at the end, not run)."""
        if self.live or row.printed:
            return
        if row.finished is None and not final:
            return
        row.printed = True
        self.stream.write(self.line(row, live=False) + "\n")
        self.stream.flush()

    def lines(self) -> list[str]:
        return [self.line(row, live=True) for row in self.rows.values()]

    def draw(self, force: bool = False) -> None:
        if not self.live:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last_draw < 0.1:
                return
            self._last_draw = now
            width = max(40, self._columns() - 1)  # a wrapped line would break the redraw
            text = "".join(f"\r\x1b[2K{clip(line, width)}\n" for line in self.lines())
            up = f"\x1b[{self._drawn}F" if self._drawn else ""
            self.stream.write(up + text)
            self.stream.flush()
            self._drawn = len(self.rows)

    def _columns(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return shutil.get_terminal_size((80, 20)).columns

    def _tick(self) -> None:
        while not self._stopped.wait(0.5):
            self.draw(force=True)


# --------------------------------------------------------------------------- one run
class RunConsole:
    """What ``salesops run`` shows and keeps: the run log opened, the stage lines drawn from
    the run's events (:meth:`follow`), and at the end the warnings (once each, with a count)
    and, after a failure, what failed. A context manager: leaving it restores the console."""

    FAILURES_SHOWN = 5

    def __init__(self, home: Path, run_id: str, *, verbose: bool = False):
        self.log_path = log_path(home, run_id)
        self.record_path = stage_record_path(self.log_path)
        self.run_id = run_id
        self.success: bool | None = None
        self.verbose = verbose
        self.log = RunLog(self.log_path, verbose=verbose)
        self.board: StageBoard | None = None
        # epoch = monotonic + this offset, taken when the run starts, as the run log's own
        # times are: a wall clock adjusted during the run must not shift the stage record
        self.wall_offset = time.time() - time.monotonic()
        self.events = None
        self.dbt = DbtLines(on_progress=self._dbt_progress)
        self._handlers: list[logging.Handler] = []
        self._saved_colors = os.environ.get("DBT_USE_COLORS")

    def _dbt_progress(self, done: int, total: int) -> None:
        if self.board is not None:
            self.board.count("warehouse", done, total)

    def __enter__(self) -> RunConsole:
        self.log.open()
        self.echo(f"Run log 运行日志: {self.log_path}")
        if not self.verbose:
            os.environ["DBT_USE_COLORS"] = "false"  # plain text in the log
            self.board = StageBoard(self.log.console, live=self.log.console_isatty())
        self.log.line_listeners.append(self.dbt.feed)
        run_logger = logging.getLogger(RUN_LOGGER)
        run_logger.setLevel(logging.DEBUG)
        run_logger.propagate = False
        to_file = logging.StreamHandler(self.log.stream)
        to_file.setFormatter(logging.Formatter(LOG_FORMAT))
        self._handlers.append(to_file)
        if self.verbose:  # Dagster's console view; the dbt lines come through the tap
            to_console = logging.StreamHandler(self.log.original_stderr)
            to_console.setFormatter(logging.Formatter(LOG_FORMAT))
            self._handlers.append(to_console)
        for handler in self._handlers:
            run_logger.addHandler(handler)
        return self

    def echo(self, text: str) -> None:
        self.log.console.write(text + "\n")
        self.log.console.flush()

    def follow(
        self, steps: Mapping[str, str], events_handler: Callable[[StageBoard], logging.Handler]
    ) -> None:
        """Draw the stages of these steps (step key → stage) from the events the handler reads."""
        board = self.board or StageBoard(io.StringIO())  # verbose: counted, not drawn
        board.plan(steps)
        self.board = self.board or board
        self.events = events_handler(board)
        self._handlers.append(self.events)
        logging.getLogger(RUN_LOGGER).addHandler(self.events)

    def finish(self, success: bool) -> None:
        """Close the stage lines, say what failed and which warnings came; restore the console."""
        if not self.log.is_open:
            return
        self.success = success
        if self.board is not None and not self.verbose:
            self.board.close(success)
            for line in self.report_lines(success):
                self.echo(line)
        self.close()

    def report_lines(self, success: bool) -> list[str]:
        lines: list[str] = []
        run_warnings = getattr(self.events, "warnings", None)
        if run_warnings is not None and run_warnings.counts:
            lines.append(f"Warnings 警告 ({run_warnings.total}, each shown once 重复的只显示一次):")
            lines += run_warnings.lines()
        if self.log.warnings.total:
            lines.append(
                f"Library warnings 库警告: {self.log.warnings.total} "
                f"({len(self.log.warnings.counts)} distinct 种), in the run log 见运行日志"
            )
        if not success:
            failures = list(getattr(self.events, "failures", []))
            if self.dbt.error_lines:  # dbt's own summary names the node and says why, briefly
                warehouse = [
                    step for step, _ in failures if self.board.step_stage.get(step) == "warehouse"
                ]
                failures = [f for f in failures if f[0] not in warehouse]
                failures.append((" ".join(warehouse) or "dbt", self.dbt.error_lines))
            lines.append("What failed 失败原因:")
            for where, detail in failures[: self.FAILURES_SHOWN]:
                lines.append(f"  {where}:")
                lines += [f"    {line}" for line in detail]
            if len(failures) > self.FAILURES_SHOWN:
                lines.append(f"  … and {len(failures) - self.FAILURES_SHOWN} more in the log")
            if not failures:
                lines.append(f"  see the run log 见运行日志: {self.log_path}")
        return lines

    def write_record(self) -> None:
        """The stage record beside the run log (:meth:`StageBoard.record`, epoch seconds)."""
        if self.board is None:
            return
        import json

        record = {
            "run_id": self.run_id,
            "log": self.log_path.name,
            "success": self.success,
            **self.board.record(wall_offset=self.wall_offset),
        }
        try:
            self.record_path.write_text(json.dumps(record, indent=1), encoding="utf-8")
        except OSError as exc:  # a record for programs must never fail the run
            self.log.stream.write(f"stage record not written: {exc}\n")

    def close(self) -> None:
        run_logger = logging.getLogger(RUN_LOGGER)
        for handler in self._handlers:
            run_logger.removeHandler(handler)
        self._handlers = []
        if self.board is not None and not self.board.closed:
            self.board.close(False)
        if self.log.is_open:  # once: the command's exit closes a finished console again
            self.write_record()
        self.log.close()
        if self._saved_colors is None:
            os.environ.pop("DBT_USE_COLORS", None)
        else:
            os.environ["DBT_USE_COLORS"] = self._saved_colors

    def __exit__(self, *exc) -> None:
        self.close()
