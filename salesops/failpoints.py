"""Crash points for the fault tests: ``SALESOPS_FAILPOINT=<point>`` kills the run there.

A fault test has to kill a run *during* its ingest, its dbt build or its publish. Timing a
``kill -9`` from outside on the console's output lands wherever the machine's load puts it
(often after the step already finished), so the run kills itself instead, with the same
signal, at a named point: nothing after that point runs (no ``finally``, no ``atexit``, no
flush), which is exactly what ``kill -9`` or the OOM killer does to a run.

Points (``tests/test_end_to_end.py`` uses each):

- ``ingest:<table>`` — after the table's new files are typed into parts and its bronze
  outputs written, before its registry is saved;
- ``dbt:<n>`` — after the dbt build reported its ``n``-th node, while it is still building
  (the dbt process dies with the run: :func:`die_with_parent`);
- ``publish`` — after the new snapshot is written next to the published one, before it is
  swapped in.

Unset (always, outside the tests) it costs one environment lookup per point.
"""

from __future__ import annotations

import os
import signal
import sys

VARIABLE = "SALESOPS_FAILPOINT"


def reach(point: str, detail: object = None) -> None:
    """Kill this process with SIGKILL when ``SALESOPS_FAILPOINT`` names this point."""
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    here = point if detail is None else f"{point}:{detail}"
    if wanted == here:
        os.kill(os.getpid(), signal.SIGKILL)


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when the process that started it dies (Linux).

    The dbt build runs in a child process; a run killed with SIGKILL cannot stop it, and an
    orphaned build would go on writing the warehouse while the next run starts. Elsewhere
    (no ``prctl``) this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGKILL)
