"""What every page shows the same way: numbers, dates, tables with downloads, availability.

Formats (one place, so every page reads alike):

- money: ¥ with thousands separators; 万 from ¥10,000 and 亿 from ¥100,000,000 in cards
  and text (``yuan``); tables keep full yuan with separators (``money_column``) so they sort
  and add up, and their downloads carry the raw numbers;
- shares: percent with one decimal; percentage points with a sign;
- dates: ``2026年11月26日`` in Chinese, ``26 Nov 2026`` in English; ISO in tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from dashboards import data, scope
from dashboards.i18n import language, t

MISSING = "—"


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return False


def yuan(value: object) -> str:
    """¥1,234 · ¥12.3万 · ¥1.23亿 (negative amounts keep their sign)."""
    if is_missing(value):
        return MISSING
    amount = float(value)  # type: ignore[arg-type]
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e8:
        return f"{sign}¥{amount / 1e8:,.2f}亿"
    if amount >= 1e4:
        return f"{sign}¥{amount / 1e4:,.1f}万"
    return f"{sign}¥{amount:,.0f}"


def count(value: object) -> str:
    return MISSING if is_missing(value) else f"{int(value):,}"  # type: ignore[arg-type]


def percent(value: object, digits: int = 1) -> str:
    return MISSING if is_missing(value) else f"{float(value):.{digits}%}"  # type: ignore[arg-type]


def points(value: object) -> str:
    """A difference of shares in percentage points, signed: +3.2 pp / +3.2 个百分点."""
    if is_missing(value):
        return MISSING
    unit = "个百分点" if language() == "zh" else " pp"
    return f"{float(value) * 100:+.1f}{unit}"  # type: ignore[arg-type]


def number(value: object, digits: int = 1) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.{digits}f}"  # type: ignore[arg-type]


def day(value: object) -> str:
    """A date in the reader's format."""
    if is_missing(value):
        return MISSING
    date = pd.Timestamp(value).date()  # type: ignore[arg-type]
    if language() == "zh":
        return f"{date.year}年{date.month}月{date.day}日"
    return f"{date.day} {date:%b %Y}"


def month(value: object) -> str:
    if is_missing(value):
        return MISSING
    date = pd.Timestamp(value).date()  # type: ignore[arg-type]
    return f"{date.year}年{date.month}月" if language() == "zh" else f"{date:%b %Y}"


def stamp(value: dt.datetime) -> str:
    date = day(value)
    return f"{date} {value:%H:%M}"


# --- table columns -------------------------------------------------------------------------


def money_column(label: str, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, format="¥%,.0f", **kwargs)


PERCENT_FORMAT = "%.1f%%"


def percent_column(label: str, **kwargs: Any) -> Any:
    """A share (0–1) shown as 12.3%, like :func:`percent` in cards: :func:`table` shows the
    column ×100 (its downloads keep the share)."""
    return st.column_config.NumberColumn(label, format=PERCENT_FORMAT, **kwargs)


def count_column(label: str, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, format="%,d", **kwargs)


def number_column(label: str, digits: int = 1, **kwargs: Any) -> Any:
    return st.column_config.NumberColumn(label, format=f"%,.{digits}f", **kwargs)


def signed_column(label: str, digits: int = 1, **kwargs: Any) -> Any:
    """A change with its sign: +3 / −2.5 (whole numbers for ``digits=0``)."""
    number_format = "%+d" if digits == 0 else f"%+.{digits}f"
    return st.column_config.NumberColumn(label, format=number_format, **kwargs)


def date_column(label: str, **kwargs: Any) -> Any:
    return st.column_config.DateColumn(label, format="YYYY-MM-DD", **kwargs)


def datetime_column(label: str, **kwargs: Any) -> Any:
    return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm", **kwargs)


def checkbox_column(label: str, **kwargs: Any) -> Any:
    return st.column_config.CheckboxColumn(label, **kwargs)


ColumnKind = Literal[
    "text", "money", "percent", "count", "number", "signed", "date", "datetime", "checkbox"
]
_COLUMN_CONFIGS: dict[str, Callable[..., Any]] = {
    "money": money_column,
    "percent": percent_column,
    "count": count_column,
    "date": date_column,
    "datetime": datetime_column,
    "checkbox": checkbox_column,
}


@dataclass(frozen=True)
class Column:
    """One column of a shown table: where its values come from, its label, how it is shown.

    ``source`` names a column of the rows, or is the values themselves (worded by the page);
    ``kind`` is one of the formats above, or a function making the column config from the
    label for a format of the page's own; ``digits`` is for ``number`` and ``signed``."""

    source: str | Iterable[Any]
    label: str
    kind: ColumnKind | Callable[[str], Any] = "text"
    digits: int = 1

    def config(self) -> Any:
        if callable(self.kind):
            return self.kind(self.label)
        if self.kind == "number":
            return number_column(self.label, digits=self.digits)
        if self.kind == "signed":
            return signed_column(self.label, digits=self.digits)
        return _COLUMN_CONFIGS[self.kind](self.label)


