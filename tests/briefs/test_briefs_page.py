"""The 沟通洞察简报 page from the entry point: dates, scope, rep picker, both languages."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from salesops import briefs
from salesops.config import Paths

PAGE = "app_pages/briefs.py"


def _write(paths: Paths, *dates: dt.date) -> None:
    for day in dates:
        items = briefs.build_briefs(paths.snapshot_db, day)
        briefs.write_briefs(items, briefs.briefs_dir(paths), day)


def _open(app: AppTest, unit_id: str = "hq") -> AppTest:
    app.run()
    app.session_state["scope_unit_id"] = unit_id
    return app.switch_page(PAGE).run()


def test_without_briefs_the_page_says_how_to_get_them(app, published):
    _open(app)
    assert not app.exception
    [message] = [info.value for info in app.info]
    assert "还没有沟通洞察简报" in message and "No daily briefs yet" in message


def test_manager_brief_of_the_chosen_scope_and_its_reps(app, published):
    _write(published, dt.date(2026, 11, 26), dt.date(2026, 11, 27))
    _open(app, "t-sh1")
    assert not app.exception
    assert app.title[0].value == "沟通洞察简报"
    date_picker = app.selectbox(key="brief_date")
    rep_picker = app.selectbox(key="brief_rep_id")
    assert date_picker.options == ["2026-11-27", "2026-11-26"]
    assert date_picker.value == dt.date(2026, 11, 27)
    texts = [m.value for m in app.markdown]
    manager = next(t for t in texts if t.startswith("## 沟通洞察简报 · 团队"))
    assert "总部 / 华东大区 / 上海 / 上海一组" in manager
    assert (
        "2. **杭州西湖医疗器械有限公司** · ¥80.0万 · 商务谈判 · 预计成交 2026-12-31 — "
        "风险：审批未批 (自 2026-11-18 起; 领导还没批) — 建议打法卡：医疗行业商务谈判让步清单"
    ) in manager
    assert "Approval pending" not in manager  # one language per file
    assert rep_picker.options == ["张三 (r1)", "李四 (r2)"]  # only the reps under t-sh1
    rep = next(t for t in texts if t.startswith("## 沟通洞察简报 · 销售: 张三"))
    assert (
        "1. **上海浦江精密制造有限公司** · ¥123.5万 · 方案报价 · 预计成交 2026-12-15 — "
        "风险：审批未批 (自 2026-11-26 起; 领导还没批) — 建议打法卡：报价后48小时回访 (商机 o1)"
    ) in rep

    rep_picker.set_value("r2").run()
    rep = next(m.value for m in app.markdown if m.value.startswith("## 沟通洞察简报 · 销售"))
    assert "李四" in rep and "预算受阻" in rep


def test_the_page_follows_the_language_and_the_date(app, published):
    _write(published, dt.date(2026, 11, 26), dt.date(2026, 11, 27))
    _open(app, "t-sh1")
    app.sidebar.radio[0].set_value("en").run()
    app.selectbox(key="brief_date").set_value(dt.date(2026, 11, 26)).run()
    assert not app.exception
    manager = next(
        m.value for m in app.markdown if m.value.startswith("## Daily communication brief · Team")
    )
    assert "Conversations of 2026-11-25" in manager
    assert "· 2026-11-26" in manager
    assert "审批未批" not in manager and "amount at risk" in manager


def test_a_unit_without_reps_has_no_manager_brief(app, published):
    _write(published, dt.date(2026, 11, 27))
    _open(app, "c-hz")
    assert not app.exception
    assert [i.value for i in app.info] == [
        "该范围下没有销售，此日没有主管简报。",
        "该范围下没有销售简报。",
    ]
