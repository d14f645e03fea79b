"""Profile features for Chinese exports, on hand-made files with hand-computed outcomes:
owners keyed by department + name (`join`), the org tree built from department paths
(`org:`), the same name twice in one team reported, headers matched however Excel wrapped
them, 亿 / per-column amount units, Chinese date forms, formula errors quarantined, unmapped
stage names reported by name and count, several profiles in one run."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from salesops.config import Paths
from salesops.ingest import ingest_all
from salesops.ingest.core import ingest_order
from salesops.ingest.profile import ProfileError, combine, load_profile, load_profiles

NOW = dt.datetime(2026, 12, 2, 9, 0)


def write_profile(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def bronze(paths: Paths, table: str, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(
            sql.replace("from t", f"from read_parquet('{paths.bronze / f'{table}.parquet'}')")
        ).fetchall()


def account(paths: Paths, table: str) -> dict:
    return json.loads((paths.bronze / "_accounts" / f"{table}.json").read_text(encoding="utf-8"))


OPPORTUNITY_PROFILE = """
profile: cn_test
org: {root: 总部, levels: [region, city, team]}
files:
  - match: "*商机*"
    table: opportunities
    columns: {商机编号: opportunity_id, 客户名称: customer_id, 商机阶段: stage, "商机金额（元）": amount, 创建时间: created_at, 结单日期: closed_at}
    values:
      stage: {初步接洽: lead, 需求确认: qualified, 方案报价: quote, 谈判审核: negotiation, 赢单: won, 输单: lost}
    derive:
      owner_rep_id: {from: [所属部门, 负责人], join: "/"}
      status: {from: 商机阶段, values: {赢单: won, 输单: lost}, otherwise: open}
