"""How long each dashboard page takes to load on a published snapshot (issue 14).

    .venv/bin/python -m benchmarks.dashboards --home data/bench-1/home      # after make bench SCALES=1

``make bench`` runs it on each scale's home after the daily runs. Per page, ``--loads``
loads in Streamlit's AppTest (the server side of a page view: the whole script, sign-in
frame, scope picker, every query and every element, without the browser's drawing), as the
top unit's manager:

- **cold**: every Streamlit cache cleared first, the snapshot attached anew — the first
  view of the morning after a publish;
- **warm**: the same page again in a new session with the caches kept — every later view.

Reported per page: median and p95 of each, and the slowest page by cold p95. The goal is a
p95 ≤ 1 s for every page. Nothing here asserts a limit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

GOAL_P95_S = 1.0


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def measure(home: Path, loads: int = 20) -> dict:
    """Load every page ``loads`` times cold and warm on ``home``'s snapshot."""
    import duckdb
    import streamlit as st
    from streamlit.logger import set_log_level
    from streamlit.testing.v1 import AppTest

    # AppTest outside a server: Streamlit warns on every cached call that no runtime exists
    set_log_level("error")

    from dashboards.navigation import PAGES
    from salesops.users import add_user

    os.environ["SALESOPS_HOME"] = str(home)
    users = home / "bench" / "users.yaml"
    os.environ["SALESOPS_USERS"] = str(users)
    snapshot = home / "warehouse" / "salesops.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as con:
        top = con.execute(
            "select unit_id from marts.dim_org_units where parent_id is null order by unit_id"
        ).fetchall()[0][0]
    if not users.exists():
        add_user(users, "bench", "bench", "manager", "bench", unit_id=top)
    app_path = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"

    def load(page: str) -> float:
        app = AppTest.from_file(str(app_path), default_timeout=300)
        for key, value in (
            ("authentication_status", True),
            ("username", "bench"),
            ("name", "bench"),
            ("logout", None),
        ):
            app.session_state[key] = value
        app.switch_page(f"app_pages/{page}")
        started = time.perf_counter()
        app.run()
        seconds = time.perf_counter() - started
        if app.exception:
            raise RuntimeError(f"{page}: {app.exception[0].message}")
        return seconds

    pages = {}
    for _, file, _title, _, url_path in PAGES:
        cold, warm = [], []
        for _ in range(loads):
            st.cache_data.clear()
            st.cache_resource.clear()
            cold.append(load(file))
            warm.append(load(file))
        pages[url_path] = {
            "file": file,
            "loads": loads,
            "cold_median_s": statistics.median(cold),
            "cold_p95_s": _p95(cold),
            "warm_median_s": statistics.median(warm),
            "warm_p95_s": _p95(warm),
        }
        print(
            f"  page {url_path:<12} cold median {pages[url_path]['cold_median_s']:.2f} s, "
            f"p95 {pages[url_path]['cold_p95_s']:.2f} s; warm median "
            f"{pages[url_path]['warm_median_s']:.2f} s, p95 {pages[url_path]['warm_p95_s']:.2f} s",
            flush=True,
        )
    slowest = max(pages, key=lambda name: pages[name]["cold_p95_s"]) if pages else None
    return {
        "snapshot_mib": round(snapshot.stat().st_size / 2**20, 1),
        "viewer": f"manager of {top}",
        "pages": pages,
        "slowest_page": slowest,
        "goal_p95_s": GOAL_P95_S,
        "goal_met": bool(pages) and all(p["cold_p95_s"] <= GOAL_P95_S for p in pages.values()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dashboards", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--home", type=Path, required=True, help="a SALESOPS_HOME with a published snapshot"
    )
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    result = measure(args.home.resolve(), args.loads)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if result["slowest_page"]:
        slow = result["pages"][result["slowest_page"]]
        print(
            f"slowest page: {result['slowest_page']} (cold p95 {slow['cold_p95_s']:.2f} s); goal p95 ≤ "
            f"{GOAL_P95_S:g} s {'met' if result['goal_met'] else 'missed'}"
        )


if __name__ == "__main__":
    sys.exit(main())