# --- tables with downloads -----------------------------------------------------------------


def _xlsx(frame: pd.DataFrame, sheet: str) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        frame.to_excel(writer, sheet_name=sheet[:31] or "data", index=False)
        worksheet = writer.sheets[sheet[:31] or "data"]
        worksheet.freeze_panes(1, 0)
        for index, column in enumerate(frame.columns):
            worksheet.set_column(index, index, max(10, min(40, len(str(column)) * 2 + 2)))
    return buffer.getvalue()


def _csv(frame: pd.DataFrame) -> bytes:
    # UTF-8 with a byte-order mark: Excel on Windows opens Chinese text correctly.
    return frame.to_csv(index=False).encode("utf-8-sig")


def _download_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as dates (Excel has no timezone-aware datetimes)."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_localize(None)
    return out


def table(
    frame: pd.DataFrame,
    name: str,
    *,
    column_config: dict[str, Any] | None = None,
    height: int | str = "auto",
    key: str | None = None,
    **kwargs: Any,
) -> Any:
    """A table with its Excel and CSV downloads (file name ``name``, columns as labelled).

    ``frame``'s columns are already the reader's labels; extra keyword arguments go to
    ``st.dataframe`` (e.g. ``on_select``). The files are made only when a button is clicked."""
    shown_frame = frame.copy()
    for column, config in (column_config or {}).items():
        if (
            isinstance(config, dict)
            and (config.get("type_config") or {}).get("format") == PERCENT_FORMAT
            and column in shown_frame
        ):
            shown_frame[column] = pd.to_numeric(shown_frame[column], errors="coerce") * 100
    shown = st.dataframe(
        shown_frame,
        hide_index=True,
        width="stretch",
        height=height,
        column_config=column_config,
        key=key,
        **kwargs,
    )
    download = _download_frame(frame)
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        t("download.xlsx"),
        functools.partial(_xlsx, download, name),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key=f"{key or name}.xlsx",
    )
    right.download_button(
        t("download.csv"),
        functools.partial(_csv, download),
        file_name=f"{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{key or name}.csv",
    )
    return shown


def table_of(rows: pd.DataFrame | None, columns: Iterable[Column], name: str, **kwargs: Any) -> Any:
    """:func:`table` of ``columns`` taken from ``rows`` (``None`` when every column carries its
    values): the shown frame and its column config from one list (keyword arguments as for
    :func:`table`)."""
    columns = list(columns)
    frame = pd.DataFrame(
        {
            column.label: rows[column.source] if isinstance(column.source, str) else column.source
            for column in columns
        }
    )
    column_config = {column.label: column.config() for column in columns if column.kind != "text"}
    return table(frame, name, column_config=column_config, **kwargs)


def drill_table(
    units: pd.DataFrame,
    columns: Iterable[Column],
    name: str,
    *,
    current: data.Scope,
    key: str,
    hint: str,
) -> None:
    """A table of units (``units["unit_id"]``) under ``current``; selecting a row other than
    ``current`` itself makes that unit the scope."""
    shown = table_of(
        units,
        columns,
        name,
        # per scope: a selection left in the widget must not drill again in the child's scope
        key=f"{key}.{current.unit_id}",
        on_select="rerun",
        selection_mode="single-row",
    )
    st.caption(hint)
    selected = shown.selection.rows if shown is not None else []
    if selected and units["unit_id"].iloc[selected[0]] != current.unit_id:
        scope.drill_to(units["unit_id"].iloc[selected[0]])


# --- availability ----------------------------------------------------------------------------


def _tables(lists: Iterable[object]) -> str:
    names = {
        part.strip() for value in lists if not is_missing(value) for part in str(value).split(",")
    }
    return ", ".join(f"`{name}`" for name in sorted(names) if name)


def unavailable_marts(snapshot: data.Snapshot, marts: tuple[str, ...]) -> set[str]:
    """Marts of ``marts`` the source cannot feed (a warning names the missing extracts)."""
    availability = data.mart_availability(snapshot, marts)
    unavailable = availability[~availability["is_available"].astype(bool)]
    if not unavailable.empty:
        st.warning(
            t("unavailable", tables=_tables(unavailable["missing_tables"])),
            icon=":material/block:",
        )
    return set(unavailable["mart_name"])


def rep_only_notice(scope: data.Scope) -> bool:
    """True (and a note) when a rep views a unit-totals section they may not see."""
    if scope.viewer.is_rep:
        st.caption(t("scope.rep_only"))
        return True
    return False


def labelled(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """``frame``'s columns in ``labels`` order, renamed to the reader's words."""
    return frame[list(labels)].rename(columns=labels)


def labels(options: Iterable[Any], describe: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget's ``format_func`` whose labels are computed now, in this run's language.

    Streamlit may call ``format_func`` again outside the script run (AppTest does, to
    serialise a widget's value), where the language switch cannot be read; a lookup of
    labels made during the run always answers as the page was drawn."""
    return {option: describe(option) for option in options}.__getitem__
