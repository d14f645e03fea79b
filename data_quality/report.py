"""A self-contained, bilingual HTML report of validation outcomes (our "Data Docs").

Why not GX's own Data Docs: they need a file-backed context and its site builder, render
from GX's stored validation results, and pull fonts/scripts from CDNs, so offline they render
unstyled; they also cannot merge results written by separate processes (one Dagster check
per table) without a shared store. This report is one HTML file with inline CSS, built from
the plain JSON each check writes (:mod:`data_quality.runs`), and every value is HTML-escaped.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data_quality.validate import ValidationOutcome

TIMEZONE = ZoneInfo("Asia/Shanghai")
SAMPLE_LIMIT = 20

WARNING_LIMIT = 200
"""Conflict rows listed per table in the HTML report; the Parquet file has them all."""

_CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
.meta{color:#59636e;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.75rem 0;font-size:.88rem}
th,td{border:1px solid #d0d7de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.82rem}
pre{margin:0;white-space:pre-wrap;word-break:break-word}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-weight:600;font-size:.8rem;white-space:nowrap}
.pass{background:#dafbe1;color:#116329}.fail{background:#ffebe9;color:#a40e26}.error{background:#fff1c2;color:#7d4e00}
tr.failed td{background:#fff8f7}tr.errored td{background:#fffbea}
.desc{color:#59636e;font-size:.82rem}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _badge(success: bool, error: bool = False) -> str:
    if error:
        return '<span class="badge error">无法执行 ERROR</span>'
    if success:
        return '<span class="badge pass">通过 PASS</span>'
    return '<span class="badge fail">未通过 FAIL</span>'


def _anchor(outcome: ValidationOutcome) -> str:
    return "suite-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in outcome.suite)


def _expectation_rows(outcome: ValidationOutcome) -> list[dict]:
    """Every expectation of the outcome, errors first, then failures, then passes."""
    rows = outcome.results or [{**f, "success": False} for f in outcome.failures]
    rank = lambda r: 0 if r.get("error") else (1 if not r.get("success") else 2)  # noqa: E731
    return sorted(rows, key=rank)  # stable: suite order within each group


def _observed_cell(row: dict) -> str:
    if row.get("error"):
        return f"<pre>{_e(row['error'])}</pre>"
    observed = {k: v for k, v in (row.get("observed") or {}).items() if k != "partial_unexpected_list"}
    return f"<pre>{_e(_json(observed))}</pre>" if observed else ""


def _sample_cell(row: dict) -> str:
    sample = (row.get("observed") or {}).get("partial_unexpected_list") or []
    if not sample:
        return ""
    items = "".join(f"<li><code>{_e(_json(v))}</code></li>" for v in sample[:SAMPLE_LIMIT])
    return f"<ul>{items}</ul>"


def _suite_section(outcome: ValidationOutcome) -> str:
    rows = []
    for row in _expectation_rows(outcome):
        error = bool(row.get("error"))
        css = "errored" if error else ("" if row.get("success") else "failed")
        description = f'<div class="desc">{_e(row["description"])}</div>' if row.get("description") else ""
        rows.append(
            f'<tr class="{css}"><td>{_badge(bool(row.get("success")), error)}</td>'
            f"<td><code>{_e(row['expectation'])}</code>{description}</td>"
            f"<td><pre>{_e(_json(row.get('kwargs') or {}))}</pre></td>"
            f"<td>{_observed_cell(row)}</td><td>{_sample_cell(row)}</td></tr>"
        )
    counts = (
        f"期望 expectations: {outcome.evaluated} · 未通过 failed: {len(outcome.failures)}"
        f" · 无法执行 could not run: {len(outcome.errors)}"
        + (f" · 行数 rows: {outcome.rows}" if outcome.rows is not None else "")
    )
    return (
        f'<section id="{_e(_anchor(outcome))}"><h2>{_e(outcome.suite)} {_badge(outcome.success)}</h2>'
        f'<p class="meta">{_e(counts)}</p>'
        "<table><thead><tr><th>结果 Result</th><th>期望 Expectation</th><th>参数 Parameters</th>"
        "<th>观测值 Observed</th><th>异常值示例 Sample unexpected values</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{_ingest_section(outcome)}{_warnings_table(outcome)}</section>"
    )


def _ingest_section(outcome: ValidationOutcome) -> str:
    """What the ingest did to the rows: counts, columns not read, rows superseded (none silent)."""
    account = outcome.ingest
    if not account:
        return ""
    counts = (
        f"读取 read {account.get('rows_read', 0):,} = 保留 kept {account.get('rows_accepted', 0):,}"
        f" + 隔离 quarantined {account.get('rows_quarantined', 0):,}"
        f" + 被替代 superseded {account.get('rows_superseded', 0):,}"
        f" + 未载入 set aside {account.get('rows_set_aside', 0):,}"
    )
    parts = [f'<h3>入库记录 Ingest</h3><p class="meta">{_e(counts)}</p>']
    ignored = account.get("ignored_columns") or {}
    if ignored:
        rows = "".join(
            f"<tr><td><code>{_e(file)}</code></td><td>{_e(', '.join(columns))}</td></tr>"
            for file, columns in list(ignored.items())[:WARNING_LIMIT]
        )
        parts.append(
            "<h4>未读取的列 Columns not read (no contract column of that name; map one in a profile if it holds a field)</h4>"
            "<table><thead><tr><th>文件 File</th><th>列 Columns</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    superseded = account.get("superseded") or []
    if superseded:
        rows = "".join(
            f"<tr><td><code>{_e(s['file'])}</code></td><td>{s['rows']:,}</td>"
            f"<td>{_e(', '.join(f'{f} ×{n}' for f, n in s['by'].items()))}</td>"
            f"<td>{_e(', '.join(s['examples']))}</td></tr>"
            for s in superseded[:WARNING_LIMIT]
        )
        parts.append(
            "<h4>被替代的行 Rows superseded by a later row with the same key (latest extract wins)</h4>"
            "<table><thead><tr><th>文件 File</th><th>行数 Rows</th><th>由 By (file ×rows)</th>"
            f"<th>示例 Examples (key, line → kept line)</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return "".join(parts)


def _warnings_table(outcome: ValidationOutcome) -> str:
    """Rows kept but contradicting another table: both rows named, so either can be fixed."""
    if not outcome.warnings:
        return ""
    rows = "".join(
        f"<tr><td><code>{_e(w.get('file'))}</code> · {_e(w.get('line'))}</td><td>{_e(w.get('column'))} = "
        f"<code>{_e(w.get('value'))}</code></td><td>{_e(w.get('other_table'))}: <code>{_e(w.get('other_file'))}</code> · "
        f"{_e(w.get('other_line'))}</td><td><code>{_e(w.get('key'))}</code></td><td>{_e(w.get('reason'))}</td></tr>"
        for w in outcome.warnings[:WARNING_LIMIT]
    )
    more = len(outcome.warnings) - WARNING_LIMIT
    return (
        f'<h3><span class="badge error">{len(outcome.warnings)}</span> 跨表冲突（已保留两行）'
        " Conflicts with another table (both rows kept)</h3>"
        "<table><thead><tr><th>本表行 This row (file · line)</th><th>值 Value</th>"
        "<th>冲突行 Other row (table: file · line)</th><th>键 Key</th><th>原因 Reason</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        + (f'<p class="meta">… {more} more 更多: bronze/_conflicts/{_e(outcome.table)}.parquet</p>' if more > 0 else "")
    )


def render_html(outcomes: Sequence[ValidationOutcome], run_id: str, title: str) -> str:
    """The report as one HTML document: failing suites first, then by name."""
    ordered = sorted(outcomes, key=lambda o: (o.success, o.suite))
    failed = sum(not o.success for o in ordered)
    generated = datetime.now(TIMEZONE).strftime("%Y-%m-%d %H:%M:%S %z")
    overview = "".join(
        f'<tr><td><a href="#{_e(_anchor(o))}">{_e(o.suite)}</a></td><td>{_e(o.table or "")}</td>'
        f"<td>{_badge(o.success)}</td><td>{o.evaluated}</td><td>{len(o.failures)}</td>"
        f"<td>{'' if o.rows is None else o.rows}</td></tr>"
        for o in ordered
    )
    verdict = (
        '<span class="badge pass">全部通过 ALL PASSED</span>'
        if not failed
        else f'<span class="badge fail">{failed} 个套件未通过 {failed} suite(s) FAILED</span>'
    )
    body = "".join(_suite_section(o) for o in ordered) or "<p>没有校验结果 No validation results.</p>"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="meta">运行 Run: <code>{_e(run_id)}</code> · 生成时间 Generated: {_e(generated)}'
        f" · 套件 Suites: {len(ordered)} · {verdict}</p>"
        "<h2>概览 Overview</h2><table><thead><tr><th>套件 Suite</th><th>表 Table</th><th>结果 Result</th>"
        "<th>期望 Expectations</th><th>未通过 Failed</th><th>行数 Rows</th></tr></thead>"
        f"<tbody>{overview}</tbody></table>{body}</body></html>\n"
    )


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_run_report(outcomes: Sequence[ValidationOutcome], folder: Path, run_id: str, title: str) -> Path:
    """Write ``folder/index.html`` for these outcomes and return its path."""
    index = Path(folder) / "index.html"
    atomic_write_text(index, render_html(outcomes, run_id, title))
    return index
