"""`salesops dashboard` served for real and read in headless Chromium (what a manager sees)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dashboards.test_page_funnel import write_funnel_page_marts

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def published(salesops_home, build_snapshot):
    """The frame's snapshot with the funnel page's own marts."""
    build_snapshot(salesops_home.snapshot_db, extra_tables=(write_funnel_page_marts,))
    return salesops_home


@pytest.fixture
def served(published) -> str:
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("salesops")), "dashboard", "--port", str(port)],
        env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dashboard did not start:\n{server.stdout.read().decode()}") from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_funnel_page_renders_in_chromium(served, tmp_path):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: `apt-get install chromium fonts-noto-cjk` (make test does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(served)
        ready = '[data-testid="stApp"][data-test-script-state="notRunning"]'
        page.wait_for_selector(ready, timeout=60_000)
        page.get_by_label("用户名").fill("hq")
        page.get_by_label("密码").fill("pw-hq")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("已登录：周总").wait_for(timeout=30_000)
        page.get_by_role("link", name="漏斗与管道").click()
        metrics = page.get_by_test_id("stMetricValue")
        metrics.filter(has_text="62").first.wait_for(timeout=30_000)  # HQ median lead-to-sign days
        assert "漏斗与管道" in page.inner_text("body")
        page.screenshot(path=str(tmp_path / "funnel_zh.png"), full_page=True)

        page.get_by_text("English").click()
        page.get_by_text("Lead-to-sign cycle").first.wait_for(timeout=30_000)
        assert "Funnel and pipeline" in page.inner_text("body")
        browser.close()
