"""Excel landing files: each sheet read into a DuckDB table of text, as the CSV reader does.

Every workbook is written here (xlsxwriter, xlwt, msoffcrypto) in the shape a 国产 CRM's
商机列表 export takes once people have handled it: title rows, merged two-row headers,
合计 rows, broken formulas, hidden sheets, passwords.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import duckdb
import pytest
import xlsxwriter
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from salesops.ingest import excel
from salesops.ingest.errors import IngestError
from salesops.ingest.profile import ReadOptions

HEADER = [
    "商机名称",
    "客户名称",
    "负责人",
    "所属部门",
    "商机阶段",
    "商机金额",
    "预计成交日期",
    "创建时间",
]
TITLE = "商机列表  导出时间：2026-12-01 08:03"


def _xlsx(path: Path, build, sheet: str = "商机列表") -> Path:
    """A workbook with one sheet (``build(workbook, worksheet)`` fills it)."""
    workbook = xlsxwriter.Workbook(str(path))
    build(workbook, workbook.add_worksheet(sheet))
    workbook.close()
    return path


def _read(path: Path, sheet: str = "商机列表", **options):
    con = duckdb.connect()
    raw = excel.read_sheet(con, path, sheet, ReadOptions(**options), "raw_sheet")
    cursor = con.execute(f"select * from {raw.table} order by _record")
    columns = [d[0] for d in cursor.description]
    return raw, [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()], con


def _crm_export(workbook, ws) -> None:
    """Title (merged) in row 1, a blank row 2, the header in row 3, data from row 4."""
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.merge_range(0, 0, 0, len(HEADER) - 1, TITLE)
    ws.write_row(2, 0, HEADER)
    ws.write_row(
        3, 0, ["华东数据中心扩容", "上海宏远科技有限公司", "张伟", "华东大区", "方案报价", 12800.5]
    )
    ws.write_datetime(3, 6, dt.datetime(2026, 3, 5), day)
    ws.write_datetime(3, 7, dt.datetime(2026, 3, 5, 14, 20), moment)
    ws.write_row(4, 0, ["ERP 二期", "北京智联软件", "李娜", "华北大区", "商务谈判", "¥12,800.00"])
    ws.write_string(4, 6, "2026年3月5日")
    ws.write_number(4, 7, 46086)
    # row 6 left empty: skipped like a blank CSV line
    ws.write_row(6, 0, ["云桌面采购", "广州恒达贸易", "王芳", "华南大区", "初步接洽", "12.8万"])
    ws.write_row(7, 0, ["合计", None, None, None, None, 12812.8])


def test_title_rows_are_skipped_and_lines_are_excel_row_numbers(tmp_path: Path) -> None:
    raw, rows, con = _read(_xlsx(tmp_path / "商机列表.xlsx", _crm_export))

    assert raw.header == HEADER
    assert [(r["_record"], r["_line"]) for r in rows] == [(1, 4), (2, 5), (3, 7)]
    assert [r["商机名称"] for r in rows] == ["华东数据中心扩容", "ERP 二期", "云桌面采购"]
    assert raw.set_aside == [(8, "totals row 合计行")]
    assert raw.rejects == [] and raw.notes == []
    types = dict(
        con.execute(f"select column_name, column_type from (describe {raw.table})").fetchall()
    )
    assert types == {"_record": "BIGINT", "_line": "BIGINT", **dict.fromkeys(HEADER, "VARCHAR")}


def test_values_come_through_as_the_text_excel_shows(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        _crm_export(workbook, ws)
        ws.write_row(
            8, 0, ["数字", "  客户留空格 ", None, None, None, 12345678901, 0.0000001, True]
        )

    _, rows, _ = _read(_xlsx(tmp_path / "values.xlsx", build))

    first, second, third, numbers = rows
    assert first["商机金额"] == "12800.5"
    assert first["预计成交日期"] == "2026-03-05 00:00:00"  # a date cell
    assert first["创建时间"] == "2026-03-05 14:20:00"
    assert second["商机金额"] == "¥12,800.00"  # text stays exactly as typed
    assert second["预计成交日期"] == "2026年3月5日"
    assert second["创建时间"] == "46086"  # a serial number in a plain number cell
    assert third["商机金额"] == "12.8万"
    assert third["预计成交日期"] is None
    assert numbers["客户名称"] == "  客户留空格 "  # typing trims, not the reader
    assert (numbers["商机金额"], numbers["预计成交日期"], numbers["创建时间"]) == (
        "12345678901",
        "0.0000001",
        "true",
    )


def test_formula_errors_read_as_their_excel_literals(tmp_path: Path) -> None:
    literals = ["#REF!", "#DIV/0!", "#N/A", "#VALUE!", "#NAME?", "#NULL!", "#NUM!"]

    def build(workbook, ws) -> None:
        # A broken formula in the title rows must not be taken for a header cell.
        ws.write_formula(0, 0, "=#REF!", None, "#REF!")
        ws.write(0, 1, "导出人：张伟")
        ws.write_row(1, 0, ["商机名称", "商机金额", "赢率", "备注"])
        for i, literal in enumerate(literals):
            ws.write(2 + i, 0, f"商机{i}")
            ws.write_formula(2 + i, 1, "=A1", None, literal)
            ws.write_number(2 + i, 2, 0.3)
            ws.write_formula(2 + i, 3, "=A1", None, "#N/A")  # a column of nothing but errors

    raw, rows, _ = _read(_xlsx(tmp_path / "errors.xlsx", build))

    assert raw.header == ["商机名称", "商机金额", "赢率", "备注"]
    assert [r["商机金额"] for r in rows] == literals
    assert [r["_line"] for r in rows] == list(range(3, 10))
    assert {r["备注"] for r in rows} == {"#N/A"}
    assert {r["赢率"] for r in rows} == {"0.3"}
    assert set(literals) < set(excel.FORMULA_ERRORS)
    assert "#GETTING_DATA" in excel.FORMULA_ERRORS and "#ERROR!" in excel.FORMULA_ERRORS


def _two_row_header(workbook, ws) -> None:
    """Row 2-3: 商机名称/客户名称 merged down, 金额 and 日期 merged across their two columns."""
    ws.merge_range(0, 0, 0, 5, "商机回款表")
    ws.merge_range(1, 0, 2, 0, "商机名称")
    ws.merge_range(1, 1, 2, 1, "客户名称")
    ws.merge_range(1, 2, 1, 3, "金额")
    ws.merge_range(1, 4, 1, 5, "日期")
    ws.write_row(2, 2, ["商机金额", "已回款", "预计成交日期", "创建时间"])
    ws.write_row(3, 0, ["ERP 二期", "北京智联软件", 500000, 200000, "2026-06-30", "2026-01-08"])


def test_two_row_header_with_merged_group_cells(tmp_path: Path) -> None:
    raw, rows, _ = _read(_xlsx(tmp_path / "回款.xlsx", _two_row_header))

    assert raw.header == ["商机名称", "客户名称", "商机金额", "已回款", "预计成交日期", "创建时间"]
    assert [(r["_line"], r["商机名称"], r["已回款"]) for r in rows] == [(4, "ERP 二期", "200000")]


def test_two_row_header_names_repeated_columns_group_slash_name(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        ws.merge_range(0, 0, 1, 0, "商机名称")
        ws.merge_range(0, 1, 1, 1, "负责人")
        ws.merge_range(0, 2, 0, 3, "计划")
        ws.merge_range(0, 4, 0, 5, "实际")
        ws.write_row(1, 2, ["金额", "日期", "金额", "日期"])
        ws.write_row(2, 0, ["ERP 二期", "李娜", 500000, "2026-06-30", 480000, "2026-07-02"])

    raw, rows, _ = _read(_xlsx(tmp_path / "计划实际.xlsx", build))

    assert raw.header == ["商机名称", "负责人", "计划/金额", "计划/日期", "实际/金额", "实际/日期"]
    assert rows[0]["实际/金额"] == "480000" and rows[0]["_line"] == 3


def test_sparse_group_row_above_the_column_names_belongs_to_the_header(tmp_path: Path) -> None:
    """Two group names over eight columns are fewer than half of the widest row."""

    def build(workbook, ws) -> None:
        ws.write(0, 0, TITLE)
        ws.merge_range(1, 2, 1, 4, "计划")
        ws.merge_range(1, 5, 1, 7, "实际")
        ws.write_row(2, 0, ["商机名称", "负责人", "金额", "日期", "阶段", "金额", "日期", "阶段"])
        ws.write_row(3, 0, ["ERP 二期", "李娜", 1, "2026-06-30", "谈判", 2, "2026-07-02", "赢单"])

    raw, rows, _ = _read(_xlsx(tmp_path / "sparse.xlsx", build))

    assert raw.header == [
        "商机名称",
        "负责人",
        "计划/金额",
        "计划/日期",
        "计划/阶段",
        "实际/金额",
        "实际/日期",
        "实际/阶段",
    ]
    assert [r["_line"] for r in rows] == [4]


def test_a_text_record_under_a_blank_header_cell_is_not_a_second_header_row(
    tmp_path: Path,
) -> None:
    def build(workbook, ws) -> None:
        ws.write_row(0, 0, ["商机名称", "客户名称", None, "商机阶段"])
        ws.write_row(1, 0, ["ERP 二期", "北京智联软件", "重点", "初步接洽"])

    raw, rows, _ = _read(_xlsx(tmp_path / "blank.xlsx", build))

    assert raw.header == ["商机名称", "客户名称", "_blank_3", "商机阶段"]
    assert [(r["_line"], r["_blank_3"]) for r in rows] == [(2, "重点")]


def test_blank_header_cells_are_named_only_when_the_column_holds_data(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        ws.write_row(4, 2, ["商机名称", None, "商机金额", None, "负责人", None])
        ws.write_row(5, 2, ["ERP 二期", None, 1000, "漏填表头的列", "李娜", "   "])
        ws.write_row(6, 2, ["云桌面", None, 2000, None, "王芳", "\u3000"])

    raw, rows, _ = _read(_xlsx(tmp_path / "offset.xlsx", build))

    # Columns C.. of the sheet: E (blank, no data) and H (only spaces) are dropped; F keeps
    # its values under its Excel column number.
    assert raw.header == ["商机名称", "商机金额", "_blank_6", "负责人"]
    assert [(r["_line"], r["_blank_6"]) for r in rows] == [(6, "漏填表头的列"), (7, None)]


def test_header_cells_lose_line_breaks_and_surrounding_spaces(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        ws.write_row(
            0, 0, ["商机金额\n(元)", "  负责人 ", "Expected\r\nClose Date", "预计\n成交日期"]
        )
        ws.write_row(1, 0, [1, "李娜", "2026-06-30", "2026-06-30"])

    raw, _, _ = _read(_xlsx(tmp_path / "wrapped.xlsx", build))

    assert raw.header == ["商机金额(元)", "负责人", "Expected Close Date", "预计成交日期"]


def test_totals_rows_are_set_aside_with_their_excel_row(tmp_path: Path) -> None:
    labels = ["合计", "总计：", " 小 计 ", "汇总:", "Grand Total", "TOTAL:", "Subtotal", "sum"]

    def build(workbook, ws) -> None:
        ws.write_row(0, 0, ["商机名称", "负责人", "商机金额"])
        ws.write_row(1, 0, ["合计项目A", "张伟", 100])  # a record whose name starts with 合计
        for i, label in enumerate(labels):
            ws.write_row(2 + i, 0, [label, None, 100 * i])
        ws.write_row(10, 0, [None, "合计", 900])  # the label in the second column
        ws.write_row(11, 0, ["ERP 二期", "合计", 5])  # a record: its first cell is not a label

    raw, rows, _ = _read(_xlsx(tmp_path / "totals.xlsx", build))

    assert [r["_line"] for r in rows] == [2, 12]
    assert raw.set_aside == [(line, "totals row 合计行") for line in range(3, 12)]


def test_xls_workbook(tmp_path: Path) -> None:
    path = tmp_path / "商机列表.xls"
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("商机列表")
    ws.write(0, 0, TITLE)
    for j, name in enumerate(HEADER[:6]):
        ws.write(1, j, name)
    ws.write(2, 0, "华东数据中心扩容")
    ws.write(2, 1, "上海宏远科技有限公司")
    ws.write(2, 5, 12800.5)
    ws.write(3, 0, "合计")
    ws.write(3, 5, 12800.5)
    hidden = book.add_sheet("参数")
    hidden.write(0, 0, "x")
    hidden.visibility = 1
    book.save(str(path))

    assert excel.list_sheets(path) == [
        excel.SheetMeta("商机列表", True),
        excel.SheetMeta("参数", False),
    ]
    raw, rows, _ = _read(path)
    assert raw.header == HEADER[:6]
    assert [(r["_line"], r["商机名称"], r["商机金额"]) for r in rows] == [
        (3, "华东数据中心扩容", "12800.5")
    ]
    assert raw.set_aside == [(4, "totals row 合计行")]


def test_sheets_in_workbook_order_with_visibility(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet("商机列表").write_row(0, 0, HEADER)
    workbook.add_worksheet("下拉选项").hide()
    workbook.add_worksheet("宏参数").very_hidden()
    workbook.add_worksheet("客户列表")
    workbook.close()

    assert excel.list_sheets(path) == [
        excel.SheetMeta("商机列表", True),
        excel.SheetMeta("下拉选项", False),
        excel.SheetMeta("宏参数", False),
        excel.SheetMeta("客户列表", True),
    ]


def test_password_protected_workbook(tmp_path: Path) -> None:
    plain = _xlsx(tmp_path / "plain.xlsx", _crm_export)
    locked = tmp_path / "商机列表_加密.xlsx"
    with open(plain, "rb") as src, open(locked, "wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)

    for call in (lambda: excel.list_sheets(locked), lambda: _read(locked)):
        with pytest.raises(IngestError) as failed:
            call()
        assert failed.value.file == str(locked)
        assert "password-protected (encrypted)" in failed.value.problem
        assert "用密码进行加密" in failed.value.fix


def test_truncated_workbook(tmp_path: Path) -> None:
    whole = _xlsx(tmp_path / "whole.xlsx", _crm_export).read_bytes()
    cut = tmp_path / "商机列表.xlsx"
    cut.write_bytes(whole[: len(whole) // 2])

    for call in (lambda: excel.list_sheets(cut), lambda: _read(cut)):
        with pytest.raises(IngestError) as failed:
            call()
        assert failed.value.file == str(cut)
        assert "damaged or not a complete Excel file" in failed.value.problem
        assert failed.value.fix == "Download/export it again"


def test_damaged_sheet_names_the_sheet(tmp_path: Path) -> None:
    whole = _xlsx(tmp_path / "whole.xlsx", _crm_export)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(
                item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data
            )

    assert excel.list_sheets(damaged) == [excel.SheetMeta("商机列表", True)]
    with pytest.raises(IngestError) as failed:
        _read(damaged)
    assert failed.value.file == excel.sheet_label(damaged, "商机列表") == f"{damaged}#商机列表"
    assert "damaged" in failed.value.problem


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<html><table><tr><td>\xe5\x95\x86\xe6\x9c\xba</td></tr></table></html>", "HTML"),
        ("商机名称\t客户名称\nERP 二期\t北京智联软件\n".encode(), "not an Excel workbook"),
        (b"", "empty"),
    ],
)
def test_files_that_are_not_workbooks(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "商机列表.xls"
    path.write_bytes(content)

    for call in (lambda: excel.list_sheets(path), lambda: _read(path)):
        with pytest.raises(IngestError, match=problem) as failed:
            call()
        assert failed.value.file == str(path)


def test_sheet_without_a_header_row(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        ws.write(0, 0, TITLE)
        for i in range(40):
            ws.write_row(1 + i, 0, [i, i * 100.5, dt.date(2026, 3, 1).isoformat()])

    with pytest.raises(IngestError) as failed:
        _read(_xlsx(tmp_path / "numbers.xlsx", build, sheet="明细"), sheet="明细")
    assert failed.value.file.endswith("numbers.xlsx#明细")
    assert "no header row found in the first 30 rows of sheet '明细'" in failed.value.problem
    assert "header_row" in failed.value.fix


@pytest.mark.parametrize(
    "build",
    [
        lambda workbook, ws: None,
        lambda workbook, ws: ws.merge_range(0, 0, 0, 5, TITLE),
        lambda workbook, ws: (ws.write(0, 0, "商机列表"), ws.write(1, 0, "本月无数据")),
    ],
    ids=["no cells", "title only", "title and a line"],
)
def test_empty_sheet(tmp_path: Path, build) -> None:
    raw, rows, con = _read(_xlsx(tmp_path / "empty.xlsx", build))

    assert (raw.header, rows, raw.set_aside) == ([], [], [])
    assert raw.notes == ["sheet '商机列表' is empty: nothing to read 空工作表"]
    assert [d[0] for d in con.execute(f"select * from {raw.table}").description] == [
        "_record",
        "_line",
    ]


def test_header_without_data_rows(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        ws.write(0, 0, TITLE)
        ws.write_row(1, 0, HEADER)

    raw, rows, _ = _read(_xlsx(tmp_path / "header_only.xlsx", build))

    assert (raw.header, rows, raw.notes) == (HEADER, [], [])


def test_header_row_option(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        # A filter summary of four text cells looks like a header; the real one is row 4.
        ws.write_row(0, 0, ["筛选条件", "负责人：全部", "阶段：全部", "部门：华东大区"])
        ws.write_row(3, 0, ["商机名称", "负责人", "商机阶段", "所属部门"])
        ws.write_row(4, 0, ["ERP 二期", "李娜", "商务谈判", "华东大区"])

    raw, rows, _ = _read(_xlsx(tmp_path / "filtered.xlsx", build), header_row=4)

    assert raw.header == ["商机名称", "负责人", "商机阶段", "所属部门"]
    assert [(r["_record"], r["_line"]) for r in rows] == [(1, 5)]


def test_header_rows_option(tmp_path: Path) -> None:
    def grouped(workbook, ws) -> None:
        # Every column grouped, no name repeated: not detected as a two-row header.
        ws.merge_range(0, 0, 0, 1, "计划")
        ws.merge_range(0, 2, 0, 3, "实际")
        ws.write_row(1, 0, ["计划金额", "计划日期", "实际金额", "实际日期"])
        ws.write_row(2, 0, [500000, "2026-06-30", 480000, "2026-07-02"])

    path = _xlsx(tmp_path / "grouped.xlsx", grouped)
    detected, rows, _ = _read(path)
    assert detected.header == ["计划", "_blank_2", "实际", "_blank_4"]
    assert [r["_line"] for r in rows] == [2, 3]  # the names row stays visible, as a record

    two, rows, _ = _read(path, header_rows=2)
    assert two.header == ["计划金额", "计划日期", "实际金额", "实际日期"]
    assert [r["_line"] for r in rows] == [3]

    one, rows, _ = _read(_xlsx(tmp_path / "回款.xlsx", _two_row_header), header_rows=1)
    assert one.header == ["商机名称", "客户名称", "金额", "_blank_4", "日期", "_blank_6"]
    assert [r["_line"] for r in rows] == [3, 4]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"header_row": 2}, "header_row 2 of sheet '商机列表' is empty"),
        ({"header_row": 99}, "header_row 99 of sheet '商机列表' is empty or below its last row"),
    ],
)
def test_bad_header_options(tmp_path: Path, options: dict, problem: str) -> None:
    with pytest.raises(IngestError, match=problem):
        _read(_xlsx(tmp_path / "商机列表.xlsx", _crm_export), **options)


def test_duplicate_header_names(tmp_path: Path) -> None:
    def build(workbook, ws) -> None:
        ws.write_row(0, 0, ["商机名称", "商机金额", "负责人", "商机金额\n", "负责人"])
        ws.write_row(1, 0, ["ERP 二期", 1, "李娜", 2, "王芳"])

    with pytest.raises(IngestError) as failed:
        _read(_xlsx(tmp_path / "dup.xlsx", build))
    assert failed.value.file.endswith("dup.xlsx#商机列表")
    assert failed.value.problem == (
        "the header (row 1 of sheet '商机列表') names column(s) 商机金额, 负责人 more than once"
    )


def test_missing_sheet(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "商机列表.xlsx", _crm_export)
    with pytest.raises(IngestError, match="no sheet named '客户列表'") as failed:
        _read(path, sheet="客户列表")
    assert failed.value.file == f"{path}#客户列表"


def test_suffixes_and_label() -> None:
    assert excel.EXCEL_SUFFIXES == (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
    assert excel.sheet_label("landing/crm/商机.xlsx", "Sheet1") == "landing/crm/商机.xlsx#Sheet1"
