"""Write the worked example of Chinese sources: a 国产 CRM workbook, a 企业微信 会话存档 archive,
its external-contact list and member export, and a 钉钉 chat sheet — all made up here, in the
shapes these systems export (no vendor file is copied).

    python examples/cn_sources/generate.py [TARGET]        # default: examples/cn_sources/landing
    salesops run --landing TARGET \\
        --profile profiles/cn_crm_excel.yaml --profile profiles/wecom_archive.yaml \\
        --profile profiles/cn_chat_sheet.yaml

What is planted, so a reader can check the published figures by hand (tests/profiles/
test_cn_sources.py asserts each one):

- 商机列表 sheet: a title row, a two-row header with merged 金额 / 日期 group cells, 10 deals
  and a 合计 totals row. Amounts as ``¥128,000.00``, ``12.8万``, ``1.2万``, ``300,000`` and
  numbers; dates as Excel date cells, ``2026/3/31`` and ``2026年12月15日``. One deal sits in a
  stage the profile does not map (暂停): quarantined and named in the run summary. So 9 deals
  load: won 3 (128,000 + 86,000 + 12,000 = 226,000 yuan), lost 1, and open: quote 2,
  negotiation 1, qualified 1, lead 1.
- Two reps named 张伟, in 上海 销售一部 and 杭州 销售二部: two reps. The org tree (9 units:
  总部, 2 regions, 3 cities, 3 teams) comes from the department paths.
- 跟进记录 sheet: 6 follow-ups, one with a mobile number in its note (masked).
- 会话存档: 16 records: 7 text messages kept (3 from reps, 4 from customers), and set aside:
  1 image, 1 voice, 1 file, 1 mixed, 1 recalled message and its recall notice, 1 robot
  message, 1 internal chat between two employees, 1 switch record. A phone number in a
  rep's message is masked. Contacts: 4, matched to CRM customers 3 (2 exact, 1 by normalised
  name), 1 unmatched; 6 of the 7 kept messages are linked to an open deal.
- 钉钉聊天记录 sheet: 5 rows: 4 messages between 刘洋 and a customer kept, 1 from 张伟 set aside
  (two reps have that name).
- A 说明 sheet in the CRM workbook is listed as not read.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
UTC = dt.UTC
SHANGHAI = dt.timezone(dt.timedelta(hours=8))

DEALS = [
    # 商机编号, 商机名称, 客户名称, 负责人, 所属部门, 商机阶段, 商机金额, 预计成交日期, 创建时间, 最后跟进时间, 结单日期, 输单原因, 客户来源, 行业
    ("SJ001", "甲科技CRM升级", "上海甲科技有限公司", "张伟", "华东大区/上海分公司/销售一部", "赢单", "¥128,000.00", "2026/3/31", dt.datetime(2026, 1, 5, 9, 30), dt.datetime(2026, 3, 18, 10, 0), dt.datetime(2026, 3, 20), None, "展会", "软件"),
    ("SJ002", "乙制造MES项目", "上海乙制造股份有限公司", "李娜", "华东大区/上海分公司/销售一部", "方案报价", "12.8万", "2026年12月15日", dt.datetime(2026, 9, 1, 14, 0), dt.datetime(2026, 11, 20, 16, 0), None, None, "转介绍", "制造业"),
    ("SJ003", "丙贸易ERP", "杭州丙贸易有限公司", "张伟", "华东大区/杭州分公司/销售二部", "输单", 50000, "2026/5/30", dt.datetime(2026, 2, 10, 11, 0), dt.datetime(2026, 5, 1, 9, 0), dt.datetime(2026, 5, 6), "价格太高", "官网", "贸易"),
    ("SJ004", "丙贸易二期", "杭州丙贸易有限公司", "张伟", "华东大区/杭州分公司/销售二部", "谈判审核", "300,000", "2026/12/20", dt.datetime(2026, 8, 15, 10, 0), dt.datetime(2026, 11, 28, 15, 0), None, None, "老客户", "贸易"),
    ("SJ005", "丁医疗设备采购", "广州丁医疗器械有限公司", "陈静", "华南大区/广州分公司/销售一部", "赢单", 86000, "2026/6/30", dt.datetime(2026, 3, 2, 9, 0), dt.datetime(2026, 6, 28, 17, 0), dt.datetime(2026, 6, 30), None, "展会", "医疗"),
    ("SJ006", "丁医疗二期", "广州丁医疗器械有限公司", "陈静", "华南大区/广州分公司/销售一部", "初步接洽", None, None, dt.datetime(2026, 11, 10, 10, 0), dt.datetime(2026, 11, 26, 11, 0), None, None, "老客户", "医疗"),
    ("SJ007", "甲科技数据平台", "上海甲科技有限公司", "李娜", "华东大区/上海分公司/销售一部", "需求确认", 45000, "2027/1/31", dt.datetime(2026, 10, 8, 9, 0), dt.datetime(2026, 11, 25, 10, 0), None, None, "老客户", "软件"),
    ("SJ008", "戊物流调度系统", "广州戊物流有限公司", "陈静", "华南大区/广州分公司/销售一部", "赢单", "1.2万", "2026/10/31", dt.datetime(2026, 7, 1, 9, 0), dt.datetime(2026, 10, 14, 9, 0), dt.datetime(2026, 10, 15), None, "官网", "物流"),
    ("SJ009", "乙制造仓储", "上海乙制造股份有限公司", "张伟", "华东大区/上海分公司/销售一部", "暂停", 20000, None, dt.datetime(2026, 6, 1, 9, 0), dt.datetime(2026, 8, 1, 9, 0), None, None, "转介绍", "制造业"),
    ("SJ010", "己能源监控", "杭州己能源有限公司", "张伟", "华东大区/杭州分公司/销售二部", "方案报价", 60000, "2027/2/28", dt.datetime(2026, 10, 20, 9, 0), dt.datetime(2026, 11, 30, 9, 0), None, None, "展会", "能源"),
]
CUSTOMERS = [
    ("上海甲科技有限公司", "软件", "展会", dt.datetime(2025, 12, 1)),
    ("上海乙制造股份有限公司", "制造业", "转介绍", dt.datetime(2026, 5, 20)),
    ("杭州丙贸易有限公司", "贸易", "官网", dt.datetime(2026, 2, 1)),
    ("广州丁医疗器械有限公司", "医疗", "展会", dt.datetime(2026, 2, 20)),
    ("广州戊物流有限公司", "物流", "官网", dt.datetime(2026, 6, 20)),
    ("杭州己能源有限公司", "能源", "展会", dt.datetime(2026, 10, 1)),
]
FOLLOW_UPS = [
    # 记录编号, 商机编号, 跟进人, 所属部门, 跟进方式, 跟进时间, 跟进内容
    ("GJ001", "SJ001", "张伟", "华东大区/上海分公司/销售一部", "拜访", dt.datetime(2026, 2, 3, 10, 0), "现场演示，客户认可"),
    ("GJ002", "SJ002", "李娜", "华东大区/上海分公司/销售一部", "电话", dt.datetime(2026, 11, 20, 16, 0), "客户王总手机13812345678，约下周拜访"),
    ("GJ003", "SJ004", "张伟", "华东大区/杭州分公司/销售二部", "商务谈判", dt.datetime(2026, 11, 28, 15, 0), "价格谈到九五折"),
    ("GJ004", "SJ005", "陈静", "华南大区/广州分公司/销售一部", "产品演示", dt.datetime(2026, 5, 10, 14, 0), "设备试用两周"),
    ("GJ005", "SJ006", "陈静", "华南大区/广州分公司/销售一部", "微信", dt.datetime(2026, 11, 26, 11, 0), "发了资料"),
    ("GJ006", "SJ010", "张伟", "华东大区/杭州分公司/销售二部", "电话", dt.datetime(2026, 11, 30, 9, 0), "确认需求范围"),
]
MEMBERS = [
    # 姓名, 账号, 职务, 部门, 手机, 入职日期
    ("王强", "wangqiang", "大区总监", "华东大区", "13900000001", dt.datetime(2020, 3, 1)),
    ("赵敏", "zhaomin", "城市经理", "华东大区/上海分公司", "13900000002", dt.datetime(2021, 6, 1)),
    ("张伟", "zhangwei01", "销售代表", "华东大区/上海分公司/销售一部", "13900000003", dt.datetime(2022, 4, 1)),
    ("李娜", "lina", "销售代表", "华东大区/上海分公司/销售一部", "13900000004", dt.datetime(2023, 2, 15)),
    ("张伟", "zhangwei02", "销售代表", "华东大区/杭州分公司/销售二部", "13900000005", dt.datetime(2024, 7, 1)),
    ("刘洋", "liuyang", "城市经理", "华南大区/广州分公司", "13900000006", dt.datetime(2021, 1, 10)),
    ("陈静", "chenjing", "销售代表", "华南大区/广州分公司/销售一部", "13900000007", dt.datetime(2023, 9, 1)),
]
CONTACTS = [
    # 外部联系人ID, 名称, 企业名称, 备注企业, 添加人账号, 添加时间
    ("wmA1xxxxxxxxxxxxxxxxxxxx", "王总", "上海甲科技有限公司", "", "zhangwei01", dt.datetime(2026, 1, 6, 9, 0)),
    ("wmB2xxxxxxxxxxxxxxxxxxxx", "李经理", "", "上海乙制造", "lina", dt.datetime(2026, 9, 2, 10, 0)),
    ("wmC3xxxxxxxxxxxxxxxxxxxx", "陈先生", "广州丁医疗器械有限公司", "", "chenjing", dt.datetime(2026, 3, 3, 9, 0)),
    ("woD4xxxxxxxxxxxxxxxxxxxx", "访客", "某某咨询有限公司", "", "chenjing", dt.datetime(2026, 11, 29, 9, 0)),
]


def _ms(year: int, month: int, day: int, hour: int, minute: int) -> int:
    """Epoch milliseconds of a Shanghai wall-clock time (the archive stores UTC)."""
    return int(dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).timestamp() * 1000)


def archive_records() -> list[dict]:
    a, b, c, d = (row[0] for row in CONTACTS)

    def text(msgid, sender, to, when, content, room=""):
        return {"msgid": msgid, "action": "send", "from": sender, "tolist": to, "roomid": room,
                "msgtime": when, "msgtype": "text", "text": {"content": content}}

    def other(msgid, sender, to, when, kind, body, room=""):
        return {"msgid": msgid, "action": "send", "from": sender, "tolist": to, "roomid": room,
                "msgtime": when, "msgtype": kind, kind: body}

    return [
        text("m001", "zhangwei01", [a], _ms(2026, 11, 20, 9, 5), "王总您好，数据平台的方案已发您邮箱"),
        text("m002", a, ["zhangwei01"], _ms(2026, 11, 20, 9, 30), "收到，预算大概在15万左右"),
        other("m003", a, ["zhangwei01"], _ms(2026, 11, 20, 9, 31), "image", {"md5sum": "0f3c", "filesize": 20480, "sdkfileid": "img1"}),
        text("m004", "lina", [b], _ms(2026, 11, 21, 14, 0), "李经理，合同条款我们再对一下，我的电话13912345678"),
        text("m005", b, ["lina"], _ms(2026, 11, 21, 14, 20), "好的，下周签"),
        text("m006", "lina", [b], _ms(2026, 11, 21, 14, 21), "刚才的报价发错了"),
        {"msgid": "r001", "action": "recall", "from": "lina", "tolist": [b], "roomid": "",
         "msgtime": _ms(2026, 11, 21, 14, 22), "msgtype": "revoke", "revoke": {"pre_msgid": "m006"}},
        other("m007", b, ["lina"], _ms(2026, 11, 21, 14, 30), "voice", {"voice_size": 4096, "play_length": 12, "sdkfileid": "v1"}),
        text("m008", "chenjing", [c, "liuyang"], _ms(2026, 11, 26, 10, 0), "陈先生，设备演示安排在周四", room="wrR1xxxxxxxx"),
        text("m009", c, ["chenjing", "liuyang"], _ms(2026, 11, 26, 10, 15), "可以，周四上午", room="wrR1xxxxxxxx"),
        text("m010", "wbBOT1xxxxxxxx", ["chenjing", c], _ms(2026, 11, 26, 10, 16), "机器人提醒：请及时跟进", room="wrR1xxxxxxxx"),
        text("m011", "zhangwei01", ["lina"], _ms(2026, 11, 27, 12, 0), "中午一起吃饭"),
        text("m012", d, ["chenjing"], _ms(2026, 11, 29, 9, 10), "你好，想了解一下你们的产品"),
        {"msgid": "s001", "action": "switch", "time": _ms(2026, 11, 29, 9, 30), "user": "chenjing"},
        other("m013", "chenjing", [c], _ms(2026, 11, 30, 11, 0), "file", {"filename": "报价单.pdf", "fileext": "pdf", "filesize": 102400}),
        other("m014", a, ["zhangwei01"], _ms(2026, 11, 30, 15, 0), "mixed", {"item": [{"type": "text", "content": "{\"content\":\"图片见上\"}"}]}),
    ]


CHAT_SHEET = [
    # 时间, 发送人, 接收人, 内容, 客户名称
    ("2026-11-24 10:00", "刘洋", "孙总", "孙总好，调度系统上线后运行还顺利吗？", "广州戊物流有限公司"),
    ("2026-11-24 10:12", "孙总", "刘洋", "挺好的，想再加两个仓库", "广州戊物流有限公司"),
    ("2026/11/24 10:20", "刘洋", "孙总", "好的，我让同事出个扩容方案", "广州戊物流有限公司"),
    ("2026年11月25日 09:00", "孙总", "刘洋", "方案收到了", "广州戊物流有限公司"),
    ("2026-11-25 11:00", "张伟", "周经理", "周经理，上次说的需求有更新吗？", "杭州己能源有限公司"),
]


def _crm_workbook(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    date_cell = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp_cell = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws = wb.add_worksheet("商机列表")
    ws.merge_range("A1:N1", "商机列表  导出时间：2026-12-01 08:03")
    single = ["商机编号", "商机名称", "客户名称", "负责人", "所属部门", "商机阶段"]
    for col, name in enumerate(single):
        ws.merge_range(1, col, 2, col, name)
    ws.write(1, 6, "金额")
    ws.write(2, 6, "商机金额")
    ws.merge_range(1, 7, 1, 10, "日期")
    for col, name in zip(range(7, 11), ["预计成交日期", "创建时间", "最后跟进时间", "结单日期"], strict=True):
        ws.write(2, col, name)
    for col, name in zip(range(11, 14), ["输单原因", "客户来源", "行业"], strict=True):
        ws.merge_range(1, col, 2, col, name)
    row = 3
    for deal in DEALS:
        for col, value in enumerate(deal):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(row, col, value, date_cell if col == 10 else stamp_cell)
            else:
                ws.write(row, col, value)
        row += 1
    numeric = sum(v for v in (d[6] for d in DEALS) if isinstance(v, int | float))
    ws.write(row, 0, "合计")
    ws.write(row, 6, numeric)

    ws = wb.add_worksheet("客户列表")
    ws.write_row(0, 0, ["客户列表  导出时间：2026-12-01 08:03"])
    ws.write_row(1, 0, ["客户名称", "行业", "客户来源", "创建时间"])
    for i, (name, industry, source, created) in enumerate(CUSTOMERS, start=2):
        ws.write_row(i, 0, [name, industry, source])
        ws.write_datetime(i, 3, created, date_cell)

    ws = wb.add_worksheet("跟进记录")
    ws.write_row(0, 0, ["记录编号", "商机编号", "跟进人", "所属部门", "跟进方式", "跟进时间", "跟进内容"])
    for i, (rid, deal, who, dept, how, when, note) in enumerate(FOLLOW_UPS, start=1):
        ws.write_row(i, 0, [rid, deal, who, dept, how])
        ws.write(i, 5, when.strftime("%Y-%m-%d %H:%M"))
        ws.write(i, 6, note)

    ws = wb.add_worksheet("说明")
    ws.write(0, 0, "本文件由CRM系统导出，金额单位：元。")
    wb.close()


def _members_workbook(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("成员列表")
    ws.write_row(0, 0, ["姓名", "账号", "职务", "部门", "手机", "入职日期"])
    date_cell = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i, (name, account, title, dept, phone, hired) in enumerate(MEMBERS, start=1):
        ws.write_row(i, 0, [name, account, title, dept, phone])
        ws.write_datetime(i, 5, hired, date_cell)
    wb.close()


def _contacts_workbook(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("客户联系")
    ws.write_row(0, 0, ["外部联系人ID", "名称", "企业名称", "备注企业", "添加人账号", "添加时间"])
    for i, (uid, name, corp, remark, follow, added) in enumerate(CONTACTS, start=1):
        ws.write_row(i, 0, [uid, name, corp, remark, follow, added.strftime("%Y-%m-%d %H:%M:%S")])
    wb.close()


def _chat_sheet(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("聊天记录")
    ws.write_row(0, 0, ["时间", "发送人", "接收人", "内容", "客户名称"])
    for i, row in enumerate(CHAT_SHEET, start=1):
        ws.write_row(i, 0, row)
    wb.close()


def generate(target: Path) -> Path:
    """Write the example landing folder (crm/, chat/) under ``target``; returns it."""
    crm, chat = target / "crm", target / "chat"
    crm.mkdir(parents=True, exist_ok=True)
    chat.mkdir(parents=True, exist_ok=True)
    _crm_workbook(crm / "商机列表_20261201.xlsx")
    _members_workbook(crm / "企业微信通讯录_20261201.xlsx")
    _contacts_workbook(chat / "外部联系人_20261201.xlsx")
    _chat_sheet(chat / "钉钉聊天记录_20261201.xlsx")
    with open(chat / "会话存档_20261201.jsonl", "w", encoding="utf-8") as f:
        for record in archive_records():
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


if __name__ == "__main__":
    out = generate(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "landing")
    print(f"wrote {out}")
