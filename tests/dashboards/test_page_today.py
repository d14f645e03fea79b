"""今日概览 Today: the attention counts and lists of the chosen unit, from hand-made marts."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from salesops.config import Paths

PAGE = "app_pages/today.py"
AS_OF = dt.date(2026, 11, 26)

KINDS = [
    # kind, zh, en, page, order
    ("coaching_alert", "辅导提醒", "Coaching alert", "dual-track", 1),
    ("mot_violation", "MOT 违规", "MOT violation", "process", 3),
]


def item(kind, item_id, rep_id, team_id, customer, amount, measure, note_zh, note_en, on):
    label = {k: (zh, en, page, order) for k, zh, en, page, order in KINDS}[kind]
    return {
        "item_kind": kind,
        "item_id": item_id,
        "rep_id": rep_id,
        "team_id": team_id,
        "opportunity_id": None,
        "customer_name": customer,
        "kind_label_zh": label[0],
        "kind_label_en": label[1],
        "page": label[2],
        "sort_order": label[3],
        "amount": amount,
        "measure": measure,
        "note_zh": note_zh,
        "note_en": note_en,
        "item_on": on,
        "as_of": AS_OF,
    }


ITEMS = [
    item(
        "coaching_alert",
        "s-001|2026-11",
        "s-001",
        "t-sh1",
        None,
        180_000.0,
        0.36,
        None,
        None,
        dt.date(2026, 11, 1),
    ),
    item(
        "coaching_alert",
        "s-002|2026-11",
        "s-002",
        "t-sh1",
        None,
        52_000.0,
        0.25,
        None,
        None,
        dt.date(2026, 11, 1),
    ),
    item(
        "mot_violation",
        "o-9|1",
        "s-002",
        "t-sh1",
        "上海明远科技有限公司",
        1_234_567.0,
        2,
        "预算范围、决策人",
        "budget_range, decision_maker",
        dt.date(2026, 11, 24),
    ),
    item(
        "mot_violation",
        "o-7|1",
        "s-101",
        "t-bj1",
        "北京华信集团",
        2_000_000.0,
        3,
        "预算范围",
        "budget_range",
        dt.date(2026, 11, 25),
    ),
]


def summary_rows() -> list[dict]:
    # counted by hand from ITEMS for the units under each manager
    counts = {
        # unit: {kind: (items, reps, amount)}
        "hq": {"coaching_alert": (2, 2, 232_000.0), "mot_violation": (2, 2, 3_234_567.0)},
        "r-east": {"coaching_alert": (2, 2, 232_000.0), "mot_violation": (1, 1, 1_234_567.0)},
        "c-sh": {"coaching_alert": (2, 2, 232_000.0), "mot_violation": (1, 1, 1_234_567.0)},
        "c-bj": {"coaching_alert": (0, 0, None), "mot_violation": (1, 1, 2_000_000.0)},
    }
    rows = []
    for unit_id, by_kind in counts.items():
        for kind, zh, en, page, order in KINDS:
            n, reps, amount = by_kind[kind]
            rows.append(
                {
                    "unit_id": unit_id,
                    "unit_level": "x",
                    "item_kind": kind,
                    "kind_label_zh": zh,
                    "kind_label_en": en,
                    "page": page,
                    "sort_order": order,
                    "item_count": n,
                    "rep_count": reps,
                    "amount_sum": amount,
                    "as_of": AS_OF,
                }
            )
    return rows


@pytest.fixture
def published(salesops_home: Paths, build_snapshot, write_rows) -> Paths:
    def attention(con) -> None:
        write_rows(con, "marts.fct_attention_items", ITEMS)
        write_rows(con, "marts.fct_attention_summary", summary_rows())

    build_snapshot(salesops_home.snapshot_db, extra_tables=(attention,))
    return salesops_home


@pytest.fixture
def open_today(sign_in):
    def _open(username: str, language: str = "zh") -> AppTest:
        app = sign_in(username, language)
        app.run()
        app.switch_page(PAGE).run()
        assert not app.exception, app.exception
        assert not app.error, [e.value for e in app.error]
        return app

    return _open


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_a_region_manager_sees_counts_and_yuan_at_stake_per_kind(
    published: Paths, open_today
) -> None:
    app = open_today("east")
    assert app.title[0].value == "今日概览"
    assert metrics(app) == {"辅导提醒": "2", "MOT 违规": "1"}
    captions = [c.value for c in app.caption]
    assert "涉及 ¥23.2万 · 2 名销售" in captions
    assert "涉及 ¥123.5万 · 1 名销售" in captions


def test_items_are_ranked_by_amount_with_full_names(published: Paths, open_today) -> None:
    app = open_today("east")
    coaching = app.dataframe[0].value
    assert coaching["销售"].tolist() == ["李娜", "王强"]
    assert coaching["团队"].tolist() == ["上海一组", "上海一组"]
    assert coaching["金额（元）"].tolist() == [180_000.0, 52_000.0]
    assert coaching["说明"].tolist() == ["挑战目标比承诺目标高 36.0%", "挑战目标比承诺目标高 25.0%"]
    mot = app.dataframe[1].value
    assert mot["客户"].tolist() == ["上海明远科技有限公司"]
    assert mot["说明"].tolist() == ["进入报价前未记录：预算范围、决策人"]


def test_a_city_manager_never_sees_another_citys_items(published: Paths, open_today) -> None:
    app = open_today("bj")
    assert metrics(app) == {"辅导提醒": "0", "MOT 违规": "1"}
    shown = [frame.value for frame in app.dataframe]
    assert [frame["客户"].tolist() for frame in shown] == [["北京华信集团"]]
    text = " ".join(str(frame.to_dict()) for frame in shown)
    assert "上海" not in text and "李娜" not in text


def test_a_rep_sees_only_their_own_items_and_no_unit_totals(published: Paths, open_today) -> None:
    app = open_today("rep")
    assert metrics(app) == {}
    [coaching] = [frame.value for frame in app.dataframe]
    assert coaching["销售"].tolist() == ["李娜"]


def test_english_labels_and_dates(published: Paths, open_today) -> None:
    app = open_today("east", "en")
    assert app.title[0].value == "Today"
    assert metrics(app)["Coaching alert"] == "2"
    assert "¥23.2万 at stake · 2 reps" in [c.value for c in app.caption]
    assert app.dataframe[0].value["Detail"].tolist()[0] == "Challenge 36.0% above commitment"


def test_a_scope_without_items_says_so(published: Paths, open_today) -> None:
    app = open_today("sh")
    app.sidebar.selectbox(key="scope_unit_id").set_value("t-o'brien").run()
    assert not app.exception
    assert [i.value for i in app.info][0] == "今天没有需要处理的事项。"
    assert metrics(app) == {}  # the summary has no rows for this team
