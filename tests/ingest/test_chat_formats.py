"""Chat format adapters: 企业微信 archive records and chat sheets → chat_messages rows.

Fixtures are made up here and every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from salesops.ingest.chat_formats import (
    CHAT_COLUMNS,
    FORMATS,
    KIND_AMBIGUOUS_REP,
    KIND_INTERNAL,
    KIND_RECALL_NOTICE,
    KIND_RECALLED,
    KIND_ROBOT,
    KIND_ROLE_UNKNOWN,
    KIND_SWITCH,
    AdapterContext,
    company_key,
    format_option_keys,
)
from salesops.ingest.errors import IngestError
from salesops.ingest.profile import ReadOptions
from salesops.ingest.reader import RawRows, open_source, read_rows

UTC = dt.UTC


def ms(*args: int) -> int:
    """Epoch milliseconds of a UTC time."""
    return int(dt.datetime(*args, tzinfo=UTC).timestamp() * 1000)


# ---------------------------------------------------------------- bronze tables

REPS = [
    # rep_id, name, team_id, role, im_user_id
    ("R1", "张伟", "T-华东一组", "rep", "zhangwei"),
    ("R2", "李娜", "T-华东二组", "rep", "lina"),
    ("R3", "张伟", "T-华南一组", "rep", "zhangwei2"),  # a second 张伟
    ("R4", "王芳", "T-华东一组", "rep", None),
]
CUSTOMERS = [
    ("C1", "上海甲科技有限公司"),
    ("C2", "乙贸易有限公司"),
    ("C3", "丙制造股份有限公司"),
    ("C4", "丁集团有限公司"),
    ("C5", "丁集团股份有限公司"),  # C4 and C5 both normalise to 丁
]
EXTERNAL_CONTACTS = [
    # contact_id, name, corp_name, customer_id
    ("wmA", "赵经理", "甲科技（上海）有限公司", None),  # → C1 by normalised name
    ("wmB", "王总", "乙贸易有限公司", None),  # → C2 exactly
    ("woC", "孙工", "丁集团", None),  # → C4 or C5: ambiguous, no match
    ("wmD", "钱总", "某某公司", "C3"),  # → C3 by the export's customer_id
]
OPPORTUNITIES = [
    # opportunity_id, customer_id, owner_rep_id, created_at, closed_at, status
    ("O1", "C1", "R1", "2026-01-05 09:00:00", "2026-03-01 10:00:00", "won"),
    ("O2", "C1", "R2", "2026-02-01 09:00:00", None, "open"),
    ("O3", "C1", "R1", "2026-03-10 09:00:00", None, "open"),
    ("O4", "C2", "R2", "2026-01-10 09:00:00", "2026-01-20 09:00:00", "lost"),
    ("O5", "C3", "R2", "2026-02-01 09:00:00", None, "open"),
]


def write_parquet(path: Path, columns: str, rows: list[tuple]) -> None:
    con = duckdb.connect()
    names = [c.split()[0] for c in columns.split(",")]
    con.execute(f"create table t ({columns})")
    con.executemany(f"insert into t values ({', '.join('?' for _ in names)})", rows)
    con.execute(f"copy t to '{path}' (format parquet)")


@pytest.fixture
def bronze(tmp_path: Path) -> Path:
    folder = tmp_path / "bronze"
    folder.mkdir()
    write_parquet(
        folder / "reps.parquet",
        "rep_id varchar, name varchar, team_id varchar, role varchar, im_user_id varchar",
        REPS,
    )
    write_parquet(folder / "customers.parquet", "customer_id varchar, name varchar", CUSTOMERS)
    write_parquet(
        folder / "external_contacts.parquet",
        "contact_id varchar, name varchar, corp_name varchar, customer_id varchar",
        EXTERNAL_CONTACTS,
    )
    write_parquet(
        folder / "opportunities.parquet",
        "opportunity_id varchar, customer_id varchar, owner_rep_id varchar, created_at timestamp, "
        "closed_at timestamp, status varchar",
        OPPORTUNITIES,
    )
    return folder


def rows_of(con: duckdb.DuckDBPyConnection, out: RawRows) -> dict[str, dict]:
    """Output rows keyed by message_id (checked unique where used)."""
    cur = con.execute(
        f"select _record, _line, {', '.join(CHAT_COLUMNS)} from {out.table} order by _record"
    )
    names = [d[0] for d in cur.description]
    found = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return {r["message_id"]: r for r in found}


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


# ---------------------------------------------------------------- 企业微信 archive

TEXT = "text"


def text(msgid, sender, tolist, when, content, roomid=""):
    return {
        "msgid": msgid,
        "action": "send",
        "from": sender,
        "tolist": tolist,
        "roomid": roomid,
        "msgtime": when,
        "msgtype": TEXT,
        TEXT: {"content": content},
    }


def other(msgid, sender, tolist, when, msgtype, body):
    return {
        "msgid": msgid,
        "action": "send",
        "from": sender,
        "tolist": tolist,
        "roomid": "",
        "msgtime": when,
        "msgtype": msgtype,
        msgtype: body,
    }


RECALLED_TEXT = "这条说错了 手机13812345678"
ARCHIVE = [
    # line 1: rep → customer, one-to-one, 2026-03-05 14:20:00.123 Shanghai.
    # C1's O1 closed 03-01 (+1 day < 03-05), O3 not created yet → O2, the open one, though R2 owns it.
    text("m1", "zhangwei", ["wmA"], ms(2026, 3, 5, 6, 20, 0, 123000), "您好，方案已发送"),
    # line 2: customer → rep, 2026-03-01 20:00 Shanghai: O1 (closed 03-01 10:00, +1 day) and O2 open;
    # O1 is the rep's own → O1 (latest created would be O2).
    text("m2", "wmA", ["zhangwei"], ms(2026, 3, 1, 12, 0), "预算已经批了"),
    # lines 3-4: a customer group: rep and customer; C2's only deal O4 closed in January → the
    # latest created before the message, O4.
    text(
        "m3",
        "lina",
        ["zhangwei", "wmB", "wbBot"],
        ms(2026, 3, 5, 2, 0),
        "群里同步一下进度",
        "wrRoom1",
    ),
    text("m4", "wmB", ["lina", "zhangwei", "wbBot"], ms(2026, 3, 5, 2, 5), "收到，谢谢", "wrRoom1"),
    # lines 5-7: not text
    other(
        "m5", "zhangwei", ["wmA"], ms(2026, 3, 5, 3, 0), "image", {"md5sum": "abc", "filesize": 1}
    ),
    other(
        "m6",
        "wmA",
        ["zhangwei"],
        ms(2026, 3, 5, 3, 1),
        "voice",
        {"voice_size": 1, "play_length": 3},
    ),
    other(
        "m7",
        "zhangwei",
        ["wmA"],
        ms(2026, 3, 5, 3, 2),
        "mixed",
        {"item": [{"type": "text", "content": '{"content":"看图"}'}]},
    ),
    # line 8: recalled by line 9
    text("m8", "zhangwei", ["wmA"], ms(2026, 3, 5, 3, 3), RECALLED_TEXT),
    {
        "msgid": "r1",
        "action": "recall",
        "from": "zhangwei",
        "tolist": ["wmA"],
        "roomid": "",
        "msgtime": ms(2026, 3, 5, 3, 4),
        "msgtype": "revoke",
        "revoke": {"pre_msgid": "m8"},
    },
    # line 10: a recall of a message this file does not hold
    {
        "msgid": "r2",
        "action": "recall",
        "from": "wmA",
        "tolist": ["zhangwei"],
        "roomid": "",
        "msgtime": ms(2026, 3, 5, 3, 5),
        "msgtype": "revoke",
        "revoke": {"pre_msgid": "m_earlier"},
    },
    # line 11: switch record
    {"msgid": "s1", "action": "switch", "time": ms(2026, 3, 5, 3, 6), "user": "zhangwei"},
    # line 12: robot, line 13: employees only
    text("m12", "wbBot", ["wmA"], ms(2026, 3, 5, 3, 7), "自动回复"),
    text("m13", "zhangwei", ["lina"], ms(2026, 3, 5, 3, 8), "内部讨论报价"),
    # line 14: an employee missing from reps, writing to an id not in external_contacts
    text("m14", "zhouli", ["wmZ"], ms(2026, 3, 5, 3, 9), "你好"),
    # line 15: the 丁集团 contact (ambiguous company) → no opportunity
    text("m15", "woC", ["lina"], ms(2026, 3, 5, 3, 10), "价格能再谈吗"),
    # line 16: contact with the export's customer_id C3 → O5 (open since 02-01)
    text("m16", "lina", ["wmD"], ms(2026, 3, 5, 3, 11), "合同已发"),
    # line 17: neither msgtype nor action
    {"msgid": "x1", "msgtime": ms(2026, 3, 5, 3, 12)},
]


@pytest.fixture
def archive(tmp_path: Path):
    path = tmp_path / "会话存档_20260305.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in ARCHIVE] + ['{"msgid": "broken"']  # line 18
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = duckdb.connect()
    source = open_source(con, path, ReadOptions(), tmp_path / "work")
    raw = read_rows(con, source, ReadOptions(), "raw_archive")
    return con, raw, str(path)


def run_archive(
    archive, bronze, options=None
) -> tuple[duckdb.DuckDBPyConnection, RawRows, RawRows]:
    con, raw, source = archive
    out = FORMATS["wecom_archive"](con, raw, AdapterContext(bronze, source, options or {}))
    return con, raw, out


def test_archive_rows_and_set_aside_add_up_to_the_input(archive, bronze):
    con, raw, out = run_archive(archive, bronze)
    assert count(con, raw.table) == 17 and len(raw.rejects) == 1
    assert count(con, out.table) == 8
    assert len(out.set_aside) == 9
    assert count(con, raw.table) + len(raw.set_aside) == count(con, out.table) + len(out.set_aside)
    assert out.rejects == raw.rejects  # the broken line 18 passes through
    assert out.header == list(CHAT_COLUMNS)
    assert con.execute(f"select list(_record order by _record) from {out.table}").fetchone()[
        0
    ] == list(range(1, 9))


def test_archive_set_aside_kinds(archive, bronze):
    _, _, out = run_archive(archive, bronze)
    assert Counter(kind for _, kind in out.set_aside) == {
        "non-text message 非文本消息: image": 1,
        "non-text message 非文本消息: voice": 1,
        "non-text message 非文本消息: mixed": 1,
        KIND_RECALLED: 1,
        KIND_RECALL_NOTICE: 2,
        KIND_SWITCH: 1,
        KIND_ROBOT: 1,
        KIND_INTERNAL: 1,
    }
    assert dict(out.set_aside) == {
        5: "non-text message 非文本消息: image",
        6: "non-text message 非文本消息: voice",
        7: "non-text message 非文本消息: mixed",
        8: KIND_RECALLED,
        9: KIND_RECALL_NOTICE,
        10: KIND_RECALL_NOTICE,
        11: KIND_SWITCH,
        12: KIND_ROBOT,
        13: KIND_INTERNAL,
    }


def test_archive_messages(archive, bronze):
    con, _, out = run_archive(archive, bronze)
    rows = rows_of(con, out)
    assert {k: r["sender"] for k, r in rows.items()} == {
        "m1": "rep",
        "m2": "customer",
        "m3": "rep",
        "m4": "customer",
        "m14": "rep",
        "m15": "customer",
        "m16": "rep",
        "x1": None,
    }
    m1 = rows["m1"]
    assert m1 == {
        "_record": 1,
        "_line": 1,
        "message_id": "m1",
        "conversation_id": "wmA|zhangwei",
        "channel": "wecom",
        "opportunity_id": "O2",
        "rep_id": "R1",
        "contact_id": "wmA",
        "sender": "rep",
        "sent_at": "2026-03-05T06:20:00.123+00:00",
        "text": "您好，方案已发送",
    }
    # the same pair, whoever writes, is one conversation
    assert rows["m2"]["conversation_id"] == "wmA|zhangwei"
    assert rows["m2"]["sent_at"] == "2026-03-01T12:00:00.000+00:00"
    # a room: the room id; the other side is the first id of the other kind in tolist
    assert [
        (rows[m]["conversation_id"], rows[m]["rep_id"], rows[m]["contact_id"]) for m in ("m3", "m4")
    ] == [
        ("wrRoom1", "R2", "wmB"),
        ("wrRoom1", "R2", "wmB"),
    ]
    # rep_id through reps.im_user_id; an account not in reps stays itself
    assert rows["m14"]["rep_id"] == "zhouli" and rows["m14"]["contact_id"] == "wmZ"
    assert rows["m15"]["rep_id"] == "R2"
    # the record without a type: empty values for the quarantine, its line kept
    x1 = rows["x1"]
    assert x1["_line"] == 17 and x1["sent_at"] == "2026-03-05T03:12:00.000+00:00"
    assert [x1[c] for c in ("conversation_id", "rep_id", "contact_id", "sender", "text")] == [
        None
    ] * 5


def test_archive_recalled_text_never_loaded(archive, bronze):
    con, _, out = run_archive(archive, bronze)
    texts = [t for (t,) in con.execute(f"select text from {out.table}").fetchall()]
    assert RECALLED_TEXT not in texts and "自动回复" not in texts and "内部讨论报价" not in texts
    assert "m8" not in rows_of(con, out)


def test_archive_opportunity_choice(archive, bronze):
    con, _, out = run_archive(archive, bronze)
    assert {k: r["opportunity_id"] for k, r in rows_of(con, out).items()} == {
        "m1": "O2",  # O1 closed before, O2 open (another rep's)
        "m2": "O1",  # O1 and O2 open: the rep's own
        "m3": "O4",  # none open: the latest created before
        "m4": "O4",
        "m14": None,  # wmZ is not a known contact
        "m15": None,  # 丁集团 fits C4 and C5
        "m16": "O5",  # by the contact's customer_id
        "x1": None,
    }


def test_archive_notes(archive, bronze):
    _, _, out = run_archive(archive, bronze)
    notes = "\n".join(out.notes)
    # contacts wmA, wmB, wmD matched of wmA, wmB, woC, wmD, wmZ
    assert "Chat contacts 外部联系人 matched to CRM customers 匹配CRM客户: 3 of 5 (60%)" in notes
    assert "1 by customer_id 客户编号, 1 exact 名称一致, 1 by normalised name 名称归一" in notes
    assert "unmatched 未匹配: wmZ (not in external_contacts 不在外部联系人中)" in notes
    assert (
        "fit several CRM customers and were not matched 企业名称对应多个客户, 未匹配: 丁集团"
        in notes
    )
    # m1, m2, m3, m4, m16 of the 7 messages with a contact
    assert (
        "Customer-conversation messages linked to an opportunity 客户会话消息关联商机: 5 of 7 (71%)"
        in notes
    )
    assert "1 message(s) of 1 chat account(s) not found in reps.im_user_id" in notes
    assert "zhouli" in notes
    assert "1 recall notice(s) point at a message not in this file" in notes
    assert "1 record(s) have neither msgtype" in notes
    assert (
        "17 records 条记录: 8 messages kept 保留 (4 from reps 销售, 3 from customers 客户), 9 set aside"
        in notes
    )


def test_archive_prefix_and_channel_options(archive, bronze):
    # With wm… as the only customer prefix, woC is an employee: its message to lina is internal.
    con, _, out = run_archive(
        archive, bronze, {"customer_prefixes": ["wm"], "channel": "phone_transcript"}
    )
    rows = rows_of(con, out)
    assert "m15" not in rows and (15, KIND_INTERNAL) in out.set_aside
    assert {r["channel"] for r in rows.values()} == {"phone_transcript"}


def test_archive_without_bronze_keeps_the_messages(archive, tmp_path):
    con, raw, out = run_archive(archive, tmp_path / "no_bronze")
    rows = rows_of(con, out)
    assert rows["m1"]["rep_id"] == "zhangwei" and rows["m1"]["opportunity_id"] is None
    assert count(con, out.table) + len(out.set_aside) == count(con, raw.table)
    notes = "\n".join(out.notes)
    assert "0 of 5 (0%)" in notes and "reps has no im_user_id" in notes
    assert "No bronze external_contacts" in notes


def test_archive_maps_a_userid_that_is_a_rep_id(archive, tmp_path):
    folder = tmp_path / "bronze_ids"
    folder.mkdir()
    # reps without im_user_id, whose rep_ids are the chat userids
    write_parquet(
        folder / "reps.parquet",
        "rep_id varchar, name varchar",
        [("zhangwei", "张伟"), ("lina", "李娜")],
    )
    _, _, out = run_archive(archive, folder)
    notes = "\n".join(out.notes)
    assert "1 message(s) of 1 chat account(s) not found" in notes  # only zhouli


def test_archive_flattened_by_an_exporter(tmp_path, bronze):
    # text as a plain string, tolist as a bare id
    record = {
        "msgid": "f1",
        "action": "send",
        "from": "zhangwei",
        "tolist": "wmA",
        "msgtime": ms(2026, 3, 5, 6, 20),
        "msgtype": "text",
        "text": "纯文本",
    }
    path = tmp_path / "flat.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    con = duckdb.connect()
    raw = read_rows(
        con, open_source(con, path, ReadOptions(), tmp_path / "w"), ReadOptions(), "raw_flat"
    )
    out = FORMATS["wecom_archive"](con, raw, AdapterContext(bronze, str(path), {}))
    assert rows_of(con, out)["f1"]["text"] == "纯文本"
    assert rows_of(con, out)["f1"]["contact_id"] == "wmA"


def test_unknown_option_is_refused(archive, bronze):
    with pytest.raises(ValueError, match="unknown key.*colour.*known: customer_prefixes"):
        run_archive(archive, bronze, {"colour": "red"})
    with pytest.raises(ValueError, match="channel 'wechat' is not one of"):
        run_archive(archive, bronze, {"channel": "wechat"})
    with pytest.raises(ValueError, match="customer_prefixes must be a list"):
        run_archive(archive, bronze, {"customer_prefixes": [1]})


# ---------------------------------------------------------------- chat sheet

SHEET = [
    # _line, 时间, 发送人, 接收人, 内容, 客户名称, 部门
    (2, "2026/3/5 14:20", "李娜", "王总", "您好，报价单已发您邮箱", "乙贸易有限公司", None),
    (3, "2026-03-05 14:25", "王总", "李娜", "好的，预算下周批", "乙贸易有限公司", None),
    (4, "2026/3/5 15:00", "张伟", "赵经理", "明天演示", "甲科技（上海）有限公司", None),  # two 张伟
    (
        5,
        "2026/3/5 15:05",
        "张伟",
        "赵经理",
        "演示地点已定",
        "甲科技（上海）有限公司",
        "华东一组",
    ),  # → R1
    (6, "2026/3/5 16:00", "陌生人", "赵经理", "你好", None, None),  # neither is a rep
    (7, "2026/3/5 16:10", "李娜", "王芳", "帮我看下报价", None, None),  # both are reps
    (8, "2026/3/5 16:20", "R2", "钱总", "合同已发", "不存在公司", None),  # a rep_id as the sender
    (
        9,
        "2026/3/5 14:20",
        "李娜",
        "王总",
        "您好，报价单已发您邮箱",
        "乙贸易有限公司",
        None,
    ),  # = line 2
]


def sheet_rows(con: duckdb.DuckDBPyConnection, rows=SHEET, message_ids=None) -> RawRows:
    header = ["时间", "发送人", "接收人", "内容", "客户名称", "部门"]
    extra = ", 编号 varchar" if message_ids else ""
    con.execute(
        "create or replace temp table raw_sheet (_record bigint, _line bigint, 时间 varchar, 发送人 varchar, "
        f"接收人 varchar, 内容 varchar, 客户名称 varchar, 部门 varchar{extra})"
    )
    for i, row in enumerate(rows, start=1):
        values = (i, *row, *([message_ids[i - 1]] if message_ids else []))
        con.execute(f"insert into raw_sheet values ({', '.join('?' for _ in values)})", values)
    # a totals row the sheet reader already set aside
    return RawRows(
        "raw_sheet", [], header + (["编号"] if message_ids else []), [(10, "totals row 合计")]
    )


SHEET_OPTIONS = {"customer": "客户名称", "department": "部门"}


def run_sheet(bronze, options=SHEET_OPTIONS, **kwargs):
    con = duckdb.connect()
    raw = sheet_rows(con, **kwargs)
    out = FORMATS["chat_sheet"](con, raw, AdapterContext(bronze, "钉钉聊天记录.xlsx", options))
    return con, raw, out


def content_id(*parts: str) -> str:
    return "msg-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def test_sheet_rows_and_set_aside_add_up(bronze):
    con, raw, out = run_sheet(bronze)
    assert count(con, raw.table) + len(raw.set_aside) == 9
    assert count(con, out.table) == 5  # lines 2, 3, 5, 8, 9
    assert out.set_aside == [
        (10, "totals row 合计"),
        (4, KIND_AMBIGUOUS_REP),
        (6, KIND_ROLE_UNKNOWN),
        (7, KIND_ROLE_UNKNOWN),
    ]
    assert count(con, raw.table) + len(raw.set_aside) == count(con, out.table) + len(out.set_aside)


def test_sheet_messages(bronze):
    con, _, out = run_sheet(bronze)
    cur = con.execute(f"select _line, {', '.join(CHAT_COLUMNS)} from {out.table} order by _record")
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    first_id = content_id("2026/3/5 14:20", "李娜", "王总", "您好，报价单已发您邮箱")
    assert rows[0] == {
        "_line": 2,
        "message_id": first_id,
        "conversation_id": "李娜|王总",
        "channel": "dingtalk",
        "opportunity_id": "O4",
        "rep_id": "R2",
        "contact_id": "王总",
        "sender": "rep",
        "sent_at": "2026/3/5 14:20",
        "text": "您好，报价单已发您邮箱",
    }
    assert [
        (r["_line"], r["sender"], r["rep_id"], r["contact_id"], r["opportunity_id"]) for r in rows
    ] == [
        (2, "rep", "R2", "王总", "O4"),
        (3, "customer", "R2", "王总", "O4"),  # C2's only deal, closed: the latest before
        (5, "rep", "R1", "赵经理", "O2"),  # the department tells the 张伟; O1 closed, O2 open
        (8, "rep", "R2", "钱总", None),  # 不存在公司 matches no customer
        (9, "rep", "R2", "王总", "O4"),
    ]
    # an identical row is the same message: same id, left to the primary-key dedup
    assert rows[4]["message_id"] == first_id
    assert rows[1]["conversation_id"] == "李娜|王总"


def test_sheet_notes(bronze):
    _, _, out = run_sheet(bronze)
    notes = "\n".join(out.notes)
    assert "Chat sheet 聊天记录表: 5 of 8 messages kept" in notes
    assert "2 message(s) set aside: the rep cannot be told" in notes
    assert (
        "(1 with neither party in reps 双方都不在销售表, 1 between two reps 双方都是销售)" in notes
    )
    assert "未知姓名: 赵经理, 陌生人" in notes
    assert "Rep name 张伟 belongs to several reps (R1, R3): 1 message(s) set aside" in notes
    # 乙贸易有限公司 exact, 甲科技（上海）有限公司 normalised, 不存在公司 unmatched
    assert "Customer names 客户名称 matched to CRM customers 匹配CRM客户: 2 of 3 (67%)" in notes
    assert "1 exact 名称一致, 1 by normalised name 名称归一; unmatched 未匹配: 不存在公司" in notes
    assert "Messages linked to an opportunity 消息关联商机: 4 of 5 (80%)" in notes


def test_sheet_without_department_sets_both_zhang_wei_aside(bronze):
    _, _, out = run_sheet(bronze, options={"customer": "客户名称"})
    assert [line for line, kind in out.set_aside if kind == KIND_AMBIGUOUS_REP] == [4, 5]
    assert "Rep name 张伟 belongs to several reps (R1, R3): 2 message(s) set aside" in "\n".join(
        out.notes
    )


def test_sheet_message_id_column_and_header_options(bronze):
    con = duckdb.connect()
    con.execute(
        "create temp table raw_t (_record bigint, _line bigint, ts varchar, who varchar, whom varchar, body varchar, id varchar)"
    )
    con.execute(
        "insert into raw_t values (1, 2, '46086.6', '李娜', '王总', '你好', 'D-1'), (2, 3, '46086.7', '王总', '李娜', '在', null)"
    )
    raw = RawRows("raw_t", [], ["ts", "who", "whom", "body", "id"])
    options = {
        "time": "ts",
        "sender": "who",
        "recipient": "whom",
        "text": "body",
        "message_id": "id",
        "channel": "phone_transcript",
    }
    out = FORMATS["chat_sheet"](con, raw, AdapterContext(bronze, "通话转写.xlsx", options))
    found = con.execute(
        f"select message_id, sender, channel, opportunity_id, sent_at from {out.table} order by _record"
    ).fetchall()
    assert found == [
        ("D-1", "rep", "phone_transcript", None, "46086.6"),
        (
            content_id("46086.7", "王总", "李娜", "在"),
            "customer",
            "phone_transcript",
            None,
            "46086.7",
        ),
    ]
    assert any("No customer column" in n for n in out.notes)


def test_sheet_missing_column_names_the_option(bronze):
    with pytest.raises(IngestError, match="no column customer: '客户'"):
        run_sheet(bronze, options={"customer": "客户"})
    with pytest.raises(ValueError, match="unknown key.*sheet_name"):
        run_sheet(bronze, options={"sheet_name": "x"})


# ---------------------------------------------------------------- names and registry


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("上海甲科技有限公司", "甲科技（上海）有限公司", True),
        ("甲科技(上海)有限公司", "甲科技（上海市）有限责任公司", True),
        ("ＡＢＣ　Technology Co., Ltd.", "abc technology limited", True),
        ("乙·贸易-集团有限公司", "乙贸易股份有限公司", True),
        ("甲科技（上海）有限公司", "甲科技（北京）有限公司", False),  # branches stay apart
        ("Costco", "Cost", False),  # "co" only as a word of its own
    ],
)
def test_company_key(a, b, same):
    assert (company_key(a) == company_key(b)) is same


def test_short_name_matches_a_name_with_its_city(tmp_path, bronze):
    # The CRM has 乙贸易有限公司; a sheet says 乙贸易（广州）有限公司 → C2 by normalised name.
    rows = [(2, "2026/3/5 14:20", "李娜", "王总", "你好", "乙贸易（广州）有限公司", None)]
    con = duckdb.connect()
    raw = sheet_rows(con, rows=rows)
    out = FORMATS["chat_sheet"](
        con, raw, AdapterContext(bronze, "s.xlsx", {"customer": "客户名称"})
    )
    assert con.execute(f"select opportunity_id from {out.table}").fetchall() == [("O4",)]


def test_an_empty_sheet_passes_through(bronze):
    raw = RawRows("raw_empty", [], [], [], ["Sheet2 is empty 空表"])
    out = FORMATS["chat_sheet"](duckdb.connect(), raw, AdapterContext(bronze, "s.xlsx", {}))
    assert out is raw


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown chat format"):
        format_option_keys("slack")
