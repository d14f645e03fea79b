"""Helpers the whole-pipeline tests share: a re-exported extract that corrects the past, and
a row-by-row comparison of two tables."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

LAST_DAY = date(2026, 10, 31)
"""The simulator's last day (default config): the day the newest extracts are cut."""
QUOTE_WORD = "报价"
"""A price keyword (seed chat_keywords): a message naming it has a keyword hit."""


def correct_the_past(landing: Path) -> dict[str, str]:
    """Two corrections a re-export brings: an old extract's amount, a past stage entry's day."""
    crm = landing / "crm"
    extract = crm / "opportunities_2026-06-30.csv"
    values = pd.read_csv(extract, dtype=str, keep_default_na=False)
    # an opportunity still open on that extract's day, so its amount shows in the snapshot
    amount_row = values.index[(values["amount"] != "") & (values["status"] == "open")][0]
    amount_opportunity = values.at[amount_row, "opportunity_id"]
    values.at[amount_row, "amount"] = str(float(values.at[amount_row, "amount"]) + 12345)
    values.to_csv(extract, index=False)

    history_file = crm / "opportunity_stage_history.csv"
    history = pd.read_csv(history_file, dtype=str, keep_default_na=False)
    entered = pd.to_datetime(history["entered_at"])
    # an entry in mid-2026 of an opportunity with a later entry: moved one day earlier
    later = history.groupby("opportunity_id")["entered_at"].transform("max") > history["entered_at"]
    other = history["opportunity_id"] != amount_opportunity
    candidates = history.index[other & later & (entered > "2026-05-01") & (entered < "2026-06-01")]
    row = candidates[0]
    stage_opportunity = history.at[row, "opportunity_id"]
    history.at[row, "entered_at"] = (entered[row] - timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    history.to_csv(history_file, index=False)

    # a chat message about a quote re-linked to another opportunity: the day's keyword hits
    # stay as many, only whose they are changes
    archive = landing / "chat" / "chat_messages_2026-06.jsonl"
    messages = pd.read_json(archive, lines=True, dtype=False)
    linked = messages["opportunity_id"].notna() & (messages["opportunity_id"] != "")
    about_a_quote = messages.index[linked & messages["text"].str.contains(QUOTE_WORD)]
    message = about_a_quote[len(about_a_quote) // 2]
    others = messages.loc[linked & (messages["opportunity_id"] != messages.at[message, "opportunity_id"]), "opportunity_id"]
    messages.at[message, "opportunity_id"] = others.iloc[0]
    messages.to_json(archive, orient="records", lines=True, force_ascii=False)
    return {
        "amount": amount_opportunity,
        "stage": stage_opportunity,
        "chat_day": date.fromisoformat(str(messages.at[message, "sent_at"])[:10]),
    }


def differing_rows(con, left: str, right: str) -> int:
    """Rows of ``left`` and ``right`` that do not pair up: every column equal, but a double
    within 1e-9 (relative): DuckDB sums doubles in parallel, so two builds of the same data may
    differ in the last bits."""
    columns = con.execute(f"select * from {left} limit 0").description
    doubles = [name for name, kind, *_ in columns if kind in ("DOUBLE", "FLOAT")]
    exact = [f'"{name}"' for name, *_ in columns if name not in doubles]
    keys = ", ".join(exact) or "1"
    numbered = (
        "select *, row_number() over (partition by {keys} order by {order}) as _n from {table}"
    )
    order = ", ".join(f'"{d}"' for d in doubles) or "1"
    paired = " and ".join(
        [f"l.{c} is not distinct from r.{c}" for c in [*exact, "_n"]]
        + [
            f'(l."{d}" is not distinct from r."{d}" or abs(l."{d}" - r."{d}") <= 1e-9 * greatest(1, abs(l."{d}")))'
            for d in doubles
        ]
    )
    left_rows, right_rows = (
        con.execute(f"select count(*) from {table}").fetchall()[0][0] for table in (left, right)
    )
    matched = con.execute(
        f"select count(*) from ({numbered.format(keys=keys, order=order, table=left)}) as l "
        f"inner join ({numbered.format(keys=keys, order=order, table=right)}) as r on {paired}"
    ).fetchall()[0][0]
    return (left_rows - matched) + (right_rows - matched)
