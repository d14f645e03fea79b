"""The dashboards' pages: sections, files, titles, icons and URL paths (one list, read by the
entry point's router and by pages that link to others)."""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"

# (section, page file, title key, icon, url path); the first is the default page ("/").
PAGES: list[tuple[str, str, str, str, str]] = [
    ("nav.today", "today.py", "today.title", ":material/today:", "today"),
    ("nav.targets", "dual_track.py", "dual_track.title", ":material/target:", "dual-track"),
    ("nav.targets", "cascade.py", "cascade.title", ":material/account_tree:", "cascade"),
    ("nav.process", "funnel.py", "funnel.title", ":material/filter_alt:", "funnel"),
    ("nav.process", "process.py", "process.title", ":material/monitor_heart:", "process"),
    ("nav.process", "loss.py", "loss.title", ":material/search_insights:", "loss"),
    ("nav.forecast", "forecast.py", "forecast.title", ":material/query_stats:", "forecast"),
    ("nav.capability", "knowhow.py", "knowhow.title", ":material/school:", "knowhow"),
    ("nav.capability", "voice.py", "voice.title", ":material/forum:", "voice"),
    (
        "nav.capability",
        "efficiency.py",
        "efficiency.title",
        ":material/compare_arrows:",
        "efficiency",
    ),
]


def page_file(url_path: str) -> str | None:
    """The page file (relative to the entry point, as ``st.page_link`` takes it) serving
    ``url_path``, or None when no page has it."""
    for _, file, _, _, path in PAGES:
        if path == url_path:
            return f"app_pages/{file}"
    return None
