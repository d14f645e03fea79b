"""Binary corpus files, written at test time into a case's landing copy.

Encodings, NUL bytes, garbage and a multi-megabyte field are awkward to keep in git and
to read in a diff; each generator here writes them for the case of the same name (its
``expected.yaml`` lives under ``cases/``). Run as a script to write them for inspection::

    python tests/ingest_corpus/make_cases.py /tmp/corpus   # → /tmp/corpus/<case>/crm/...
"""

from __future__ import annotations

import random
import sys
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

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


GENERATORS: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (
        gbk_no_profile,
        gbk_short_file,
        utf16_tab_delimited,
        nul_byte,
        multi_mb_field,
        binary_garbage,
    )
}


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "generated_cases")
    for name, generate in GENERATORS.items():
        generate(root / name)
        print(root / name)
