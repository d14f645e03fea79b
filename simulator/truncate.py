"""A landing zone as it stood on an earlier day: "that day's extracts".

``truncate_landing(src, dst, day)`` copies a landing folder keeping only what was known at
the end of ``day``: every record whose own date (creation, occurrence, submission …) is on
or before it; later facts about an earlier record (a first response, a decision, a sync, a
termination) blanked; the opportunity extracts up to ``day`` with the latest one dated
``day``. Building the warehouse on the result with ``as_of = day`` must give the same as-of
figures as building it on the full landing with ``as_of = day``
(tests/test_as_of_rebuild.py): a model that reads data after as_of shows up as a
difference.

Opportunities: the dated parts ``crm/opportunities_YYYY-MM-DD.csv`` up to ``day`` are kept
and the undated latest extract dropped. When no part is dated ``day`` exactly, one is
written: each opportunity created by then with the values of its latest kept part (else of
the dropped latest extract) and its stage, status, closed_at, probability and loss reason
re-derived from the stage history up to ``day``. That is the best a copy can do — the
amount, owner and expected close date of that day are only known from an extract of that
day — so exact comparisons use a day that has a part (a month end in simulated data).

Usage: ``python -m simulator.truncate SRC DST YYYY-MM-DD``.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from salesops import contract

KNOWN_AT: dict[str, str | None] = {
    "org_units": None,
    "reps": "hire_date",
    "customers": "created_at",
    "leads": "created_at",
    "opportunity_stage_history": "entered_at",
    "qualification_events": "recorded_at",
    "activities": "occurred_at",
    "targets": None,
    "target_adjustments": "requested_at",
    "deviation_reports": "submitted_at",
    "forecast_submissions": "submitted_at",
    "competitor_events": "occurred_on",
    "market_events": "start_on",
    "sop_cards": "created_at",
    "sop_usage": "used_at",
    "sop_feedback": "submitted_at",
    "chat_messages": "sent_at",
    "contracts": "signed_at",
    "payments": "recorded_in_finance_at",
}
"""The column that says when a record became known; ``None``: every record is kept."""

LATER_FACTS: dict[str, tuple[str, ...]] = {
    "reps": ("termination_date",),
    "leads": ("first_response_at",),
    "target_adjustments": ("decided_at",),
    "payments": ("synced_to_crm_at",),
}
"""Columns holding a later fact about a kept record: blanked when after the day."""

_TERMINAL = ("won", "lost")


def _on_or_before(text: str, day: date) -> bool:
    """True when the ISO date/timestamp text falls on or before ``day`` (its calendar date, so
    `2026-06-30T18:00`, `2026-06-30 18:00:00+08:00` and `2026-06-30` all count as that day)."""
    return bool(text) and text[:10] <= day.isoformat()


def _known(values: pd.Series, day: date) -> pd.Series:
    """True where the text date/timestamp falls on or before ``day`` (see :func:`_on_or_before`)."""
    return values.ne("") & (values.str[:10] <= day.isoformat())


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])


def _write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def _truncate_table(name: str, df: pd.DataFrame, day: date) -> pd.DataFrame:
    column = KNOWN_AT.get(name)
    if column is not None:
        df = df[_known(df[column], day)]
    elif name == "targets":
        # a target is known once signed; an unsigned one from its period on
        signed = df.get("signed_at", pd.Series("", index=df.index))
        df = df[_known(signed, day) | (signed.eq("") & (df["period"] <= day.isoformat()[:7]))]
    df = df.copy()
    for later in LATER_FACTS.get(name, ()):
        if later in df.columns:
            df.loc[~_known(df[later], day), later] = ""
    if name == "target_adjustments" and "decided_at" in df.columns:
        df.loc[df["decided_at"].eq(""), "status"] = "pending"
    return df


def _opportunity_parts(crm: Path) -> dict[str, Path]:
    parts = {}
    for path in crm.glob("opportunities*.csv"):
        stem = path.stem.removeprefix("opportunities")
        parts[stem.lstrip("_")] = path
    return parts


def _stage_as_of(history: pd.DataFrame, day: date) -> pd.DataFrame:
    """Per opportunity: the latest stage-history entry on or before the day (ties: funnel order)."""
    known = history[_known(history["entered_at"], day)].copy()
    known["stage_order"] = known["stage"].map({s: i for i, s in enumerate(contract.STAGES)})
    known = known.sort_values(["opportunity_id", "entered_at", "stage_order"], kind="stable")
    return known.groupby("opportunity_id").tail(1).set_index("opportunity_id")


def _opportunities_on(
    parts: dict[str, Path], history: pd.DataFrame, day: date
) -> dict[str, pd.DataFrame]:
    """The opportunity extracts known on ``day``: dated parts up to it, the latest dated ``day``."""
    dated = {k: p for k, p in parts.items() if k and k <= day.isoformat()}
    kept = {k: _read(p) for k, p in sorted(dated.items())}
    if day.isoformat() in kept or "" not in parts and not kept:
        return kept
    # No part of that day: derive one from what is known (see the module docstring).
    latest = _read(parts[""]) if "" in parts else next(reversed(kept.values()))
    frames = [latest, *kept.values()]
    known = pd.concat(frames[::-1]).drop_duplicates("opportunity_id", keep="first")
    known = known[_known(known["created_at"], day)].copy()
    stage = _stage_as_of(history, day).reindex(known["opportunity_id"])
    has_entry = stage["stage"].notna().to_numpy()
    known["stage"] = stage["stage"].where(has_entry, "lead").to_numpy()
    known["status"] = [s if s in _TERMINAL else "open" for s in known["stage"]]
    closed = known["status"].isin(_TERMINAL).to_numpy()
    entered = stage["entered_at"].fillna("").to_numpy()
    final_close = known["closed_at"].to_numpy()
    known["closed_at"] = [
        (f if _on_or_before(f, day) else e) if c else ""
        for c, f, e in zip(closed, final_close, entered, strict=True)
    ]
    if "probability" in stage.columns:
        probability = stage["probability"].fillna("").to_numpy()
        known["probability"] = [
            p if h else q
            for h, p, q in zip(has_entry, probability, known["probability"], strict=True)
        ]
    for column in ("loss_reason_code", "loss_reason_text"):
        if column in known.columns:
            known.loc[known["status"] != "lost", column] = ""
    kept[day.isoformat()] = known.sort_values("opportunity_id").reset_index(drop=True)
    return kept


def truncate_landing(src: Path, dst: Path, day: date) -> Path:
    """Copy the landing folder ``src`` to ``dst`` as it stood at the end of ``day``."""
    src, dst = Path(src), Path(dst)
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for path in sorted(src.rglob("*")):
        relative = path.relative_to(src)
        if path.is_dir() or relative.parts[0] not in ("crm", "chat", "finance"):
            continue
        if relative.parts[0] == "crm" and path.name.startswith("opportunities"):
            continue
        table = contract.table_for_file(relative.parts[0], path.name)
        if table is None:
            continue
        name = table.name
        if path.suffix == ".jsonl":
            # lines kept as written: only those whose record was known by the end of the day
            column = KNOWN_AT[name]
            lines = [
                line
                for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and _on_or_before(str(json.loads(line).get(column) or ""), day)
            ]
            if lines:
                (dst / relative).parent.mkdir(parents=True, exist_ok=True)
                (dst / relative).write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            _write(_truncate_table(name, _read(path), day), dst / relative)
    crm = src / "crm"
    history_path = crm / "opportunity_stage_history.csv"
    history = (
        _read(history_path)
        if history_path.exists()
        else pd.DataFrame(columns=["opportunity_id", "stage", "entered_at"])
    )
    for key, df in _opportunities_on(_opportunity_parts(crm), history, day).items():
        _write(df, dst / "crm" / f"opportunities_{key}.csv")
    return dst


def main(argv: list[str] | None = None) -> None:
    src, dst, day = argv if argv is not None else sys.argv[1:]
    print(truncate_landing(Path(src), Path(dst), date.fromisoformat(day)))


if __name__ == "__main__":
    main()
