"""Partial sources: the funnel page says which extracts are missing, the sidebar lists the
data sources, and the loaders read the availability marts with bound parameters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data
from tests.dashboards.test_page_funnel import write_funnel_page_marts

FUNNEL_PAGE = "app_pages/funnel.py"


def open_funnel(app: AppTest) -> AppTest:
    app.run()
    app.switch_page(FUNNEL_PAGE).run()
    assert not app.exception, app.exception
    return app


def data_sources(app: AppTest) -> list[str]:
    [expander] = [e for e in app.sidebar.expander if e.label in ("数据源", "Data sources")]
    return [m.value for m in expander.markdown]


def test_funnel_without_stage_history_shows_the_missing_extract_not_a_chart(
    app: AppTest, publish: Callable[..., Path]
) -> None:
    publish(missing=("opportunity_stage_history",))
    open_funnel(app)
    assert app.title[0].value == "漏斗与管道"
    [notice] = [w.value for w in app.warning]
    assert "销售漏斗不可用：此数据源没有 `opportunity_stage_history` 数据" in notice
    assert (
        "Sales funnel not available: this source has no `opportunity_stage_history` extract."
        in notice
    )
    # instead of the funnel: no KPI, no chart, no table
    assert not app.metric
    assert not app.get("plotly_chart")
    assert not app.dataframe


def test_every_missing_required_table_is_named_once(
    app: AppTest, publish: Callable[..., Path]
) -> None:
    # both funnel marts miss both tables: each is listed once, alphabetically
    publish(missing=("reps", "opportunity_stage_history"))
    open_funnel(app)
    [notice] = [w.value for w in app.warning]
    assert "this source has no `opportunity_stage_history`, `reps` extract." in notice
    assert notice.count("`reps`") == 2  # once per language


def test_an_optional_missing_extract_keeps_the_funnel_and_says_what_is_degraded(
    app: AppTest, publish: Callable[..., Path]
) -> None:
    publish(missing=("contracts",), extra_tables=(write_funnel_page_marts,))
    open_funnel(app)
    assert not app.error
    assert not app.warning
    assert [m.value for m in app.metric if m.label == "商机数"] == ["100"]
    assert any(c.value.startswith("此数据源没有 `contracts`") for c in app.caption)


def test_a_complete_source_shows_the_funnel_without_notices(
    app: AppTest, publish: Callable[..., Path]
) -> None:
    publish(extra_tables=(write_funnel_page_marts,))
    open_funnel(app)
    assert not app.warning
    assert not app.error
    assert app.get("plotly_chart")
    assert not any("此数据源没有" in c.value for c in app.caption)


def test_sidebar_lists_available_and_missing_data_sources(app: AppTest, published) -> None:
    open_funnel(app)
    available, missing = data_sources(app)
    # sorted by source system, then table
    assert available.splitlines() == [
        "**有数据（6）**",
        "- `leads` (crm) · 180 行",
        "- `opportunities` (crm) · 100 行",
        "- `opportunity_stage_history` (crm) · 412 行",
        "- `org_units` (crm) · 5 行",
        "- `reps` (crm) · 40 行",
        "- `contracts` (finance) · 30 行",
    ]
    assert missing.splitlines() == [
        "**无数据（2）**",
        "- `chat_messages` (chat)",
        "- `targets` (crm)",
    ]


def test_data_sources_follow_the_language(app: AppTest, publish: Callable[..., Path]) -> None:
    publish(missing=("opportunity_stage_history",))
    open_funnel(app)
    app.sidebar.radio(key="language").set_value("en").run()
    assert not app.exception
    available, missing = data_sources(app)
    assert available.splitlines()[0] == "**Available (5)**"
    assert "- `opportunities` (crm) · 100 rows" in available.splitlines()
    assert missing.splitlines()[0] == "**Missing (3)**"
    assert "- `opportunity_stage_history` (crm)" in missing.splitlines()
    # the notice stays bilingual whatever the language
    [notice] = [w.value for w in app.warning]
    assert "此数据源没有" in notice and "this source has no" in notice


def test_a_snapshot_without_the_availability_marts_is_reported_not_a_traceback(
    app: AppTest, salesops_home, build_snapshot
) -> None:
    # a snapshot published before the availability marts existed
    build_snapshot(salesops_home.snapshot_db)
    with duckdb.connect(str(salesops_home.snapshot_db)) as con:
        con.execute("drop table marts.fct_source_availability")
    app.run()
    assert not app.exception
    [message] = [e.value for e in app.error]
    assert "fct_source_availability" in message


def snapshot() -> data.Snapshot:
    current = data.current_snapshot()
    assert current is not None
    return current


def test_mart_availability_reads_only_the_asked_marts(publish: Callable[..., Path]) -> None:
    publish(missing=("opportunity_stage_history",))
    rows = data.mart_availability(snapshot(), ("fct_funnel_summary", "fct_funnel_stages"))
    assert rows["mart_name"].tolist() == ["fct_funnel_stages", "fct_funnel_summary"]
    assert rows["is_available"].tolist() == [False, False]
    assert rows["missing_tables"].tolist() == ["opportunity_stage_history"] * 2


@pytest.mark.parametrize("name", ["x' or '1'='1", "fct_funnel_stages' --"])
def test_a_mart_name_is_a_value_never_sql(published, name: str) -> None:
    assert data.mart_availability(snapshot(), (name,)).empty


def test_source_availability_has_every_listed_table(published) -> None:
    rows = data.source_availability(snapshot())
    by_table = rows.set_index("table_name")
    assert len(rows) == 8
    assert by_table.loc["opportunities", "row_count"] == 100
    assert not by_table.loc["targets", "is_available"]
    assert by_table.loc["reps", "is_available"]


def test_a_table_with_many_rows_quarantined_is_a_warning_on_every_page(
    app: AppTest, publish: Callable[..., Path]
) -> None:
    from salesops.run_summary import Reason, TableSummary

    publish(
        ingest_summary=[
            TableSummary("opportunities", 1, 200, 170, 30, 0, top_reasons=(Reason("stage", "not one of: lead, …", 30),)),
            TableSummary("leads", 1, 100, 99, 1, 0),
        ]
    )
    open_funnel(app)
    warnings = [w.value for w in app.warning]
    assert any(
        w.startswith("opportunities：30 / 200 行被隔离（15.0%，超过 5%）") and "30 × stage: not one of: lead, …" in w
        for w in warnings
    ), warnings
    assert not any(w.startswith("leads") for w in warnings)  # 1% is under the threshold
    app.switch_page("app_pages/voice.py").run()
    assert any(w.value.startswith("opportunities：30 / 200") for w in app.warning)


def test_a_snapshot_without_the_summary_shows_no_warning(app: AppTest, publish: Callable[..., Path]) -> None:
    publish()
    open_funnel(app)
    assert not any("被隔离" in w.value for w in app.warning)
