"""Binary corpus files, written at test time into a case's landing copy.

Encodings, NUL bytes, garbage, a multi-megabyte field and Excel workbooks (.xlsx written by
xlsxwriter, .xls by xlwt, a password-protected copy by msoffcrypto) are awkward to keep in
git and to read in a diff; each generator here writes them for the case of the same name
(its ``expected.yaml`` lives under ``cases/``). Run as a script to write them for inspection::

    python tests/ingest_corpus/make_cases.py /tmp/corpus   # → /tmp/corpus/<case>/crm/...
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import xlsxwriter
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

OPP = (
    "opportunity_id,lead_id,customer_id,owner_rep_id,product_line,created_at,stage,status,"
    "amount,expected_close_date,probability"
)
CUST = "customer_id,name,industry,city_id,size_band,created_at"
ACT = "activity_id,rep_id,opportunity_id,visit_id,kind,node,occurred_at,note"
BIG_NOTE_CHARS = 2_000_000
"""About 6 MB of UTF-8 (three bytes a character)."""


def _write(landing: Path, relative: str, data: bytes) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def gbk_no_profile(landing: Path) -> None:
    text = (
        f"{CUST}\r\n"
        "C1,杭州西湖物流有限公司,物流,CITY-HZ,中型,2026-01-05 09:00:00\r\n"
        "C2,宁波港务贸易集团,贸易,CITY-NB,大型,2026-01-06 09:00:00\r\n"
        "C3,深圳南山科技股份有限公司,制造,CITY-SZ,小型,2026-01-07 09:00:00\r\n"
    )
    _write(landing, "crm/customers.csv", text.encode("gbk"))


def gbk_short_file(landing: Path) -> None:
    text = (
        f"{CUST}\r\n"
        "C1,王芳,a,CITY-HZ,S,2026-01-05 09:00:00\r\n"
        "C2,李娜,a,CITY-HZ,S,2026-01-05 09:00:00\r\n"
    )
    _write(landing, "crm/customers.csv", text.encode("gbk"))


def utf16_tab_delimited(landing: Path) -> None:
    text = (
        CUST.replace(",", "\t")
        + "\r\n"
        + "C1\t杭州西湖物流有限公司\t物流\tCITY-HZ\t中型\t2026-01-05 09:00:00\r\n"
        + "C2\t宁波港务贸易集团\t贸易\tCITY-NB\t大型\t2026-01-06 09:00:00\r\n"
    )
    _write(landing, "crm/customers.csv", text.encode("utf-16"))  # BOM + little-endian


def nul_byte(landing: Path) -> None:
    text = (
        f"{OPP}\n"
        "O1,L1,C1,R1,智能仓储,2026-01-05 10:00:00,quote,open,100,,\n"
        "O2,L2,C2,R1,智能\x00仓储,2026-01-05 10:00:00,quote,open,100,,\n"
        "O3,L3,C3,R1,智能仓储,2026-01-05 10:00:00,quote,open,100,,\n"
    )
    _write(landing, "crm/opportunities.csv", text.encode("utf-8"))


def multi_mb_field(landing: Path) -> None:
    note = ("客户来信全文：" + "预算与交付周期需再确认，" * (BIG_NOTE_CHARS // 12 + 1))[
        :BIG_NOTE_CHARS
    ]
    text = (
        f"{ACT}\n"
        f'A1,R1,O1,V1,visit,appointment_confirmed,2026-03-01 10:00:00,"{note}"\n'
        "A2,R1,O1,V1,visit,pain_diagnosis_submitted,2026-03-01 11:00:00,short\n"
    )
    _write(landing, "crm/activities.csv", text.encode("utf-8"))


def binary_garbage(landing: Path) -> None:
    buffer = BytesIO()
    rng = random.Random(20260415)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:  # what an .xlsx looks like
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/worksheets/sheet1.xml", bytes(rng.randrange(256) for _ in range(4096)))
    _write(landing, "crm/opportunities.csv", buffer.getvalue())


# --------------------------------------------------------------------------- workbooks

Build = Callable[[xlsxwriter.Workbook, "xlsxwriter.worksheet.Worksheet"], None]


def _xlsx_bytes(sheets: dict[str, Build]) -> bytes:
    """A workbook with these sheets, in order; each ``build(workbook, worksheet)`` fills one."""
    buffer = BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    for name, build in sheets.items():
        build(workbook, workbook.add_worksheet(name))
    workbook.close()
    return buffer.getvalue()


def _deals(workbook: xlsxwriter.Workbook, ws) -> None:
    """Contract header in row 1, three open deals in rows 2-4 (amounts as number cells)."""
    day = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, OPP.split(","))
    for i, amount in enumerate([12800, 250000.5, 0], start=1):
        ws.write_row(i, 0, [f"O{i}", f"L{i}", f"C{i}", "R1", "智能仓储"])
        ws.write_datetime(i, 5, dt.datetime(2026, 3, i, 9, 30), day)
        ws.write_row(i, 6, ["quote", "open", amount, "2026-06-30", 0.4])


def xlsx_password_protected(landing: Path) -> None:
    encrypted = BytesIO()
    OOXMLFile(BytesIO(_xlsx_bytes({"Sheet1": _deals}))).encrypt("销售部2026", encrypted)
    _write(landing, "crm/opportunities.xlsx", encrypted.getvalue())


def xlsx_corrupt(landing: Path) -> None:
    whole = _xlsx_bytes({"Sheet1": _deals})
    _write(landing, "crm/opportunities.xlsx", whole[: len(whole) // 2])  # a download cut short


def xlsx_empty_sheet(landing: Path) -> None:
    # "customers" claims the customers table and holds nothing; 商机 is the file's own table.
    data = _xlsx_bytes({"商机": _deals, "customers": lambda workbook, ws: None})
    _write(landing, "crm/opportunities.xlsx", data)


def xlsx_sheet_without_header(landing: Path) -> None:
    def numbers(workbook: xlsxwriter.Workbook, ws) -> None:
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for i in range(12):  # ids, amounts and dates, but no row of column names
            ws.write_number(i, 0, 1001 + i)
            ws.write_number(i, 1, 12800 + 100.5 * i)
            ws.write_datetime(i, 2, dt.datetime(2026, 3, 1) + dt.timedelta(days=i), day)
            ws.write_number(i, 3, 0.25)

    _write(landing, "crm/opportunities.xlsx", _xlsx_bytes({"明细": numbers}))


def xlsx_formula_error(landing: Path) -> None:
    def build(workbook: xlsxwriter.Workbook, ws) -> None:
        _deals(workbook, ws)
        # O2's amount referred to a column someone deleted: Excel shows (and caches) #REF!.
        ws.write_formula(2, OPP.split(",").index("amount"), "=#REF!*1.13", None, "#REF!")

    _write(landing, "crm/opportunities.xlsx", _xlsx_bytes({"Sheet1": build}))


def xlsx_date_cell_holding_text(landing: Path) -> None:
    def build(workbook: xlsxwriter.Workbook, ws) -> None:
        _deals(workbook, ws)
        created = OPP.split(",").index("created_at")
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_datetime(1, created, dt.datetime(2026, 3, 5), day)  # a date cell
        ws.write_number(2, created, 46086)  # the same day as a plain serial number
        ws.write_string(3, created, "2026年3月5日")  # the same day typed as text
        for i, text in ((4, "下周"), (5, "待定")):  # typed where a date belongs
            ws.write_row(i, 0, [f"O{i}", f"L{i}", f"C{i}", "R1", "智能仓储", text])
            ws.write_row(i, 6, ["quote", "open", 1000, "", ""])

    _write(landing, "crm/opportunities.xlsx", _xlsx_bytes({"Sheet1": build}))


def xlsx_title_row_totals_row_and_merged_header(landing: Path) -> None:
    """The 国产 CRM 商机列表 export: a title row, a two-row header (商机编号 … merged down over
    rows 2-3, 金额 and 日期 merged across their columns), deals, a blank row, a 合计 row."""

    def deals(workbook: xlsxwriter.Workbook, ws) -> None:
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        ws.merge_range(0, 0, 0, 8, "商机列表  导出时间：2026-04-01 08:03")
        for j, name in enumerate(["商机编号", "客户名称", "负责人", "所属部门", "商机阶段"]):
            ws.merge_range(1, j, 2, j, name)
        ws.merge_range(1, 5, 1, 6, "金额")
        ws.merge_range(1, 7, 1, 8, "日期")
        ws.write_row(2, 5, ["商机金额", "已回款", "预计成交日期", "创建时间"])
        ws.write_row(3, 0, ["SJ-001", "上海宏远科技有限公司", "张伟", "华东大区", "方案报价"])
        ws.write_row(3, 5, ["¥12,800.00", 0])
        ws.write_datetime(3, 7, dt.datetime(2026, 6, 30), day)
        ws.write_datetime(3, 8, dt.datetime(2026, 3, 5, 14, 20), moment)
        ws.write_row(4, 0, ["SJ-002", "北京智联软件", "李娜", "华北大区", "商务谈判"])
        ws.write_row(4, 5, ["12.8万", 50000, "尽快", "2026年3月6日"])
        ws.write_row(5, 0, ["SJ-003", "广州恒达贸易", "王芳", "华南大区", "赢单"])
        ws.write_row(5, 5, [500000.5, 500000.5, "2026/4/1"])
        ws.write_number(5, 8, 46089)  # 2026-03-08 as a serial number
        # row 7 left empty, as people leave it above the totals
        ws.merge_range(7, 0, 7, 4, "合计")
        ws.write_row(7, 5, [640800.5, 550000.5])  # 12,800 + 12.8万 + 500,000.5

    def readme(workbook: xlsxwriter.Workbook, ws) -> None:
        ws.write(0, 0, "说明：本表由 CRM 导出，金额单位为元。")

    data = _xlsx_bytes({"商机列表": deals, "说明": readme})
    _write(landing, "crm/商机列表_20260401.xlsx", data)


def xls_legacy_workbook(landing: Path) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Sheet1")
    moment = xlwt.easyxf(num_format_str="YYYY-MM-DD HH:MM")
    for j, name in enumerate(OPP.split(",")):
        ws.write(0, j, name)
    rows = [  # created_at: a date-time cell, a date cell, text; empty strings: blank cells
        [dt.datetime(2026, 3, 5, 14, 20), "quote", "open", 12800.5, "", 0.4],
        [dt.datetime(2026, 3, 6), "won", "won", 250000, "", 1],
        ["2026-03-07 09:00:00", "lead", "open", "", "", ""],
    ]
    for i, rest in enumerate(rows, start=1):
        for j, value in enumerate([f"O{i}", f"L{i}", f"C{i}", "R1", "智能仓储", *rest]):
            if isinstance(value, dt.datetime):
                ws.write(i, j, value, moment)
            elif value != "":
                ws.write(i, j, value)
    buffer = BytesIO()
    book.save(buffer)
    _write(landing, "crm/opportunities.xls", buffer.getvalue())


def bom_inside_concatenated_export(landing: Path) -> None:
    """Two UTF-8-with-BOM exports joined with ``cat``: the second BOM starts line 4."""
    bom = "\ufeff"
    first = f"{bom}{CUST}\nC1,杭州西湖物流,物流,CITY-HZ,中型,2026-01-05 09:00:00\nC2,宁波港务,贸易,CITY-NB,大型,2026-01-06 09:00:00\n"
    second = (
        f"{bom}{CUST}\nC3,深圳南山科技,制造,CITY-SZ,小型,2026-01-07 09:00:00\n"
        f'{bom}"C4",广州天河贸易,贸易,CITY-GZ,小型,2026-01-08 09:00:00\n'
    )
    _write(landing, "crm/customers.csv", (first + second).encode("utf-8"))


GENERATORS: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (
        gbk_no_profile,
        gbk_short_file,
        utf16_tab_delimited,
        nul_byte,
        multi_mb_field,
        binary_garbage,
        xlsx_password_protected,
        xlsx_corrupt,
        xlsx_empty_sheet,
        xlsx_sheet_without_header,
        xlsx_formula_error,
        xlsx_date_cell_holding_text,
        xlsx_title_row_totals_row_and_merged_header,
        xls_legacy_workbook,
        bom_inside_concatenated_export,
    )
}


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "generated_cases")
    for name, generate in GENERATORS.items():
        generate(root / name)
        print(root / name)
