"""The engines benchmark's report: ratios from the measured seconds, failures named."""

from benchmarks.engines import report

ENV = {
    "date": "2026-12-05", "short_sha": "abc", "dirty": False, "cpu": "cpu", "cores": 2,
    "ram_gib": 24, "load_average_at_start": 0.1,
}


def test_the_ratios_are_computed_from_the_measured_seconds():
    result = {
        "environment": ENV,
        "scales": {
            "1": {
                "scan_floor": {"seconds": 2.0, "rows": 2_000_000},
                "duckdb": {"ok": True, "build_seconds": 40.0, "peak_rss_mib": 1000, "load_before": 0.1},
                "spark": {"ok": True, "build_seconds": 300.0, "peak_rss_mib": 5000, "load_before": 0.2,
                          "export_seconds": 9.0},
            },
            "10": {
                "scan_floor": {"seconds": 5.0, "rows": 20_000_000},
                "duckdb": {"ok": True, "build_seconds": 200.0, "peak_rss_mib": 3000, "load_before": 0.1},
                "spark": {"ok": False, "build_seconds": 10.0, "peak_rss_mib": 100, "load_before": 0.1},
            },
        },
    }
    text = report(result)
    row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert "| 40.0 s | 20.0× | 300.0 s | 150.0× | 7.5× | 9.0 s |" in row
    assert "Failed builds: 10 spark" in text
    failed = next(line for line in text.splitlines() if line.startswith("| 10 |"))
    assert "| — s | — | — |" in failed  # no cost or ratio from a failed build
