"""The scaling benchmark's result (:mod:`benchmarks.scaling`) summarised and rendered: the
ratios, scaling exponents and the issue's goals (:func:`summarize`, stored in the JSON), a
markdown report (:func:`markdown`) and a log-log plot as plain SVG (:func:`svg`). Pure
functions of the result dict, so a result file can be rendered again:
``python -m benchmarks.scaling_report benchmarks/results/<date>-<sha>.json``."""

from __future__ import annotations

import math
from html import escape

from benchmarks.measure import STAGE_MEANING, STAGE_ORDER, exponent

RUNS = ("full", "incremental", "no_change")
RUN_FLOOR = {"full": "previous_day", "incremental": "day", "no_change": "day"}
TOTAL = "total"
GIB = 1024.0


# --------------------------------------------------------------------------- summary
def _ratio(numerator, denominator) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


def _stage_seconds(run: dict | None, stage: str) -> float | None:
    if not run:
        return None
    if stage == TOTAL:
        return run["seconds"]
    entry = run["stages"].get(stage)
    return None if entry is None else entry["seconds"]


def _stages_seen(result: dict) -> list[str]:
    seen = {
        stage
        for entry in result["scales"].values()
        for run in entry["runs"].values()
        for stage in run["stages"]
    }
    return [s for s in STAGE_ORDER if s in seen] + sorted(seen - set(STAGE_ORDER))


def scale_ratios(entry: dict) -> dict:
    """full ÷ floor, incremental ÷ full, no-change ÷ full; the same per stage."""
    runs = entry.get("runs", {})
    full, incremental, no_change = (runs.get(kind) for kind in RUNS)
    floors = entry.get("floors", {})
    floor_full = floors.get("previous_day", {}).get("seconds")
    floor_day = floors.get("day", {}).get("seconds")
    stages = {}
    for stage in [*(full or {}).get("stages", {}), TOTAL]:
        seconds = _stage_seconds(full, stage)
        stages[stage] = {
            "full_vs_floor": _ratio(seconds, floor_full),
            "incremental_vs_full": _ratio(_stage_seconds(incremental, stage), seconds),
            "no_change_vs_full": _ratio(_stage_seconds(no_change, stage), seconds),
        }
    return {
        "full_vs_floor": _ratio(_stage_seconds(full, TOTAL), floor_full),
        "incremental_vs_full": _ratio(
            _stage_seconds(incremental, TOTAL), _stage_seconds(full, TOTAL)
        ),
        "no_change_vs_full": _ratio(_stage_seconds(no_change, TOTAL), _stage_seconds(full, TOTAL)),
        "incremental_vs_floor": _ratio(_stage_seconds(incremental, TOTAL), floor_day),
        "stages": stages,
    }


def exponents(result: dict) -> dict:
    """Per run and stage (and the total, the run's peak RSS, the scan floor): the slope of
    log(seconds) against log(input rows) across the scales measured; None with one scale."""
    out: dict[str, dict] = {}
    entries = [e for e in result["scales"].values() if e.get("floors")]
    floor_points = [
        (e["floors"]["previous_day"]["rows"], e["floors"]["previous_day"]["seconds"])
        for e in entries
    ]
    out["scan_floor"] = {TOTAL: _round(exponent(floor_points))}
    for kind in RUNS:
        per_stage = {}
        for stage in [*_stages_seen(result), TOTAL]:
            points = [
                (e["floors"][RUN_FLOOR[kind]]["rows"], _stage_seconds(e["runs"].get(kind), stage))
                for e in entries
                if e["runs"].get(kind, {}).get("ok")
            ]
            per_stage[stage] = _round(exponent(points))
        rss_points = [
            (e["floors"][RUN_FLOOR[kind]]["rows"], e["runs"][kind]["peak_rss_mib"])
            for e in entries
            if e["runs"].get(kind, {}).get("ok")
        ]
        per_stage["peak_rss"] = _round(exponent(rss_points))
        out[kind] = per_stage
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


