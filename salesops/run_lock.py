"""One run at a time per home, a run history, and what a killed run left behind.

- :class:`RunLock`: ``$SALESOPS_HOME/run.lock``, taken with ``fcntl.flock`` (the kernel
  releases it when the holding process dies, SIGKILL included, so a killed run never blocks
  the next one) and holding the running run's id, pid, host and start time, which a refused
  second run names.
- The run history ``$SALESOPS_HOME/logs/runs.jsonl``: one line when a run starts, one when
  it ends (ok / failed). A start with no end whose run no longer holds the lock was killed:
  ``salesops status`` says so, and the next run's start writes its end as ``killed``.
- :func:`remove_leftovers`: at a run's start, under the lock, the temporary snapshot copies
  and their ``.wal``, half-written bronze files and the private working copies a killed run
  left.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from salesops.config import Paths


class RunBusyError(Exception):
    def __init__(self, lock: Path, holder: dict | None):
        self.lock = lock
        self.holder = holder
        super().__init__(busy_message(lock, holder))


def describe_holder(holder: dict | None) -> str:
    if not holder:
        return "a run that has not yet written its name"
    return (
        f"run {holder.get('run_id', '?')} (pid {holder.get('pid', '?')} on "
        f"{holder.get('host', '?')}, since {holder.get('started_at', '?')})"
    )


def busy_message(lock: Path, holder: dict | None) -> str:
    return (
        f"{lock}: another run is going on this home: {describe_holder(holder)}. Wait for it to "
        "finish, or run again with --wait to start when it does. 另一个运行正在进行，请稍后或加 --wait"
    )


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class RunLock:
    """The home's run lock; a context manager once acquired (:meth:`acquire`)."""

    def __init__(self, paths: Paths, run_id: str):
        self.path = paths.run_lock
        self.run_id = run_id
        self._fd: int | None = None

    def acquire(self, *, wait: bool = False, on_wait=None) -> RunLock:
        """Take the lock at once, or raise :class:`RunBusyError` naming the holder; with
        ``wait``, call ``on_wait(holder)`` once and block until it is free."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = read_holder(self.path)
                if not wait:
                    raise RunBusyError(self.path, holder) from None
                if on_wait is not None:
                    on_wait(holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
            record = {
                "run_id": self.run_id,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started_at": _now(),
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD[self.path] = self
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        _HELD.pop(self.path, None)
        os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing the descriptor releases the flock
        self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


_HELD: dict[Path, RunLock] = {}
"""Locks this process holds: a Dagster run inside ``salesops run`` runs under the CLI's lock."""


def held_here(paths: Paths) -> bool:
    return paths.run_lock in _HELD


def read_holder(lock: Path) -> dict | None:
    try:
        text = lock.read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        return None


def current_holder(paths: Paths) -> dict | None:
    """The running run's record when the lock is held, else None (tried without waiting)."""
    if not paths.run_lock.exists():
        return None
    fd = os.open(paths.run_lock, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return read_holder(paths.run_lock) or {}
        return None
    finally:
        os.close(fd)


# ---------------------------------------------------------------- run history


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    outcome: str
    """ok, failed, killed (started, never ended, no longer running) or running."""
    started_at: str | None
    ended_at: str | None
    log: str | None
    pid: int | None


def _append(paths: Paths, entry: dict) -> None:
    paths.run_history.parent.mkdir(parents=True, exist_ok=True)
    with open(paths.run_history, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def record_start(paths: Paths, run_id: str, log: Path | None) -> None:
    _append(
        paths,
        {
            "event": "start",
            "run_id": run_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "at": _now(),
            "log": str(log) if log else None,
        },
    )


def record_end(paths: Paths, run_id: str, outcome: str) -> None:
    _append(paths, {"event": "end", "run_id": run_id, "outcome": outcome, "at": _now()})


def run_records(paths: Paths) -> list[RunRecord]:
    """Every recorded run, oldest first; a start with no end is ``running`` while its run
    holds the lock, else ``killed``."""
    if not paths.run_history.exists():
        return []
    starts: dict[str, dict] = {}
    ends: dict[str, dict] = {}
    for line in paths.run_history.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill
        (starts if entry.get("event") == "start" else ends)[entry.get("run_id")] = entry
    holder = current_holder(paths) or {}
    records = []
    for run_id, start in starts.items():
        end = ends.get(run_id)
        if end:
            outcome = end.get("outcome", "failed")
        else:
            outcome = "running" if holder.get("run_id") == run_id else "killed"
        records.append(
            RunRecord(
                run_id,
                outcome,
                start.get("at"),
                end.get("at") if end else None,
                start.get("log"),
                start.get("pid"),
            )
        )
    return records


def mark_killed(paths: Paths) -> list[RunRecord]:
    """Under the lock: every run that started and never ended was killed; record it."""
    killed = [r for r in run_records(paths) if r.outcome == "killed" and r.ended_at is None]
    for record in killed:
        record_end(paths, record.run_id, "killed")
    return killed


# ---------------------------------------------------------------- leftovers


def leftovers(paths: Paths) -> list[Path]:
    """What a killed run leaves: temporary snapshot copies and their ``.wal`` (publish,
    rollback), half-written bronze/quarantine files and registries (written to a ``.tmp``
    then renamed), and the working copies of decoded extracts (``tmp/work``, and
    ``bronze/_work`` where earlier versions kept them)."""
    found: list[Path] = []
    for folder in (paths.warehouse_dir, paths.snapshots_dir):
        if folder.is_dir():
            found += [p for p in folder.glob(".*.tmp*") if p.is_file()]
    for folder in (paths.bronze, paths.quarantine):
        if folder.is_dir():
            found += [p for p in folder.rglob("*.tmp") if p.is_file() and "_work" not in p.parts]
    for folder in (paths.work_dir, paths.bronze / "_work"):
        # a finished run leaves the folder empty: only one with files in it is a leftover
        if folder.is_dir() and any(p.is_file() for p in folder.rglob("*")):
            found.append(folder)
    return sorted(set(found))


def remove_leftovers(paths: Paths, log=None) -> list[Path]:
    """Remove :func:`leftovers` (call it holding the run lock: a live run's temporary files
    look the same); ``log(line)`` is told each removal."""
    removed = []
    for path in leftovers(paths):
        if path.is_dir():
            files = sum(1 for p in path.rglob("*") if p.is_file())
            shutil.rmtree(path, ignore_errors=True)
            what = f"{path} ({files} file{'s' if files != 1 else ''})"
        else:
            path.unlink(missing_ok=True)
            what = str(path)
        removed.append(path)
        if log is not None:
            log(f"removed what a killed run left 已清理: {what}")
    return removed
