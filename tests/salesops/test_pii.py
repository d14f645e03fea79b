"""PII detectors and masking: exact outputs on adversarial positives and negatives; the scan."""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
import pytest

from salesops import pii
from salesops.pii import find_pii, id_check_ok, luhn_ok, mask_text

POSITIVES = [
    # mobile
    ("我手机号 13812345678", "我手机号 [手机号]"),
    ("我手机号 +86 13812345678", "我手机号 [手机号]"),
    ("+8613812345678", "[手机号]"),
    ("0086 13812345678", "[手机号]"),
    ("8613812345678", "[手机号]"),
    ("(+86)138-1234-5678", "[手机号]"),
    ("（+86）13812345678", "[手机号]"),
    ("138 1234 5678", "[手机号]"),
    ("138-1234-5678", "[手机号]"),
    ("138.1234.5678", "[手机号]"),
    ("138 - 1234 - 5678", "[手机号]"),
    ("1 3 8 1 2 3 4 5 6 7 8", "[手机号]"),
    ("电话13812345678谢谢", "电话[手机号]谢谢"),
    ("打19912345678找我", "打[手机号]找我"),
    ("https://x.cn/call?tel=13812345678", "https://x.cn/call?tel=[手机号]"),
    ("https://x.cn/u/13812345678/profile", "https://x.cn/u/[手机号]/profile"),
    ("tel:13812345678", "tel:[手机号]"),
    ("tel13812345678", "tel[手机号]"),
    ("vx13812345678", "vx[手机号]"),
    ("微信同号13812345678", "微信同号[手机号]"),
    ("１３８１２３４５６７８", "[手机号]"),
    ("手机：１３８－１２３４－５６７８。", "手机：[手机号]。"),
    ("１３８　１２３４　５６７８", "[手机号]"),
    ("＋８６　１３８１２３４５６７８", "[手机号]"),
    ("A:13812345678,B:15987654321", "A:[手机号],B:[手机号]"),
    # landline
    ("座机 021-12345678", "座机 [座机]"),
    ("010-87654321", "[座机]"),
    ("0755-1234567", "[座机]"),
    ("0571 8888 8888", "[座机]"),
    ("(021)12345678", "[座机]"),
    ("（０２１）１２３４５６７８", "[座机]"),
    ("(0755) 1234-5678转123", "[座机]"),
    ("021-12345678-8001", "[座机]"),
    ("021-12345678 ext. 12", "[座机]"),
    ("+86 21 12345678", "[座机]"),
    ("0086-755-12345678", "[座机]"),
    ("电话02112345678", "电话[座机]"),
    ("办公电话：075512345678 工作日", "办公电话：[座机] 工作日"),
    # email
    ("邮箱是 a123456@qq.com", "邮箱是 [邮箱]"),
    ("zhang.san+crm@example.com.cn。", "[邮箱]。"),
    ("a123456＠163.com", "[邮箱]"),
    ("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｎ", "[邮箱]"),
    ("发到zhangsan@corp.cn谢谢", "发到[邮箱]谢谢"),
    ("13812345678@163.com", "[邮箱]"),
    ("zhang.san (at) example.com", "[邮箱]"),
    ("zhang.san[at]example.com", "[邮箱]"),
    ("zhangsan【at】example.cn", "[邮箱]"),
    ("zhangsan艾特163.com", "[邮箱]"),
    ("zhangsan#qq.com", "[邮箱]"),
    ("mailto:li@x.io?subject=报价", "mailto:[邮箱]?subject=报价"),
    # wechat
    ("加我微信 wxid_b12345678", "加我微信 [微信号]"),
    ("wxid_abcd1234", "[微信号]"),
    ("微信号：zhangsan", "微信号：[微信号]"),
    ("微信: zhang_san", "微信: [微信号]"),
    ("我的微信是Zhang-San88,备注公司", "我的微信是[微信号],备注公司"),
    ("vx: zs_2024", "vx: [微信号]"),
    ("VX zs2024abc", "VX [微信号]"),
    ("wx abcdef1", "wx [微信号]"),
    ("WeChat: leo_wang", "WeChat: [微信号]"),
    ("v信 abc12345", "v信 [微信号]"),
    ("加个薇信 k88888888", "加个薇信 [微信号]"),
    # id card (11010519491231002X and 440524188001010014 are valid MOD 11-2)
    ("身份证号 11010519491231002X", "身份证号 [身份证]"),
    ("11010519491231002X", "[身份证]"),
    ("11010519491231002x", "[身份证]"),
    ("证件:440524188001010014。", "证件:[身份证]。"),
    ("110105 19491231 002X", "[身份证]"),
    ("１１０１０５１９４９１２３１００２Ｘ", "[身份证]"),
    ("客户身份证11010519491231002X已核验", "客户身份证[身份证]已核验"),
    ("身份证号 110105194912310021", "身份证号 [身份证]"),  # wrong check digit, but said to be one
    ("身份证号码：310101999999999999", "身份证号码：[身份证]"),
    ("身份证 110105491231002", "身份证 [身份证]"),  # 15-digit legacy
    # bank card
    ("4111111111111111", "[银行卡]"),
    ("4111 1111 1111 1111", "[银行卡]"),
    ("4111-1111-1111-1111", "[银行卡]"),
    ("6222021234567890128", "[银行卡]"),
    ("卡 6222 0212 3456 7890 128 谢谢", "卡 [银行卡] 谢谢"),
    ("对公转账卡号 6286793090192119550", "对公转账卡号 [银行卡]"),  # not Luhn, but said to be one
    ("账号：1234 5678 9012 3456 789", "账号：[银行卡]"),
    ("开户行账户 310066726018170123456", "开户行账户 [银行卡]"),
    # several kinds in one text
    (
        "王总电话13812345678，邮箱wang@abc.com，微信wang_88，身份证11010519491231002X",
        "王总电话[手机号]，邮箱[邮箱]，微信[微信号]，身份证[身份证]",
    ),
]