GOALS = (
    # (id, text, scale, measure, limit)
    ("sf1_full_vs_floor", "SF1 cold full run ≤ 10× the scan floor", "1", "full_vs_floor", 10.0),
    ("sf10_peak_rss", "SF10 full run completes, peak RSS ≤ 6 GiB", "10", "full_peak_rss_gib", 6.0),
    (
        "sf10_full_vs_floor",
        "SF10 full run ≤ 6× the scan floor (target)",
        "10",
        "full_vs_floor",
        6.0,
    ),
    (
        "sf1_incremental",
        "SF1 incremental day ≤ 20% of the full run",
        "1",
        "incremental_vs_full",
        0.2,
    ),
    (
        "sf10_incremental",
        "SF10 incremental day ≤ 20% of the full run",
        "10",
        "incremental_vs_full",
        0.2,
    ),
    (
        "demo_full_seconds",
        "Demo scale 0.25: landing → published ≤ 60 s (cold full run)",
        "0.25",
        "full_seconds",
        60.0,
    ),
)


def goals(result: dict) -> list[dict]:
    """Each goal of the issue: measured, met / missed, or not measured (scale not run) /
    failed (its run did not complete)."""
    out = []
    for goal_id, text, scale, measure, limit in GOALS:
        entry = result["scales"].get(scale)
        row = {"id": goal_id, "goal": text, "scale": scale, "limit": limit, "measured": None}
        runs = (entry or {}).get("runs", {})
        needed = ("full", "incremental") if measure == "incremental_vs_full" else ("full",)
        if entry is None or any(kind not in runs for kind in needed):
            row["status"] = "not measured"
        elif not all(runs[kind]["ok"] for kind in needed):
            row["status"] = "failed"
        else:
            ratios = entry.get("summary", {}) or scale_ratios(entry)
            value = {
                "full_vs_floor": ratios.get("full_vs_floor"),
                "incremental_vs_full": ratios.get("incremental_vs_full"),
                "full_peak_rss_gib": runs["full"]["peak_rss_mib"] / GIB,
                "full_seconds": runs["full"]["seconds"],
            }[measure]
            row["measured"] = None if value is None else round(value, 3)
            row["status"] = (
                "not measured" if value is None else ("met" if value <= limit else "missed")
            )
        out.append(row)
    return out


def summarize(result: dict) -> dict:
    """Adds ``summary`` to each scale (its ratios) and to the result (exponents, goals)."""
    for entry in result["scales"].values():
        entry["summary"] = scale_ratios(entry)
    result["summary"] = {"exponents": exponents(result), "goals": goals(result)}
    return result


