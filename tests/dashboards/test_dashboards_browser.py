"""The served dashboards in headless Chromium, as managers use them (issue 14).

On the planted default world's published snapshot: an HQ manager and a rep each sign in
through the form, open every page in Chinese and in English, and on every page the charts
drew (each plotly chart has its SVG), no error box or traceback shows, and nothing was
requested from outside 127.0.0.1 (fonts, icons, scripts: the machines are offline). A
bookmarked page URL opens directly after sign-in (the session cookie), and the default
URL works. Screenshots of every page are saved under ``test-artifacts/browser/``
(``SALESOPS_TEST_ARTIFACTS`` overrides) for a person to look at.
"""

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
from urllib.parse import urlparse

import duckdb
import pytest

from dashboards.navigation import PAGES
from salesops.users import add_user

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def artifacts() -> Path:
    folder = Path(os.environ.get("SALESOPS_TEST_ARTIFACTS") or REPO / "test-artifacts") / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(planted_world, tmp_path_factory) -> str:
    world = planted_world("default")
    home = tmp_path_factory.mktemp("browser_home")
    (home / "warehouse").mkdir()
    os.symlink(world.snapshot, home / "warehouse" / "salesops.duckdb")
    if (world.home / "briefs").exists():
        os.symlink(world.home / "briefs", home / "briefs")
    con = duckdb.connect(str(world.snapshot), read_only=True)
    try:
        top = con.execute(
            "select unit_id from marts.dim_org_units where parent_id is null"
        ).fetchall()[0][0]
        rep = con.execute(
            "select rep_id from marts.dim_reps where role = 'rep' and is_active order by rep_id limit 1"
        ).fetchall()[0][0]
    finally:
        con.close()
    users = home / "config" / "users.yaml"
    add_user(users, "boss", "总部经理", "manager", "pw-boss", unit_id=top)
    add_user(users, "seller", "一线销售", "rep", "pw-seller", rep_id=rep)
    port = free_port()
    env = {**os.environ, "SALESOPS_HOME": str(home)}
    env.pop("SALESOPS_USERS", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("salesops")), "dashboard", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
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
                    raise RuntimeError(
                        f"dashboard did not start:\n{server.stdout.read().decode()}"
                    ) from None
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def settle(page) -> None:
    page.wait_for_timeout(150)
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_timeout(150)
    page.wait_for_selector(READY, timeout=60_000)


def problems(page) -> list[str]:
    found = [
        page.locator(selector).first.inner_text()
        for selector in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]')
        if page.locator(selector).count()
    ]
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for index in range(charts.count()):
        if not charts.nth(index).locator("svg.main-svg").count():
            found.append(f"plotly chart {index} did not draw")
    return found


def page_titles(language: str) -> list[str]:
    import dashboards.i18n as i18n

    return [
        i18n.TEXTS[title][language] for _, _, title, _, _ in PAGES
    ]


@pytest.mark.parametrize(("username", "password"), [("boss", "pw-boss"), ("seller", "pw-seller")])
def test_every_page_in_both_languages_in_chromium(
    served: str, username: str, password: str
) -> None:
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} missing: `apt-get install chromium fonts-noto-cjk` (make test does it as root)"
        )
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    failures: list[str] = []
    charts_seen = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")

        def guard(route) -> None:
            host = urlparse(route.request.url).hostname
            if host in ("127.0.0.1", "localhost") or route.request.url.startswith(
                ("data:", "blob:")
            ):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.goto(served)
        settle(page)
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.get_by_test_id("stSidebarNav").wait_for(timeout=60_000)
        settle(page)
        for language in ("zh", "en"):
            if language == "en":
                page.get_by_text("English").click()
                settle(page)
            for title in page_titles(language):
                page.get_by_test_id("stSidebarNav").get_by_role(
                    "link", name=title, exact=True
                ).click()
                settle(page)
                charts_seen += page.locator('[data-testid="stPlotlyChart"]').count()
                failures += [
                    f"{username} {language} {title}: {problem}" for problem in problems(page)
                ]
                name = f"{username}-{language}-{title}".replace(" ", "_").replace("/", "_")
                page.screenshot(path=str(artifacts() / f"{name}.png"), full_page=True)
        # a bookmarked page opens directly in a new tab, signed in by the session cookie
        bookmarked = context.new_page()
        bookmarked.goto(f"{served}/funnel?lang=en")
        settle(bookmarked)
        bookmarked.get_by_test_id("stSidebarNav").wait_for(timeout=60_000)
        import dashboards.i18n as i18n

        assert bookmarked.locator("h1").first.inner_text() == i18n.TEXTS["funnel.title"]["en"]
        browser.close()
    assert not failures, failures
    assert not outside, f"requests left 127.0.0.1: {sorted(set(outside))[:10]}"
    assert charts_seen > 0


def test_the_briefs_read_on_a_phone(planted_world) -> None:
    """A manager brief's HTML at a phone's width (390 px): nothing wider than the screen, text
    at 16 px or more, in both languages; screenshots saved beside the others."""
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} missing: `apt-get install chromium fonts-noto-cjk` (make test does it as root)"
        )
    from playwright.sync_api import sync_playwright

    folders = sorted((planted_world("default").home / "briefs").glob("????-??-??"))
    assert folders, "the daily run wrote no brief"
    briefs = sorted((folders[-1] / "manager").glob("*.zh.html"))[:1]
    briefs += [path.with_name(path.name.replace(".zh.", ".en.")) for path in briefs]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        for path in briefs:
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
            assert width <= 390, (path.name, width)
            assert font >= 16, (path.name, font)
            page.screenshot(path=str(artifacts() / f"brief-phone-{path.stem}.png"), full_page=True)
        browser.close()
