"""Fixtures for the dashboard tests: SALESOPS_HOME in a tmp dir, snapshots, the app."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from fixture_warehouse import APP, build_snapshot
from streamlit.testing.v1 import AppTest

from salesops.config import HOME_VARIABLE, Paths


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def salesops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """An empty SALESOPS_HOME: nothing published yet."""
    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path / "home"))
    return Paths.from_env()


@pytest.fixture
def published(salesops_home: Paths) -> Paths:
    """SALESOPS_HOME with the fixture snapshot published."""
    build_snapshot(salesops_home.snapshot_db)
    return salesops_home


@pytest.fixture
def publish(salesops_home: Paths) -> Callable[..., Path]:
    """Publish a new snapshot the way the pipeline does: build aside, then os.replace."""

    def _publish(**kwargs) -> Path:
        staging = salesops_home.warehouse_dir / "publish.tmp.duckdb"
        build_snapshot(staging, **kwargs)
        os.replace(staging, salesops_home.snapshot_db)
        return salesops_home.snapshot_db

    return _publish


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)
