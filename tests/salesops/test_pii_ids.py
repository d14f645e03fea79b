"""Identifiers are not personal data (issue 10): record ids, hashes and codes are never taken
for phones or WeChat IDs, identifier columns are not scanned, and a publish refusal says
which mapping-profile key fixes it. Planted PII next to such ids is still all caught."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import string
import uuid
from pathlib import Path

import duckdb
import pytest

from salesops import contract, pii
from salesops.config import Paths
from salesops.ingest import ProfileError, ingest_table, load_profile
from salesops.pii import find_pii, mask_text
from salesops.publish import PublishError, open_snapshot, publish_snapshot

ALNUM_UPPER = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits

# Hand-picked edge cases: each once matched a detector (or nearly).
EDGE_IDS = [
    # hex hashes starting with 11+ digits shaped like a mobile (or a Luhn card, or an ID card)
    "13812345678a9f0c2e4b7d1e3f5a6c8d",  # md5
    "13912345678ab4c6d8e0f2a4b6c8d0e2f4a6b8c0",  # sha1
    "13912345678abcdef0123456789abcdef0123456789abcdef0123456789abcd",  # sha256
    "13912345678AB4C6D8E0F2A4B6C8D0E2",  # upper-case md5
    "1391234567890123ab4c6d8e0f2a4b6c",  # 16 digits first
    "4111111111111111abcdef0123456789",  # a Luhn-valid card number, then hex
    "6222021234567890128fedcba9876543",
    "440524188001010014abcdef01234567",  # a valid ID-card number, then hex
    "8613812345678abcdef0123456789abc",  # +86 mobile shape, then hex
    # UUIDs whose digit groups look like a landline (0755-4234-8567) or a split mobile
    "0b8e2a10-0755-4234-8567-446655440000",
    "0B8E2A10-0755-4234-8567-446655440000",
    "13812345-6784-4abc-8def-0123456789ab",
    "550e8400-1381-4234-867a-446655440000",
    "550e8400-e29b-41d4-a716-446655440000",
    # Salesforce 15- and 18-character ids
    "0065g00000AbCdE",
    "0065g00000AbCdEAAX",
    "00Q5g000001wxYzAB",
    "0035g00000VXk9aQ2",
    "a0X5g00000wx12AbCAA",
    # random 8-character codes beginning with a WeChat keyword
    "VX3K9QZT",
    "wxA81K2Q",
    "WXK3K9QZ",
    "vxAB12CD",
    "VXK3K9Q7",
    "wxid1234",
    "WeChatA1",
    "weixin9Z",
    # order numbers
    "SO13812345678",
    "PO15987654321",
    "ABVX13812345678",
    "HOTEL13812345678",
    "SO20260312000123",
]


def random_ids(n: int = 60, seed: int = 10) -> list[str]:
    """A few hundred real-looking identifiers from a seeded RNG."""
    rng = random.Random(seed)
    ids: list[str] = []
    for _ in range(n):
        u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        ids += [u, u.upper()]
        raw = rng.randbytes(16)
        ids += [hashlib.md5(raw).hexdigest(), hashlib.sha1(raw).hexdigest()]
        ids.append(hashlib.sha256(raw).hexdigest())
        # a hash that happens to start with 11+ digits shaped like a mobile
        head = (
            "1" + rng.choice("3456789") + "".join(rng.choices(string.digits, k=rng.randint(9, 14)))
        )
        ids.append((head + rng.choice("abcdef") + hashlib.md5(raw).hexdigest())[:32])
        ids.append((head + rng.choice("ABCDEF") + hashlib.sha1(raw).hexdigest().upper())[:40])
        # Salesforce 15/18 characters: key prefix, pod, zeros, record part, checksum
        sf = rng.choice(["001", "003", "005", "006", "00Q", "00T", "500", "a0X"])
        sf += rng.choice(["5g", "2w", "4T", "0b"]) + "0000" + "".join(rng.choices(ALNUM, k=6))
        ids += [sf, sf + "".join(rng.choices(string.ascii_uppercase, k=3))]
        # 8-character codes, a quarter of them beginning with vx/wx in any case
        code = "".join(rng.choices(rng.choice([ALNUM_UPPER, ALNUM]), k=8))
        ids.append(code)
        ids.append(rng.choice(["VX", "WX", "vx", "wx", "Vx", "wX"]) + code[:6])
        # order numbers: letters glued to a mobile-shaped number
        ids.append(
            rng.choice(["SO", "PO", "DD", "HT"])
            + "1"
            + rng.choice("3456789")
            + "".join(rng.choices(string.digits, k=9))
        )
    return ids


CORPUS = EDGE_IDS + random_ids()


def hubspot_ids(n: int = 100, seed: int = 11) -> list[str]:
    """HubSpot record ids: 11-digit numbers, many shaped like a mobile."""
    rng = random.Random(seed)
    return [
        "1" + rng.choice("3456789") + "".join(rng.choices(string.digits, k=9)) for _ in range(n)
    ]


def test_corpus_is_large_and_varied():
    assert len(CORPUS) >= 500 and len(set(CORPUS)) >= 500
    assert any(i[:2].lower() in ("vx", "wx") for i in CORPUS)


def test_no_identifier_is_taken_for_personal_data():
    found = {i: [(m.kind, m.value) for m in find_pii(i)] for i in CORPUS}
    assert {i: f for i, f in found.items() if f} == {}
    assert all(mask_text(i) == i for i in CORPUS)


def test_the_arrow_udf_leaves_identifiers_alone():
    import pyarrow as pa

    assert pii.mask_arrow(pa.array(CORPUS, pa.string())).to_pylist() == CORPUS


def id_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema marts")
    con.execute(
        "create table marts.records (record_ref varchar, customer_id varchar, hubspot_id varchar, "
        "order_no varchar, note varchar)"
    )
    hub = hubspot_ids()
    rows = [
        (
            ref,
            CORPUS[(i + 7) % len(CORPUS)],
            hub[i % len(hub)],
            hub[(i + 1) % len(hub)],
            f"记录 {ref} 已同步",
        )
        for i, ref in enumerate(CORPUS)
    ]
    con.executemany("insert into marts.records values (?, ?, ?, ?, ?)", rows)


def test_scan_finds_nothing_in_identifiers():
    con = duckdb.connect()
    id_table(con)
    # order_no holds bare 11-digit numbers: not an id column by name, so it needs not_personal
    assert {(f.column, f.kind) for f in pii.scan_database(con)} == {("order_no", "mobile")}
    assert pii.scan_database(con, not_personal=["order_no"]) == []
    assert pii.scan_database(con, not_personal=["ORDER_NO"]) == []


def test_identifier_columns_are_exempt_by_name():
    assert all(pii.is_identifier_column(c) for c in contract.key_column_names())
    assert pii.is_identifier_column("hubspot_id") and pii.is_identifier_column("Deal_ID")
    assert pii.is_identifier_column("id")
    assert pii.is_identifier_column("order_no", not_personal=("order_no",))
    assert not pii.is_identifier_column("note") and not pii.is_identifier_column("order_no")
    assert not pii.is_identifier_column("idea")


# ---------------------------------------------------------------- PII next to identifiers

PLANTED = [
    ("客户微信 wxid_abc123，订单 13912345678ab4c6d8e0f2a4b6c8d0e2", ["wechat"]),
    ("手机 13912345678，记录 VX3K9QZT", ["mobile"]),
    ("vx: zs_2024 记录号 wxA81K2Q", ["wechat"]),
    ("VX zs2024abc / 旧编号 VXK3K9Q7", ["wechat"]),
    ("联系人 0065g00000AbCdEAAX 电话 021-12345678", ["landline"]),
    ("请求 550e8400-e29b-41d4-a716-446655440000 邮箱 a@b.cn", ["email"]),
    ("hash 4111111111111111abcdef0123456789 卡 4111 1111 1111 1111", ["bank_card"]),
    ("订单 SO13812345678 客户手机13812345678", ["mobile"]),
    ("wx 13812345678", ["mobile"]),
    ("WX号abc12345", ["wechat"]),
    ("WeChat ID: leo_wang", ["wechat"]),
    ("weixin: leo_wang 记录 WeChatA1", ["wechat"]),
    ("微信wang_88 记录 wxA81K2Q", ["wechat"]),
    ("tel13812345678 编号 0b8e2a10-0755-4234-8567-446655440000", ["mobile"]),
    ("座机 0755-1234-5678 转 12", ["landline"]),
    ("身份证 440524188001010014，编号 440524188001010014abcdef", ["id_card"]),
]


@pytest.mark.parametrize(("text", "kinds"), PLANTED)
def test_pii_next_to_identifiers_is_still_caught(text, kinds):
    assert [m.kind for m in find_pii(text)] == kinds
    masked = mask_text(text)
    assert pii.PLACEHOLDERS[kinds[0]] in masked
    assert pii.may_contain_pii(text)


def test_planted_values_are_masked_and_ids_kept():
    assert (
        mask_text("客户微信 wxid_abc123，订单 13912345678ab4c6d8e0f2a4b6c8d0e2")
        == "客户微信 [微信号]，订单 13912345678ab4c6d8e0f2a4b6c8d0e2"
    )
    assert mask_text("手机 13912345678，记录 VX3K9QZT") == "手机 [手机号]，记录 VX3K9QZT"


# ---------------------------------------------------------------- publish refusal


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path).ensure()


def build_warehouse(paths: Paths, excerpt: str, order_no: str = "SO1") -> None:
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_as_of_resolved as select date '2026-10-31' as as_of"
        )
        con.execute(
            "create or replace table marts.fct_chat_signals as select 'OPP1' as opportunity_id, "
            "? as excerpt, ? as order_no, '13812345678' as hubspot_id, date '2026-10-31' as as_of",
            [excerpt, order_no],
        )


def test_refusal_names_the_column_and_the_profile_keys(paths):
    build_warehouse(paths, "客户说价格太贵 13812345678，订单 13912345678ab4c6d8e0f2a4b6c8d0e2")
    with pytest.raises(PublishError) as err:
        publish_snapshot(paths, run_id="r1")
    message = str(err.value).split("personal data found", 1)[1]  # not the build path
    assert "marts.fct_chat_signals.excerpt holds a mobile number in 1 row" in message
    assert "[手机号]" in message and "13812345678" not in message
    assert "`mask: [<landing column>]`" in message and "profile rule" in message
    assert "`not_personal: [excerpt]`" in message
    assert "contract.py" not in message and "dbt" not in message and "model" not in message
    assert "Refusing to publish; the previous snapshot stays." in message
    assert "hubspot_id" not in message  # an id column is not scanned


def test_refusal_points_at_the_landing_column_of_the_same_name(paths):
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema marts")
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table intermediate.int_as_of_resolved as select date '2026-10-31' as as_of"
        )
        con.execute(
            "create table marts.dim_customer as select 'C1' as customer_id, '张三 13812345678' as name, "
            "date '2026-10-31' as as_of"
        )
    with pytest.raises(
        PublishError, match=r"marts\.dim_customer\.name holds a mobile number"
    ) as err:
        publish_snapshot(paths, run_id="r1")
    assert "customers.name" in str(err.value)


def test_not_personal_lets_an_identifier_column_publish(paths):
    build_warehouse(paths, "价格太贵", order_no="13812345678")
    with pytest.raises(
        PublishError, match=r"marts\.fct_chat_signals\.order_no holds a mobile number"
    ):
        publish_snapshot(paths, run_id="r1")
    publish_snapshot(paths, run_id="r2", not_personal=("order_no",))
    with open_snapshot(paths) as con:
        assert con.execute("select order_no from marts.fct_chat_signals").fetchone() == (
            "13812345678",
        )


# ---------------------------------------------------------------- profile keys


PROFILE = """\
profile: mine
not_personal: [order_no, record_hash]
files:
  - match: "crm/customers*.csv"
    table: customers
    mask: [name]
