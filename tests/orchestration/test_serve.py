"""``salesops serve`` starts the Dagster daemon, the Dagster UI and the dashboards, and stops
every one of them on SIGTERM, within seconds, with exit code 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.serve import services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (from /proc: the children of each)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_services_bind_loopback_and_load_the_definitions():
    chosen = {s.name: s for s in services(dagster_port=3001, dashboard_port=8502)}
    assert set(chosen) == {"dagster-daemon", "dagster-webserver", "dashboards"}
    assert chosen["dagster-webserver"].command[1:5] == ["-h", "127.0.0.1", "-p", "3001"]
    assert "orchestration.definitions" in chosen["dagster-daemon"].command
    assert chosen["dashboards"].url == "http://127.0.0.1:8502"
    assert [s.name for s in services(dashboards=False)] == ["dagster-daemon", "dagster-webserver"]


def test_serve_starts_and_stops_cleanly_on_sigterm(tmp_path):
    dagster_port, dashboard_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "SALESOPS_LANDING")}
    env["SALESOPS_HOME"] = str(tmp_path / "home")
    salesops = Path(sys.executable).with_name("salesops")
    server = subprocess.Popen(
        [
            str(salesops),
            "serve",
            "--port",
            str(dashboard_port),
            "--dagster-port",
            str(dagster_port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = [
            f"http://127.0.0.1:{dashboard_port}/_stcore/health",
            f"http://127.0.0.1:{dagster_port}/server_info",
        ]
        deadline = time.monotonic() + 40
        while not all(_answers(url) for url in health):
            assert server.poll() is None, server.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "serve did not answer on both ports in 40 s"
            time.sleep(0.3)
        children = _descendants(server.pid)
        assert len(children) >= 3  # daemon, webserver, dashboards (and their code servers)
        # Dagster's history lives under the data home
        assert (tmp_path / "home" / "dagster_home" / "dagster.yaml").exists()

        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=10)
        took = time.monotonic() - stopped_at
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
    assert server.returncode == 0, output[-3000:]
    assert took < 8, f"took {took:.1f} s to stop"
    left = [pid for pid in children if _alive(pid)]
    assert not left, f"still running after serve stopped: {left}\n{output[-3000:]}"
    assert "SIGTERM received" in output


@pytest.mark.parametrize("signum", [signal.SIGINT])
def test_serve_stops_on_sigint_even_when_started_with_sigint_ignored(tmp_path, signum):
    """A background job without job control starts with SIGINT ignored (why `dagster dev`
    under make ignored SIGTERM and SIGINT): serve installs its own handlers."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["SALESOPS_HOME"] = str(tmp_path / "home")
    # a service that only sleeps: the supervisor's signal handling, without Dagster's start-up
    code = (
        "import signal, sys\n"
        "from orchestration.serve import Service, serve\n"
        "sleeper = Service('sleeper', [sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "sys.exit(serve([sleeper], dict(__import__('os').environ)))\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        deadline = time.monotonic() + 15
        while "Serving" not in (line := server.stdout.readline()):
            assert line and time.monotonic() < deadline, "the supervisor did not start"
        children = _descendants(server.pid)
        assert children
        server.send_signal(signum)
        output, _ = server.communicate(timeout=8)
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
    assert server.returncode == 0, output
    assert not [pid for pid in children if _alive(pid)]
