import pytest


@pytest.fixture
def bench_environment() -> dict:
    """A benchmark result's ``environment`` block, as ``benchmarks.scaling.environment`` writes it."""
    return {
        "date": "2026-12-04",
        "started_at": "2026-12-04T05:00:00+00:00",
        "sha": "abcdef0123456789",
        "short_sha": "abcdef0123",
        "dirty": False,
        "cpu": "Test CPU",
        "cores": 2,
        "ram_gib": 24.0,
        "os": "Linux",
        "python": "3.11.7",
        "versions": {"duckdb": "2.0.1", "dbt-core": "1.11.16"},
        "load_average_at_start": 0.2,
    }