"""


def test_profile_mask_and_not_personal_load(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    profile = load_profile(path)
    assert profile.not_personal == ("order_no", "record_hash")
    (rule,) = profile.rules
    assert rule.mask == ("name",)
    without = load_profile_text(tmp_path, PROFILE.replace("    mask: [name]\n", ""))
    assert without.rules[0].mask == () and without.rules[0].fingerprint() != rule.fingerprint()


def load_profile_text(tmp_path: Path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (PROFILE.replace("mask: [name]", "mask: [nmae]"), ["files[0] mask", "nmae"]),
        (PROFILE.replace("mask: [name]", "mask: [created_at]"), ["files[0] mask", "created_at"]),
        (PROFILE.replace("mask: [name]", "mask: {name: 1}"), ["files[0] mask"]),
        (
            PROFILE.replace("not_personal: [order_no, record_hash]", "not_personal: {a: b}"),
            ["not_personal"],
        ),
    ],
)
def test_profile_mask_errors_name_the_key(tmp_path, text, fragments):
    with pytest.raises(ProfileError) as err:
        load_profile_text(tmp_path, text)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_mask_masks_a_column_that_is_not_free_text_at_ingest(tmp_path):
    paths = Paths(tmp_path / "home").ensure()
    (paths.landing / "crm").mkdir(parents=True)
    (paths.landing / "crm" / "customers.csv").write_text(
        "customer_id,name,industry\nCU1,个体户张三 13812345678,制造\nCU2,华东精密,制造\n",
        encoding="utf-8",
    )
    table = contract.table("customers")
    now = dt.datetime(2026, 2, 1)
    plain = ingest_table(table, paths, now=now)
    names = duckdb.sql(
        f"select name from read_parquet('{plain.bronze_path}') order by customer_id"
    ).fetchall()
    assert names == [("个体户张三 13812345678",), ("华东精密",)]  # not free text in the contract

    profile = load_profile_text(tmp_path, PROFILE)
    masked = ingest_table(table, paths, profile=profile, now=now)
    names = duckdb.sql(
        f"select name from read_parquet('{masked.bronze_path}') order by customer_id"
    ).fetchall()
    assert names == [("个体户张三 [手机号]",), ("华东精密",)]
    for f in paths.bronze.rglob("customers*.parquet"):
        assert b"13812345678" not in f.read_bytes(), f
