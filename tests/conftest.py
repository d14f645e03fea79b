from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


import pytest  # noqa: E402

from salesops.config import HOME_VARIABLE, Paths  # noqa: E402


@pytest.fixture
def salesops_home(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """An empty SALESOPS_HOME in the test's tmp dir: nothing published yet."""
    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path / "home"))
    return Paths.from_env()
