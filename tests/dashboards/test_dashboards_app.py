"""The entry point's frame: no snapshot yet, an incomplete snapshot, the translations."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import i18n
from salesops.config import Paths
from salesops.contract import OPEN_STAGES, STAGES


def test_without_a_snapshot_the_app_asks_for_make_run_in_both_languages(
    app: AppTest, salesops_home: Paths
) -> None:
    assert not salesops_home.snapshot_db.exists()
    app.run()
    assert not app.exception
    assert not app.error
    [message] = [info.value for info in app.info]
    assert "还没有已发布的数据快照" in message
    assert "No published data snapshot yet" in message
    assert message.count("`make run`") == 2


def test_an_incomplete_snapshot_shows_an_error_not_a_traceback(
    app: AppTest, salesops_home: Paths, build_snapshot
) -> None:
    build_snapshot(salesops_home.snapshot_db, with_funnel_marts=False)
    app.run()
    app.switch_page("app_pages/funnel.py").run()
    assert not app.exception
    [message] = [error.value for error in app.error]
    assert "数据快照不完整" in message
    assert "The data snapshot is incomplete" in message
    assert "fct_funnel_summary" in message


def test_every_text_has_chinese_and_english() -> None:
    for key, texts in i18n.TEXTS.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_has_an_english_label(stage: str) -> None:
    assert i18n.STAGE_LABELS_EN[stage]


def test_stage_labels_follow_the_language() -> None:
    assert [i18n.stage_label(stage) for stage in OPEN_STAGES] == [
        "线索",
        "需求确认",
        "方案报价",
        "商务谈判",
        "合同审批",
    ]


def test_every_page_of_the_navigation_exists_with_a_title_in_both_languages() -> None:
    from dashboards.navigation import PAGES, PAGES_DIR

    assert [file for _, file, _, _, _ in PAGES if not (PAGES_DIR / file).exists()] == []
    assert len({url_path for *_, url_path in PAGES}) == len(PAGES) == 10
    for section, _, title, _, _ in PAGES:
        assert set(i18n.TEXTS[title]) == set(i18n.TEXTS[section]) == {"zh", "en"}
