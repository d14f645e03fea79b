"""今日概览 / Today: what needs the manager's attention this morning, each item linking to
the page where it is worked on, and today's brief.

Counts come from ``marts.fct_attention_summary`` and the lists from
``marts.fct_attention_items`` (coaching alerts, ±2σ process flags, MOT violations this week,
the 待激活 pool, finance sync alerts; windows in the seed ``attention_item_kinds``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, scope, ui
from dashboards.i18n import language, t
from dashboards.navigation import page_file
from dashboards.queries import today

current = scope.current()
st.title(t("today.title"))
st.caption(current.name_path if not current.viewer.is_rep else current.viewer.name)

zh = language() == "zh"
items = today.attention_items(current)


def _detail(row: pd.Series) -> str:
    note = (row["note_zh"] if zh else row["note_en"]) or ""
    kind = row["item_kind"]
    if kind == "coaching_alert":
        return t("today.detail.coaching", gap=ui.percent(row["measure"]))
    if kind == "health_flag":
        return t("today.detail.health", metric=note, z=ui.number(row["measure"], 1))
    if kind == "reactivation":
        return t("today.detail.reactivation", nodes=note, days=ui.count(row["measure"]))
    if kind == "finance_sync":
        return t("today.detail.finance", hours=ui.number(row["measure"], 0))
    return t("today.detail.mot", facts=note)


if not current.viewer.is_rep:
    summary = today.attention_summary(current)
    columns = st.columns(max(len(summary), 1))
    for column, row in zip(columns, summary.itertuples(), strict=False):
        with column:
            st.metric(
                row.kind_label_zh if zh else row.kind_label_en,
                ui.count(row.item_count),
                border=True,
            )
            st.caption(
                t("today.at_stake", amount=ui.yuan(row.amount_sum), reps=ui.count(row.rep_count))
            )
            link = page_file(row.page)
            if link:
                st.page_link(link, label=t("today.open_page"), icon=":material/arrow_forward:")

if items.empty:
    st.info(t("today.nothing"))
else:
    kinds = items.drop_duplicates("item_kind")
    tabs = st.tabs(
        [f"{kind.kind_label_zh if zh else kind.kind_label_en}" for kind in kinds.itertuples()]
    )
    for tab, kind in zip(tabs, kinds.itertuples(), strict=True):
        with tab:
            rows = items[items["item_kind"] == kind.item_kind]
            shown = pd.DataFrame(
                {
                    t("today.col.rep"): rows["rep_name"],
                    t("today.col.team"): rows["team_name"],
                    t("today.col.customer"): rows["customer_name"],
                    t("today.col.amount"): rows["amount"],
                    t("today.col.date"): rows["item_on"],
                    t("today.col.detail"): [_detail(row) for _, row in rows.iterrows()],
                }
            ).dropna(axis="columns", how="all")  # e.g. no customer on a coaching alert
            ui.table(
                shown,
                f"today_{kind.item_kind}",
                column_config={
                    t("today.col.amount"): ui.money_column(t("today.col.amount")),
                    t("today.col.date"): ui.date_column(t("today.col.date")),
                },
                height=min(36 * (len(shown) + 1) + 3, 420),
                key=f"today_{kind.item_kind}",
            )
            link = page_file(kind.page)
            if link:
                st.page_link(link, label=t("today.open_page"), icon=":material/arrow_forward:")

st.subheader(t("today.brief"))
dates = data.brief_dates()
brief = None
if dates:
    if current.viewer.is_rep:
        brief = data.brief_markdown(dates[0], "rep", current.viewer.rep_id, language())
    else:
        brief = data.brief_markdown(dates[0], "manager", current.unit_id, language())
if brief is None:
    st.info(t("today.no_brief"))
else:
    st.caption(t("today.brief_of", date=ui.day(dates[0])))
    with st.container(border=True, height=480):
        st.markdown(brief)
link = page_file("voice")
if link:
    st.page_link(link, label=t("today.all_briefs"), icon=":material/forum:")

st.caption(t("today.definitions"))
