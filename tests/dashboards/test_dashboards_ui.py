"""The formats every page shares, and the files behind the download buttons."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
import streamlit as st

from dashboards import ui


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (0, "¥0"),
        (9_999.4, "¥9,999"),
        (12_345, "¥1.2万"),
        (1_234_567, "¥123.5万"),
        (98_765_432, "¥9,876.5万"),
        (123_456_789, "¥1.23亿"),
        (-52_000, "-¥5.2万"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_yuan_uses_wan_and_yi_with_separators(amount, shown) -> None:
    assert ui.yuan(amount) == shown


@pytest.mark.parametrize(("language", "shown"), [("zh", "2026年11月6日"), ("en", "6 Nov 2026")])
def test_dates_read_in_the_local_format(language: str, shown: str) -> None:
    st.session_state["language"] = language
    try:
        assert ui.day(dt.date(2026, 11, 6)) == shown
        assert ui.day(pd.Timestamp("2026-11-06 23:10")) == shown
    finally:
        del st.session_state["language"]


def test_shares_and_points() -> None:
    assert ui.percent(0.2864) == "28.6%"
    assert ui.percent(None) == "—"
    assert ui.points(0.032).endswith("3.2个百分点") and ui.points(0.032).startswith("+")


def test_the_excel_download_is_a_workbook_with_the_readers_headers_and_raw_values() -> None:
    import fastexcel

    frame = pd.DataFrame(
        {"客户": ["上海明远科技有限公司"], "金额（元）": [1_234_567.0], "转化率": [0.25]}
    )
    workbook = fastexcel.read_excel(ui._xlsx(frame, "今日概览"))
    assert workbook.sheet_names == ["今日概览"]
    read = workbook.load_sheet(0).to_pandas()
    assert read.columns.tolist() == ["客户", "金额（元）", "转化率"]
    assert read.iloc[0].tolist() == ["上海明远科技有限公司", 1_234_567.0, 0.25]


def test_the_csv_download_opens_in_excel_with_chinese_text() -> None:
    data = ui._csv(pd.DataFrame({"销售": ["李娜"], "金额（元）": [52_000.0]}))
    assert data.startswith("\ufeff".encode())
    assert pd.read_csv(io.BytesIO(data), encoding="utf-8-sig").iloc[0].tolist() == [
        "李娜",
        52_000.0,
    ]
