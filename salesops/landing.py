"""Is there anything to ingest? The daily job refuses an empty or missing landing folder.

A run on no extracts would replace the user's figures with an empty (or, formerly, a
generated sample) warehouse. Instead it stops before anything under ``SALESOPS_HOME`` is
created or touched, and says where the files go; the previously published snapshot stays.
Sample data lives only in the demo's own home (``salesops demo``).
"""

from __future__ import annotations

from pathlib import Path

from salesops.ingest.core import DATA_SUFFIXES


class EmptyLandingError(Exception):
    """The landing folder is missing or holds no extract file."""


def extract_files(landing: Path) -> list[Path]:
    """Files the ingest could read: data suffixes, outside hidden folders and files."""
    if not landing.is_dir():
        return []
    return [
        path
        for path in sorted(landing.rglob("*"))
        if path.is_file()
        and path.suffix.lower() in DATA_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(landing).parts)
    ]


def empty_landing_message(landing: Path) -> str:
    """What is wrong with ``landing`` and what to do, in English and Chinese."""
    state = "does not exist" if not landing.exists() else "holds no extract files"
    state_cn = "不存在" if not landing.exists() else "中没有任何数据文件"
    return (
        f"No extracts to ingest: the landing folder {landing} {state}. "
        "Put your CRM, chat and finance exports there (crm/*.csv, chat/*.jsonl, finance/*.csv, "
        "or Excel workbooks; see the README, 'Your own extracts'), or pass --landing DIR. "
        "To try salesops on generated sample data, run `salesops demo` (or `make demo`): it "
        "uses its own folder, never this one. Nothing was run; the previously published "
        "snapshot (if any) is unchanged.\n"
        f"没有可导入的数据：落地目录 {landing} {state_cn}。请把 CRM、聊天记录和财务导出文件放到该目录"
        "（crm/*.csv、chat/*.jsonl、finance/*.csv 或 Excel 工作簿），或用 --landing 指定目录；"
        "想先用示例数据体验，请运行 `salesops demo`（或 `make demo`），示例数据只写入演示专用目录。"
        "本次未运行，已发布的快照保持不变。"
    )


def require_extracts(landing: Path) -> None:
    """Raise :class:`EmptyLandingError` when ``landing`` holds nothing the ingest could read."""
    if not extract_files(landing):
        raise EmptyLandingError(empty_landing_message(landing))
