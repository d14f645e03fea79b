from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A problem that stops a table's ingest: names the file, what is wrong and what to do."""

    def __init__(self, file: Path | str, problem: str, fix: str) -> None:
        self.file = str(file)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.file}: {problem}. {fix}")