NEGATIVES = [
    "订单号 2026103112345678",  # 16 digits, starts with 2, not Luhn
    "SO13812345678",  # order code: letters glued to 11 digits
    "OPP000714",
    "CU000625-3",
    "MSG00000001",
    "合同编号 HT-2026-00012345",
    "金额 1,200,000 元",
    "13,812,345,678元",  # an amount with thousands commas
    "合计 138123456.78 元",  # a decimal amount
    "13812345678901",  # 14 digits: not a phone
    "138123456781234567",  # 18 digits, wrong ID check digit, not Luhn
    "110105194912310021",  # ID shape with a wrong check digit
    "110105194913310028",  # month 13
    "110105194902300012",  # right check character, but 30 February
    "4111111111111112",  # 16 digits, not Luhn
    "6222 0212 3456 7890",  # grouped, not Luhn
    "2026-10-31",
    "2026-10-31 13:45:12",
    "2026/10/31 13:45",
    "20261031134512",
    "2026-10-31T13:45:12+08:00",
    "时间 09:00-18:00",
    "预算120万，折扣8.5折，数量3000台",
    "QQ 12345678",  # QQ numbers are not masked
    "版本 v13.8.1234",
    "IP 192.168.100.200",
    "型号 XJ-2000-138",
    "产品编码 P13812345678",
    "look at baidu.com",  # a bare " at " is not an e-mail
    "https://www.example.com/path?id=12",
    "联系@张三 看一下",
    "WeChat group chat",
    "微信支付已到账",
    "微信群里说过了",
    "wxid",
    "防水等级至少要IP67,你们能做到吗?",
    "电话会议 10:00",
    "",
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES)
def test_masks_each_kind(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_lookalikes_alone(text):
    assert mask_text(text) == text
    assert find_pii(text) == []


def test_none_stays_none():
    assert mask_text(None) is None


def test_every_positive_passes_the_prefilter():
    """The prefilter must be a superset of the detectors: it is what skips the regexes."""
    for text, _ in POSITIVES:
        assert pii.may_contain_pii(text), text
        assert re.search(pii.PREFILTER, text), text


def test_kinds_are_reported():
    found = find_pii(
        "手机13812345678 座机021-12345678 a@b.cn wxid_abcd1234 11010519491231002X 4111111111111111"
    )
    assert [m.kind for m in found] == [
        "mobile",
        "landline",
        "email",
        "wechat",
        "id_card",
        "bank_card",
    ]
    assert found[0].value == "13812345678"
    assert (
        find_pii("１３８１２３４５６７８")[0].value == "１３８１２３４５６７８"
    )  # the original characters


def test_masking_is_idempotent_and_keeps_no_digits_of_the_value():
    once = mask_text(POSITIVES[-1][0])
    assert mask_text(once) == once
    assert not re.search(r"\d", once)


def test_check_digit_and_luhn():
    assert id_check_ok("11010519491231002X") and id_check_ok("440524188001010014")
    assert not id_check_ok("110105194912310021")
    assert not id_check_ok("110105194902300012")  # right check character, but 30 February
    assert luhn_ok("4111 1111 1111 1111") and not luhn_ok("4111111111111112")


def test_arrow_udf_matches_python_and_keeps_nulls():
    texts = [t for t, _ in POSITIVES] + NEGATIVES + [None]
    out = pii.mask_arrow(pa.array(texts, pa.string())).to_pylist()
    assert out == [mask_text(t) for t in texts]
    con = duckdb.connect()
    pii.register(con)
    pii.register(con)  # twice is fine
    assert con.execute(
        "select pii_mask('tel 13812345678'), pii_mask(null), pii_mask('无')"
    ).fetchone() == (
        "tel [手机号]",
        None,
        "无",
    )


def test_sql_prefilter_is_the_python_one():
    con = duckdb.connect()
    con.execute("create table t (s varchar)")
    con.executemany("insert into t values (?)", [(t,) for t, _ in POSITIVES])
    assert con.execute(
        "select count(*) from t where not regexp_matches(s, ?)", [pii.PREFILTER]
    ).fetchone() == (0,)


# ---------------------------------------------------------------- scan


def test_scan_finds_planted_values_in_tables_and_views():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.fct_chat as select * from (values "
        "('OPP1', '价格太贵', 1), ('OPP2', '我手机号 13812345678', 2), ('OPP3', '我手机号 13812345678', 3), "
        "('OPP4', '发到 a@b.cn', 4), ('OPP5', '金额 1,200,000 元 2026-10-31', 5)) t(opportunity_id, text, n)"
    )
    con.execute("create view marts.v_ids as select '身份证 ' || '11010519491231002X' as note")
    con.execute(
        "create table marts.clean as select 'CU000625-3' as contact_id, '订单号 2026103112345678' as note"
    )
    findings = pii.scan_database(con)
    got = {(f.schema, f.table, f.column, f.kind, f.rows) for f in findings}
    assert got == {
        ("marts", "fct_chat", "text", "mobile", 2),
        ("marts", "fct_chat", "text", "email", 1),
        ("marts", "v_ids", "note", "id_card", 1),
    }
    sample = next(f.sample for f in findings if f.kind == "mobile")
    assert sample == "我手机号 [手机号]" and "138" not in str(findings)


def test_scan_skips_a_view_whose_files_are_gone(tmp_path):
    con = duckdb.connect()
    part = tmp_path / "p.parquet"
    con.execute(f"copy (select '13812345678' as s) to '{part}'")
    con.execute(f"create view gone as select * from read_parquet('{part}')")
    assert [f.kind for f in pii.scan_database(con)] == ["mobile"]
    part.unlink()
    assert pii.scan_database(con) == []


def test_scan_skips_id_columns_but_not_text():
    """Identifier columns hold opaque keys and are not scanned at all (issue 10): the same
    values in a text column are still found."""
    import duckdb

    from salesops.pii import scan_database

    con = duckdb.connect()
    con.execute("create table t (customer_id varchar, contact_id varchar, note varchar)")
    con.execute(
        "insert into t values ('13812345678', 'li.lei@example.com', 'call 13812345678'), "
        "('6222021234567890123', '11010519491231002X', 'ok')"
    )
    found = {(f.column, f.kind) for f in scan_database(con)}
    assert found == {("note", "mobile")}
