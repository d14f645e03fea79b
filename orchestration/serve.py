"""``salesops serve``: the Dagster daemon, the Dagster UI and the dashboards, for a team server.

One supervisor process starts each service in a process group of its own and, on SIGTERM or
SIGINT, sends SIGTERM to every group, waits a few seconds and kills what is left, then exits 0.

Why not ``dagster dev``: it is superseded by ``dg dev`` in Dagster 1.13 (a warning on every
start; ``dg`` is not installed here), and it maps SIGTERM to whatever SIGINT does
(``dagster._utils.interrupts.setup_interrupt_handlers``). A process started in the background
without job control — by ``make`` from a script, ``nohup``, ``cmd &`` — inherits SIGINT
*ignored*, so ``dagster dev`` ignored SIGTERM as well and, once stopped, waited up to 60 s per
child. Here the supervisor installs its own handlers (a handler, unlike an ignore, is reset to
the default in the children at exec), so both signals work however it was started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from salesops.config import REPO_ROOT

STOP_SECONDS = 5.0
"""How long the services get to stop after SIGTERM before they are killed."""
DAGSTER_MODULE = "orchestration.definitions"


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    url: str | None = None


def _bin(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else name


def services(
    *,
    host: str = "127.0.0.1",
    dagster_port: int = 3000,
    dashboard_port: int = 8501,
    dagster: bool = True,
    dashboards: bool = True,
) -> list[Service]:
    """The command lines ``salesops serve`` starts (a pure function, for the tests)."""
    chosen: list[Service] = []
    if dagster:
        workspace = ["-m", DAGSTER_MODULE, "-d", str(REPO_ROOT)]
        chosen.append(Service("dagster-daemon", [_bin("dagster-daemon"), "run", *workspace]))
        chosen.append(
            Service(
                "dagster-webserver",
                [_bin("dagster-webserver"), "-h", host, "-p", str(dagster_port), *workspace],
                f"http://{host}:{dagster_port}",
            )
        )
    if dashboards:
        chosen.append(
            Service(
                "dashboards",
                dashboards_command(host, dashboard_port),
                f"http://{host}:{dashboard_port}",
            )
        )
    return chosen


def dashboards_command(host: str, port: int) -> list[str]:
    """Streamlit serving the dashboards (``salesops dashboard``, ``salesops serve``)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO_ROOT / "dashboards" / "app.py"),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


class _Stop(Exception):
    def __init__(self, signum: int):
        self.signum = signum


def _raise_stop(signum: int, _frame) -> None:
    raise _Stop(signum)


def _stop_all(processes: Sequence[tuple[Service, subprocess.Popen]], echo) -> None:
    """SIGTERM to every service's process group, a few seconds' grace, then SIGKILL."""
    for _, process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for service, process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            echo(f"{service.name} did not stop in {STOP_SECONDS:.0f} s: killed 强制结束")
    for _, process in processes:
        # the group too: a service's own children (code servers) may outlive it
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def serve(chosen: Sequence[Service], env: dict[str, str], echo=print) -> int:
    """Run the services until SIGTERM/SIGINT (exit 0) or until one of them exits (its code, or 1)."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    processes: list[tuple[Service, subprocess.Popen]] = []
    try:
        for service in chosen:
            processes.append(
                (service, subprocess.Popen(service.command, env=env, start_new_session=True))
            )
            echo(
                f"{service.name} started (pid {processes[-1][1].pid})"
                + (f" → {service.url}" if service.url else "")
            )
        echo("Serving; stop with Ctrl-C or SIGTERM 服务已启动，Ctrl-C 或 SIGTERM 停止")
        while True:
            for service, process in processes:
                code = process.poll()
                if code is not None:
                    echo(
                        f"{service.name} exited with code {code}: stopping the other services "
                        f"{service.name} 意外退出，停止其他服务"
                    )
                    return code or 1
            time.sleep(0.5)
    except _Stop as stop:
        echo(f"{signal.Signals(stop.signum).name} received: stopping the services 正在停止服务…")
        return 0
    finally:
        # a second signal while stopping must not leave children behind
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        _stop_all(processes, echo)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        echo("Stopped 已停止")