"""

OPPORTUNITIES = [
    [
        "商机编号",
        "客户名称",
        "负责人",
        "所属部门",
        "商机阶段",
        "商机金额\n(元)",
        "创建时间",
        "结单日期",
    ],
    [
        "S1",
        "甲公司",
        "张伟",
        "华东大区/上海分公司/销售一部",
        "赢单",
        "¥12,800.00",
        "2026年3月5日",
        "2026/4/1",
    ],
    [
        "S2",
        "乙公司",
        "张伟",
        "华东大区/杭州分公司/销售二部",
        "输单",
        "1.5亿",
        "2026/3/5 14:20",
        "2026.05.06",
    ],
    [
        "S3",
        "丙公司",
        "李娜",
        "华东大区/上海分公司/销售一部",
        "方案报价",
        "12.8万",
        "2026-03-05 14:20",
        None,
    ],
    ["S4", "丁公司", "王芳", "华南大区/广州分公司/销售一部", "暂停", "100", "2026-03-06", None],
    ["S5", "戊公司", "王芳", "华南大区/广州分公司/销售一部", "搁置", "100", "2026-03-07", None],
    ["S6", "己公司", "王芳", "华南大区/广州分公司/销售一部", "暂停", "100", "2026-03-08", None],
    [
        "S7",
        "庚公司",
        "王芳",
        "华南大区/广州分公司/销售一部",
        "需求确认",
        "=#REF!",
        "2026-03-09",
        None,
    ],
]


def workbook(path: Path, rows: list[list], sheet: str = "商机列表") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str) and value.startswith("="):
                ws.write_formula(r, c, value, None, value[1:])
            else:
                ws.write(r, c, value)
    wb.close()
    return path


@pytest.fixture
def cn_home(tmp_path: Path) -> Paths:
    paths = Paths(tmp_path / "home", tmp_path / "landing").ensure()
    workbook(paths.landing / "crm" / "商机列表_20261201.xlsx", OPPORTUNITIES)
    profile = load_profile(write_profile(tmp_path / "cn.yaml", OPPORTUNITY_PROFILE))
    ingest_all(paths, profile, now=NOW)
    return paths


def test_owners_are_keyed_by_department_and_name_and_two_namesakes_stay_two_reps(cn_home):
    assert bronze(
        cn_home, "opportunities", "select opportunity_id, owner_rep_id from t order by 1"
    ) == [
        ("S1", "华东大区/上海分公司/销售一部/张伟"),
        ("S2", "华东大区/杭州分公司/销售二部/张伟"),
        ("S3", "华东大区/上海分公司/销售一部/李娜"),
    ]
    assert bronze(cn_home, "reps", "select rep_id, name, team_id, role from t order by 1") == [
        ("华东大区/上海分公司/销售一部/张伟", "张伟", "华东大区/上海分公司/销售一部", "rep"),
        ("华东大区/上海分公司/销售一部/李娜", "李娜", "华东大区/上海分公司/销售一部", "rep"),
        ("华东大区/杭州分公司/销售二部/张伟", "张伟", "华东大区/杭州分公司/销售二部", "rep"),
    ]


def test_the_org_tree_is_built_from_the_department_paths(cn_home):
    assert bronze(
        cn_home, "org_units", "select unit_id, level, parent_id, name from t order by 1"
    ) == [
        ("华东大区", "region", "总部", "华东大区"),
        ("华东大区/上海分公司", "city", "华东大区", "上海分公司"),
        ("华东大区/上海分公司/销售一部", "team", "华东大区/上海分公司", "销售一部"),
        ("华东大区/杭州分公司", "city", "华东大区", "杭州分公司"),
        ("华东大区/杭州分公司/销售二部", "team", "华东大区/杭州分公司", "销售二部"),
        ("总部", "hq", None, "总部"),
    ]
    assert account(cn_home, "org_units")["derived_rows"] == 6
    assert account(cn_home, "reps")["derived_rows"] == 3


def test_chinese_amounts_and_dates_and_a_header_excel_wrapped(cn_home):
    assert bronze(
        cn_home,
        "opportunities",
        "select opportunity_id, amount, created_at, closed_at from t order by 1",
    ) == [
        ("S1", Decimal("12800.00"), dt.datetime(2026, 3, 5), dt.datetime(2026, 4, 1)),
        ("S2", Decimal("150000000.00"), dt.datetime(2026, 3, 5, 14, 20), dt.datetime(2026, 5, 6)),
        ("S3", Decimal("128000.00"), dt.datetime(2026, 3, 5, 14, 20), None),
    ]


def test_unmapped_stages_are_reported_by_name_and_count_and_a_formula_error_is_quarantined(cn_home):
    acc = account(cn_home, "opportunities")
    assert (acc["rows_read"], acc["rows_accepted"], acc["rows_quarantined"]) == (7, 3, 4)
    (f,) = acc["files"]
    assert f["file"] == "crm/商机列表_20261201.xlsx#商机列表"
    assert any("暂停 ×2, 搁置 ×1" in note and "values: {stage" in note for note in f["notes"]), f[
        "notes"
    ]
    with duckdb.connect() as con:
        rows = con.execute(
            f"select file, line, column_name, raw_value, reason from read_parquet('{cn_home.quarantine / 'opportunities.parquet'}') order by line"
        ).fetchall()
    assert [(line, column, raw) for _, line, column, raw, _ in rows] == [
        (5, "stage", "暂停"),
        (6, "stage", "搁置"),
        (7, "stage", "暂停"),
        (8, "amount", "#REF!"),
    ]
    assert rows[0][0].endswith("商机列表_20261201.xlsx#商机列表")  # file and sheet
    assert "formula error" in rows[3][4]


def test_the_same_name_twice_in_one_team_is_reported_not_merged_silently(tmp_path):
    paths = Paths(tmp_path / "home", tmp_path / "landing").ensure()
    workbook(
        paths.landing / "crm" / "员工列表.xlsx",
        [
            ["姓名", "部门", "职务"],
            ["张伟", "华东大区/上海分公司/销售一部", "销售代表"],
            ["李娜", "华东大区/上海分公司/销售一部", "销售代表"],
            ["张伟", "华东大区/上海分公司/销售一部", "销售代表"],
            ["张伟", "华东大区/杭州分公司/销售二部", "销售代表"],
        ],
        sheet="员工",
    )
    profile = load_profile(
        write_profile(
            tmp_path / "p.yaml",
            """
profile: staff
org: {levels: [region, city, team]}
files:
  - match: "*员工*"
    table: reps
    columns: {姓名: name, 部门: team_id}
    constants: {role: rep}
    derive:
      rep_id: {from: [部门, 姓名], join: "/"}