# --------------------------------------------------------------------------- markdown
def _num(value, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def _goal_number(goal: dict, value: float, measured: bool) -> str:
    """A goal's figure in its unit (a share, GiB, seconds or a multiple of the floor): a
    measurement with its decimals, a limit as written."""
    if goal["id"].endswith("incremental"):
        return f"{value:.0%}"
    unit = {"sf10_peak_rss": " GiB", "demo_full_seconds": " s"}.get(goal["id"], "×")
    digits = {"sf10_peak_rss": ".2f"}.get(goal["id"], ".1f") if measured else "g"
    return f"{value:{digits}}{unit}"


def _goal_value(goal: dict) -> str:
    return "–" if goal["measured"] is None else _goal_number(goal, goal["measured"], measured=True)


def _goal_limit(goal: dict) -> str:
    return f"≤ {_goal_number(goal, goal['limit'], measured=False)}"


def dashboards_markdown(result: dict) -> list[str]:
    """Per scale, each page's load time (benchmarks/dashboards.py) and the slowest page."""
    lines: list[str] = []
    for key in sorted(result["scales"], key=float):
        board = result["scales"][key].get("dashboards")
        if not board:
            continue
        lines += [f"## Dashboard page loads at SF{key} (issue 14)", ""]
        if not board.get("ok"):
            lines += ["The page-load measurement failed; see the bench output.", ""]
            continue
        lines += [
            f"Snapshot {board['snapshot_mib']} MiB, viewed as the {board['viewer']}; "
            f"{next(iter(board['pages'].values()))['loads'] if board['pages'] else 0} loads per page in "
            "Streamlit's AppTest (the server side of a page view). Cold: caches cleared first (the "
            "first view after a publish); warm: a new session with the caches kept.",
            "",
            "| page | cold median | cold p95 | warm median | warm p95 |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, page in sorted(board["pages"].items(), key=lambda item: -item[1]["cold_p95_s"]):
            lines.append(
                f"| {name} | {page['cold_median_s']:.2f} s | {page['cold_p95_s']:.2f} s | "
                f"{page['warm_median_s']:.2f} s | {page['warm_p95_s']:.2f} s |"
            )
        if board.get("slowest_page"):
            slow = board["pages"][board["slowest_page"]]
            lines += [
                "",
                f"Slowest page: **{board['slowest_page']}** (cold p95 {slow['cold_p95_s']:.2f} s). "
                f"Goal p95 ≤ {board['goal_p95_s']:g} s for every page: "
                f"**{'met' if board['goal_met'] else 'missed'}**.",
            ]
        lines.append("")
    return lines


def markdown(result: dict) -> str:
    if "summary" not in result:
        summarize(result)
    env = result["environment"]
    lines = [f"# Daily-run scaling benchmark — {env['date']}, {env['short_sha']}", ""]
    scales = sorted(result["scales"], key=float)
    lines += [
        f"Scales {', '.join(scales) or '(none)'} (seed {result['settings']['seed']}); per scale a cold full run on "
        "the landing of the day before the last, an incremental run with the last day swapped in, and a "
        "no-change run; memory sampled every "
        f"{result['settings']['sample_interval_s']:g} s over the run's whole process tree. "
        "Produced by `make bench` (benchmarks/scaling.py).",
        "",
    ]
    if env["load_average_at_start"] > 0.5:
        lines += [
            f"**Warning: load average {env['load_average_at_start']} at start: the machine was not idle.**",
            "",
        ]
    if env["dirty"]:
        lines += ["**Warning: uncommitted changes in the working tree when measured.**", ""]
    incomplete = [s for s in scales if not result["scales"][s].get("complete")]
    if incomplete:
        lines += [
            f"**Incomplete scales: {', '.join(incomplete)}** (partial result, or a run failed).",
            "",
        ]

    lines += [
        "## Goals (issue 12)",
        "",
        "| goal | measured | goal | status |",
        "|---|---:|---:|---|",
    ]
    for goal in result["summary"]["goals"]:
        lines.append(
            f"| {goal['goal']} | {_goal_value(goal)} | {_goal_limit(goal)} | {goal['status']} |"
        )
    lines.append("")

    lines += [
        "## Runs",
        "",
        "| scale | input rows | scan floor s | full s | full ÷ floor | incremental s | "
        "incremental ÷ full | no-change s | no-change ÷ full | full peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scale in scales:
        entry = result["scales"][scale]
        floor = entry.get("floors", {}).get("previous_day", {})
        runs, ratios = entry.get("runs", {}), entry["summary"]
        lines.append(
            f"| {scale} | {_num(floor.get('rows'), 0)} | {_num(floor.get('seconds'), 2)} | "
            f"{_run_seconds(runs.get('full'))} | {_num(ratios['full_vs_floor'], 1, '×')} | "
            f"{_run_seconds(runs.get('incremental'))} | {_pct(ratios['incremental_vs_full'])} | "
            f"{_run_seconds(runs.get('no_change'))} | {_pct(ratios['no_change_vs_full'])} | "
            f"{_num((runs.get('full') or {}).get('peak_rss_mib'), 0)} |"
        )
    lines.append("")

    for scale in scales:
        entry = result["scales"][scale]
        runs = entry.get("runs", {})
        if not runs:
            continue
        lines += [f"### Scale {scale}: seconds and peak RSS (MiB) per stage", ""]
        lines += [
            "| stage | full s | full MiB | full ÷ floor | incremental s | incremental MiB | incr ÷ full | "
            "no-change s | no-change MiB | no-change ÷ full |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        stage_ratios = entry["summary"]["stages"]
        stages = [
            s for s in _stages_seen(result) if any(s in run["stages"] for run in runs.values())
        ]
        for stage in [*stages, TOTAL]:
            cells = [f"**{stage}**" if stage == TOTAL else stage]
            for kind in RUNS:
                run = runs.get(kind)
                if run is None:
                    cells += ["–", "–"]
                elif stage == TOTAL:
                    cells += [_num(run["seconds"], 1), _num(run["peak_rss_mib"], 0)]
                else:
                    st = run["stages"].get(stage, {})
                    cells += [_num(st.get("seconds"), 1), _num(st.get("peak_rss_mib"), 0)]
                ratio = stage_ratios.get(stage, {})
                if kind == "full":
                    cells.append(_num(ratio.get("full_vs_floor"), 1, "×"))
                else:
                    cells.append(_pct(ratio.get(f"{kind}_vs_full")))
            lines.append("| " + " | ".join(cells) + " |")
        notes = []
        for kind in RUNS:
            run = runs.get(kind)
            if run is None:
                continue
            changes = run.get("landing_changes", {})
            status = "ok" if run["ok"] else f"FAILED (exit {run['returncode']})"
            failed = [
                name for name, state in run.get("stage_status", {}).items() if state == "failed"
            ]
            notes.append(
                f"{kind}: {status}; landing {run['landing']} ({changes.get('copied', 0)} files copied, "
                f"{changes.get('kept', 0)} unchanged); largest single process {_num(run['max_process_rss_mib'], 0)} MiB; "
                f"{run['samples']} memory samples{_every(run)}; load {run['load_before']} before"
                + (f"; failed stages: {', '.join(failed)}" if failed else "")
            )
        lines += ["", *(f"- {note}" for note in notes), ""]

    lines += [
        "## Scan floors",
        "",
        "DuckDB reading every landing file once (all columns as text, counted), best of "
        f"{result['settings']['floor_repeats']}.",
        "",
        "| scale | landing | day | files | MiB | rows | seconds |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for scale in scales:
        entry = result["scales"][scale]
        for name, floor in entry.get("floors", {}).items():
            lines.append(
                f"| {scale} | {name} | {floor.get('day', '')} | {floor['files']} | {_num(floor['bytes'] / 2**20, 1)} | "
                f"{_num(floor['rows'], 0)} | {_num(floor['seconds'], 2)} |"
            )
    lines.append("")

    exps = result["summary"]["exponents"]
    lines += [
        "## Scaling exponents",
        "",
        "Slope of log(seconds) against log(input rows) across the scales (1 = linear; n/a with one scale).",
        "",
        "| stage | full | incremental | no-change |",
        "|---|---:|---:|---:|",
    ]
    for stage in [*_stages_seen(result), TOTAL, "peak_rss"]:
        cells = [_exp(exps.get(kind, {}).get(stage)) for kind in RUNS]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines.append(f"| scan floor | {_exp(exps['scan_floor'][TOTAL])} | | |")
    lines.append("")

    lines += dashboards_markdown(result)
    lines += ["## Stages", ""]
    lines += [f"- **{stage}**: {STAGE_MEANING[stage]}" for stage in STAGE_ORDER]
    lines += [
        "",
        "Peak RSS is the highest sum of the resident memory of the run's processes (salesops and its "
        "children, e.g. dbt) over the samples taken during the stage: pages shared between processes count "
        'once per process, and a stage shorter than the interval may have no sample (–). "Largest single '
        "process\" is the kernel's own peak (ru_maxrss) of the largest process of the tree.",
        "",
        "## Environment",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {env['cpu']} ({env['cores']} cores) |",
        f"| RAM | {env['ram_gib']} GiB |",
        f"| OS | {env['os']} |",
        f"| Python | {env['python']} |",
        *(
            f"| {name} | {version or 'not installed'} |"
            for name, version in env["versions"].items()
        ),
        f"| git | {env['sha']}{' (dirty)' if env['dirty'] else ''} |",
        f"| started | {env['started_at']} |",
        f"| load average at start | {env['load_average_at_start']} |",
        "",
    ]
    return "\n".join(lines)


def _every(run: dict) -> str:
    return f" (one per {run['seconds'] / run['samples']:.2f} s)" if run["samples"] else ""


def _run_seconds(run: dict | None) -> str:
    if run is None:
        return "–"
    return _num(run["seconds"], 1) + ("" if run["ok"] else " (failed)")


def _pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def _exp(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


# --------------------------------------------------------------------------- SVG
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
)


def _series(result: dict) -> list[dict]:
    """(label, colour, dash, points) for the plot: each stage of the full run, its total, the
    incremental and no-change totals, the scan floor."""
    entries = sorted(result["scales"].values(), key=lambda e: e["scale"])

    def points(kind: str, stage: str) -> list[tuple[float, float]]:
        out = []
        for e in entries:
            run = e.get("runs", {}).get(kind)
            floor = e.get("floors", {}).get(RUN_FLOOR[kind])
            if run and run["ok"] and floor:
                seconds = _stage_seconds(run, stage)
                if seconds and seconds > 0 and floor["rows"] > 0:
                    out.append((floor["rows"], seconds))
        return out

    series = []
    for index, stage in enumerate(_stages_seen(result)):
        series.append(
            {
                "label": f"full: {stage}",
                "colour": PALETTE[index % len(PALETTE)],
                "dash": "",
                "width": 1.5,
                "points": points("full", stage),
            }
        )
    series.append(
        {
            "label": "full: total",
            "colour": "#000000",
            "dash": "",
            "width": 3,
            "points": points("full", TOTAL),
        }
    )
    series.append(
        {
            "label": "incremental: total",
            "colour": "#000000",
            "dash": "8 4",
            "width": 2,
            "points": points("incremental", TOTAL),
        }
    )
    series.append(
        {
            "label": "no-change: total",
            "colour": "#000000",
            "dash": "2 3",
            "width": 2,
            "points": points("no_change", TOTAL),
        }
    )
    floor = [
        (e["floors"]["previous_day"]["rows"], e["floors"]["previous_day"]["seconds"])
        for e in entries
        if e.get("floors", {}).get("previous_day", {}).get("seconds")
    ]
    series.append(
        {
            "label": "scan floor (DuckDB read)",
            "colour": "#888888",
            "dash": "10 3 2 3",
            "width": 2.5,
            "points": floor,
        }
    )
    series.append(
        {
            "label": "10× scan floor (SF1 goal)",
            "colour": "#e6a0a0",
            "dash": "10 3 2 3",
            "width": 1.5,
            "points": [(x, 10 * y) for x, y in floor],
        }
    )
    return [s for s in series if s["points"]]


def svg(result: dict, width: int = 900, height: int = 560) -> str:
    """Log-log plot, seconds against input rows: each stage of the full run, the totals of the
    three runs and the scan floor. Plain SVG, no plotting library."""
    series = _series(result)
    left, right, top, bottom = 70, 250, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s["points"]]
    ys = [y for s in series for _, y in s["points"]]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15">Daily run: seconds vs input rows (log-log), '
        f"{escape(result['environment']['short_sha'])} {escape(result['environment']['date'])}</text>",
    ]
    if not xs:
        parts.append(f'<text x="{left}" y="{top + 30}">no completed run yet</text></svg>')
        return "\n".join(parts) + "\n"
    x_lo, x_hi = _decades(xs)
    y_lo, y_hi = _decades(ys)

    def px(x: float) -> float:
        return left + (math.log10(x) - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (math.log10(y) - y_lo) / (y_hi - y_lo) * plot_h

    parts.append(
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>'
    )
    for decade in range(x_lo, x_hi + 1):
        x = px(10**decade)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{_rows(decade)}</text>'
        )
    for decade in range(y_lo, y_hi + 1):
        y = py(10**decade)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_power(decade)}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">input rows (landing)</text>'
    )
    parts.append(
        f'<text x="18" y="{top + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {top + plot_h / 2})">seconds</text>'
    )
    for index, s in enumerate(series):
        coords = [(px(x), py(y)) for x, y in s["points"]]
        dash = f' stroke-dasharray="{s["dash"]}"' if s["dash"] else ""
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{s["colour"]}" '
                f'stroke-width="{s["width"]}"{dash}/>'
            )
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s["colour"]}"/>')
        ly = top + 10 + index * 18
        lx = left + plot_w + 15
        parts.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{s["colour"]}" '
            f'stroke-width="{s["width"]}"{dash}/>'
        )
        parts.append(f'<text x="{lx + 34}" y="{ly + 4}">{escape(s["label"])}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _decades(values: list[float]) -> tuple[int, int]:
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))
    return lo, max(hi, lo + 1)


def _rows(decade: int) -> str:
    """10^decade rows, short: 1k, 10k, 100k, 1M, 10M …"""
    for exponent_, unit in ((9, "G"), (6, "M"), (3, "k")):
        if decade >= exponent_:
            return f"{10 ** (decade - exponent_)}{unit}"
    return _power(decade)


def _power(decade: int) -> str:
    return (
        f"{10**decade:,}"
        if 0 <= decade <= 6
        else (f"{10.0**decade:g}" if decade < 0 else f"1e{decade}")
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.scaling_report RESULT.json``: the .md and .svg beside it, again."""
    import json
    import sys
    from pathlib import Path

    for name in argv if argv is not None else sys.argv[1:]:
        path = Path(name)
        result = summarize(json.loads(path.read_text(encoding="utf-8")))
        path.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
        path.with_suffix(".svg").write_text(svg(result), encoding="utf-8")
        print(f"→ {path.with_suffix('.md')}\n→ {path.with_suffix('.svg')}")


if __name__ == "__main__":
    main()
