"""Withdrawing a landing file's rows: ``salesops forget FILE`` and files removed from landing.

A personal-data deletion request (or a file loaded by mistake) is honoured by taking the
file out of what the run reads. Either way works:

- **remove the file from landing**: at the next run, every table that had read it drops its
  rows (bronze, quarantine, extract history, conflicts; the warehouse at that run's build);
- **forget it** (:func:`forget`): the file stays in landing but is not read again. The list
  is kept in ``$SALESOPS_HOME/config/forgotten.json``, keyed by the file's path relative to
  the landing folder, with when it was forgotten and its SHA-256 then. Every run names each
  forgotten file as not read (never skipped silently); :func:`unforget` reads it again.

The ingest (:func:`salesops.ingest.core.ingest_table`) withdraws every file it had read that
is no longer planned: its parts are deleted, its registry entry removed, and the run log
(``bronze/_log/<table>.jsonl``), the table's accounts and the run summary count its rows.

Deleted rows leave their bytes in a DuckDB file's freed blocks until they are reused: a
withdrawal therefore asks the next publish (:func:`request_compaction`) to write the build
warehouse and the snapshot afresh, with only live data.

Published snapshots kept for rollback (``warehouse/snapshots/``) were written before the
withdrawal and still hold the rows until they age out or are purged
(:func:`salesops.publish.purge_snapshots_except_current`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from salesops.config import Paths
from salesops.ingest import excel, reader

FORGOTTEN_VERSION = 1
REMOVED_REASON = "removed from landing 已从落地目录移除"
NOT_READ_REASON = (
    "in landing but no longer read for this table 不再读取: the profile ignores it, its sheet was "
    "renamed or removed, or another rule claims it"
)


class ForgetError(ValueError):
    """A forget or unforget that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class ForgottenFile:
    file: str
    """Path relative to the landing folder (``crm/opportunities_2026-03-31.csv``)."""
    forgotten_at: str
    """When ``salesops forget`` was run (ISO 8601, with its offset)."""
    sha256: str | None
    """The file's content hash when it was forgotten."""
    stat: str | None = None
    """Its size and modification time then (``<bytes>-<mtime ns>``): while they are the same,
    the content is not hashed again to tell whether it changed."""

    @property
    def forgotten_on(self) -> str:
        return self.forgotten_at[:10]

    @property
    def reason(self) -> str:
        """Why the run does not read it, as the run summary and the run log say it."""
        return f"forgotten on {self.forgotten_on} 已于{self.forgotten_on}撤回 (salesops forget)"

    def reason_in(self, landing: Path) -> str:
        """:attr:`reason`, saying so when the file in landing is no longer the one forgotten
        (a new export under the same name is not read either, until ``salesops unforget``)."""
        path = landing / self.file
        if (
            self.sha256
            and path.is_file()
            and _stat_key(path) != self.stat
            and reader.file_sha256(path) != self.sha256
        ):
            return (
                f"{self.reason}; its content changed since 内容已变化: salesops unforget {self.file} "
                "reads it again"
            )
        return self.reason


def forgotten_path(paths: Paths) -> Path:
    return paths.home / "config" / "forgotten.json"


def forgotten(paths: Paths) -> list[ForgottenFile]:
    """The forgotten landing files, by path."""
    return sorted(_load(paths).values(), key=lambda f: f.file)


def forgotten_by_file(paths: Paths) -> dict[str, ForgottenFile]:
    """The forgotten landing files, keyed by their landing-relative path (what the plan needs)."""
    return _load(paths)