""",
        )
    )
    ingest_all(paths, profile, now=NOW)
    acc = account(paths, "reps")
    assert (acc["rows_read"], acc["rows_accepted"], acc["rows_superseded"]) == (4, 3, 1)
    (note,) = [n for n in acc["files"][0]["notes"] if "more than one row" in n]
    assert "华东大区/上海分公司/销售一部/张伟 on rows 2, 4" in note
    assert "工号" in note


def test_several_profiles_combine_and_org_settings_may_not_disagree(tmp_path):
    a = write_profile(
        tmp_path / "a.yaml", "profile: a\norg: {levels: [region, team]}\nignore: ['*.md']\n"
    )
    b = write_profile(
        tmp_path / "b.yaml", "profile: b\nignore: ['*.md', '*.txt']\nnot_personal: [order_no]\n"
    )
    c = write_profile(tmp_path / "c.yaml", "profile: c\norg: {levels: [city]}\n")
    both = load_profiles([a, b])
    assert (both.name, both.ignore, both.not_personal, both.org.levels) == (
        "a+b",
        ("*.md", "*.txt"),
        ("order_no",),
        ("region", "team"),
    )
    with pytest.raises(ProfileError, match="different `org:`"):
        combine([load_profile(a), load_profile(c)])


@pytest.mark.parametrize(
    "text, message",
    [
        ("org: {levels: [district]}", "levels"),
        ("files: [{match: x, table: reps, derive: {rep_id: {from: a, join: /}}}]", "two or more"),
        (
            "files: [{match: x, table: opportunities, options: {column_amount_units: {stage: wan_yuan}}}]",
            "not an amount",
        ),
        ("files: [{match: x, table: opportunities, options: {amount_unit: qian}}]", "amount_unit"),
        (
            "files: [{match: x, table: opportunities, format: wecom_archive}]",
            "writes chat_messages",
        ),
        ("files: [{match: x, table: chat_messages, format: telegram}]", "unknown format"),
        ("files: [{match: x, table: opportunities, options: {header_row: 0}}]", "header_row"),
    ],
)
def test_profile_mistakes_are_named(tmp_path, text, message):
    with pytest.raises(ProfileError, match=message):
        load_profile(write_profile(tmp_path / "bad.yaml", text))


def test_upstream_tables_come_first():
    order = ingest_order()
    for before, after in [
        ("opportunities", "reps"),
        ("reps", "org_units"),
        ("external_contacts", "chat_messages"),
        ("reps", "chat_messages"),
        ("leads", "opportunities"),
        ("opportunities", "opportunity_stage_history"),
    ]:
        assert order.index(before) < order.index(after), (before, after)


def test_archive_times_follow_the_reporting_time_zone_setting(tmp_path, monkeypatch):
    """msgtime is UTC epoch milliseconds: Asia/Shanghai by default, SALESOPS_TIMEZONE otherwise
    (changing the setting types the file again)."""
    paths = Paths(tmp_path / "home", tmp_path / "landing").ensure()
    chat = paths.landing / "chat"
    chat.mkdir(parents=True)
    record = {
        "msgid": "m1", "action": "send", "from": "wmX", "tolist": ["zhangwei"], "roomid": "",
        "msgtime": 1763600700000, "msgtype": "text", "text": {"content": "你好"},
    }  # 2025-11-20 01:05:00 UTC
    (chat / "会话存档_20251120.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    profile = load_profile(Path(__file__).resolve().parents[2] / "profiles" / "wecom_archive.yaml")
    monkeypatch.delenv("SALESOPS_TIMEZONE", raising=False)
    ingest_all(paths, profile, now=NOW)
    assert bronze(paths, "chat_messages", "select sent_at, sender, rep_id, contact_id from t") == [
        (dt.datetime(2025, 11, 20, 9, 5), "customer", "zhangwei", "wmX")
    ]
    monkeypatch.setenv("SALESOPS_TIMEZONE", "UTC")
    ingest_all(paths, profile, now=NOW)
    assert bronze(paths, "chat_messages", "select sent_at from t") == [(dt.datetime(2025, 11, 20, 1, 5),)]


def test_profile_check_names_each_rule_by_its_profile_when_several_are_combined(tmp_path):
    from salesops.ingest.check import check_landing

    landing = tmp_path / "landing"
    (landing / "crm").mkdir(parents=True)
    (landing / "crm" / "deals.csv").write_text("Deal,Owner\nD1,R1\n", encoding="utf-8")
    a = write_profile(tmp_path / "a.yaml", "profile: a\nfiles: [{match: '*leads*', table: leads}]\n")
    b = write_profile(
        tmp_path / "b.yaml",
        "profile: b\nfiles: [{match: '*deals*', table: reps, columns: {Deal: rep_id, Owner: name}, "
        "constants: {team_id: T, role: rep}}]\n",
    )
    report = check_landing(landing, [a, b])
    assert [(f.file, f.rule) for f in report.files] == [("crm/deals.csv", "b files[0]")]
    assert report.unmatched_rules == ["a files[0] (*leads* → leads)"]