def forget(paths: Paths, file: str | Path, now: dt.datetime | None = None) -> ForgottenFile:
    """Record a landing file as forgotten: the next run withdraws its rows and, from then on,
    names it as not read. Forgetting a file already forgotten changes nothing and returns the
    first record. Raises :class:`ForgetError` when ``file`` is not a file in the landing folder."""
    relative = landing_relative(paths, file)
    path = paths.landing / relative
    if not path.is_file():
        raise ForgetError(
            f"{file}: no such file in the landing folder {paths.landing} 落地目录中没有该文件. "
            "Give its path as the run names it, relative to the landing folder (salesops forget "
            "crm/opportunities_2026-03-31.csv); a file already removed from landing needs no forget: "
            "the next run withdraws its rows 已移除的文件在下次运行时自动撤回"
        )
    known = _load(paths)
    if relative in known:
        return known[relative]
    moment = (now or dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    entry = ForgottenFile(relative, moment, reader.file_sha256(path), _stat_key(path))
    known[relative] = entry
    _save(paths, known)
    return entry


def unforget(paths: Paths, file: str | Path) -> ForgottenFile:
    """Read a forgotten file again from the next run on; returns the record removed. Raises
    :class:`ForgetError` when ``file`` is not forgotten, naming the ones that are."""
    known = _load(paths)
    try:
        relative = landing_relative(paths, file)
    except ForgetError:
        relative = str(file)
    if relative not in known:
        listed = ", ".join(sorted(known)) or "none 无"
        raise ForgetError(
            f"{file} is not forgotten 该文件未被撤回 (forgotten files 已撤回的文件: {listed}). "
            "the list with dates is in config/forgotten.json"
        )
    entry = known.pop(relative)
    _save(paths, known)
    return entry


def landing_relative(paths: Paths, file: str | Path) -> str:
    """``file`` as a path relative to the landing folder: given so already, or as a path (from
    the current folder or absolute) inside it. Raises :class:`ForgetError` for a path outside."""
    candidate = Path(file).expanduser()
    landing = paths.landing.resolve()
    if not candidate.is_absolute():
        if (paths.landing / candidate).exists():
            return (paths.landing / candidate).resolve().relative_to(landing).as_posix()
        if not candidate.exists():
            return candidate.as_posix()
    try:
        return candidate.resolve().relative_to(landing).as_posix()
    except ValueError:
        raise ForgetError(
            f"{file} is outside the landing folder {paths.landing} 不在落地目录中: only files in it "
            "are read, so only they can be forgotten"
        ) from None


def forget_message(paths: Paths, entry: ForgottenFile, purge_requested: bool = False) -> str:
    """What ``salesops forget`` tells the user: what happens at the next run, and where the rows
    still are until then (the older published snapshots kept for rollback)."""
    from salesops.publish import older_snapshots

    lines = [
        f"Forgotten 已撤回: {entry.file} (on {entry.forgotten_on}).",
        "The next run (salesops run) takes its rows out of bronze, the quarantine and the warehouse, "
        "and names the file as not read; it stays in the landing folder. "
        "下次运行时其数据将从 bronze、隔离区和数据仓库中删除；文件仍留在落地目录中，不再读取。",
    ]
    older = len(older_snapshots(paths))
    if purge_requested:
        lines.append(
            "Once that run has published, it removes every older snapshot kept for rollback "
            "(warehouse/snapshots/): rollback will have nothing to go back to. "
            "该次运行发布后将删除所有用于回滚的旧快照。"
        )
    elif older or paths.snapshot_db.exists():
        lines.append(
            f"The published snapshot and {older} older one(s) kept for rollback (warehouse/snapshots/) "
            "hold its rows; after the next run the older ones still do, until they age out "
            "(SALESOPS_KEEP_SNAPSHOTS) or are purged (salesops forget --purge-snapshots). "
            "用于回滚的旧快照仍含这些数据，直至过期或被清除。"
        )
    lines.append(f"To read it again 恢复读取: salesops unforget {entry.file}")
    return "\n".join(lines)


def withdrawal_reason(paths: Paths, label: str, known: dict[str, ForgottenFile]) -> str:
    """Why a file the ingest had read is withdrawn: forgotten, removed, or no longer planned."""
    file = landing_file(label)
    if file in known:
        return known[file].reason
    if (paths.landing / file).is_file():
        return NOT_READ_REASON
    return REMOVED_REASON


def landing_file(label: str) -> str:
    """The landing file of a registry label (``book.xlsx#Sheet1`` → ``book.xlsx``)."""
    file, sep, _ = label.partition("#")
    if sep and Path(file).suffix.lower() in excel.EXCEL_SUFFIXES:
        return file
    return label


def _stat_key(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def _load(paths: Paths) -> dict[str, ForgottenFile]:
    path = forgotten_path(paths)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            name: ForgottenFile(name, entry["forgotten_at"], entry.get("sha256"), entry.get("stat"))
            for name, entry in data["files"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ForgetError(
            f"{path}: not a forgotten-files list this version can read ({exc}) 无法读取撤回列表. "
            "Fix or remove the file (removing it reads every file in landing again)"
        ) from None


def _save(paths: Paths, known: dict[str, ForgottenFile]) -> None:
    path = forgotten_path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": FORGOTTEN_VERSION,
        "files": {
            name: {k: v for k, v in asdict(entry).items() if k != "file"}
            for name, entry in sorted(known.items())
        },
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def compaction_request_path(paths: Paths) -> Path:
    return paths.warehouse_dir / "compact.request"


def request_compaction(paths: Paths) -> None:
    """Ask the next publish to write the warehouse files afresh (a file was withdrawn). Kept
    until a publish has done it: a run killed after its withdrawal leaves it for the next."""
    path = compaction_request_path(paths)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
