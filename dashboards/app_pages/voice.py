"""沟通洞察 / Voice of the customer: the daily briefs and what customers talk about.

Two tabs. **沟通洞察简报** shows the brief files of a morning (``$SALESOPS_HOME/briefs``,
written by the ``daily_brief`` asset or ``salesops brief``): the chosen unit's manager brief
and the briefs of the reps under it; a rep sees only their own. **关键词洞察** shows, for a
week, each team's top-3 keywords, emerging terms, the company-wide product-requirement
mentions and the reps' daily keyword signals, all read from the chat-signal marts as they
are (loaders in :mod:`dashboards.queries.voice`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, scope, ui
from dashboards.i18n import TEXTS, bilingual, language, t
from dashboards.queries import voice

WEEK_KEY = "voice_week"
BRIEF_DATE_KEY = "brief_date"
BRIEF_REP_KEY = "brief_rep_id"


def category_label(category: str) -> str:
    key = f"voice.category.{category}"
    return t(key) if key in TEXTS else category


def show_brief(brief_date: dt.date, kind: str, subject_id: str) -> None:
    text = data.brief_markdown(brief_date, kind, subject_id, language())
    if text is None:
        st.warning(t("voice.brief.missing_file", date=brief_date.isoformat()))
    else:
        st.markdown(text)


def briefs_tab(current: data.Scope) -> None:
    dates = data.brief_dates()
    if not dates:
        st.info(bilingual("voice.brief.none"), icon=":material/hourglass_empty:")
        return
    if st.session_state.get(BRIEF_DATE_KEY) not in dates:
        st.session_state.pop(BRIEF_DATE_KEY, None)
    # format functions look labels up in this run's language (a dict, not a call to t())
    date_labels = {day: ui.day(day) for day in dates}
    brief_date = st.selectbox(
        t("voice.brief.date"), dates, format_func=date_labels.__getitem__, key=BRIEF_DATE_KEY
    )
    index = data.brief_index(brief_date) or {"managers": [], "reps": []}
    if current.viewer.is_rep:
        if any(rep["rep_id"] == current.viewer.rep_id for rep in index["reps"]):
            show_brief(brief_date, "rep", current.viewer.rep_id)
        else:
            st.info(t("voice.brief.no_own"))
        return
    manager = next((m for m in index["managers"] if m["unit_id"] == current.unit_id), None)
    under_scope = set(manager["rep_ids"]) if manager else set()
    reps = {rep["rep_id"]: rep for rep in index["reps"] if rep["rep_id"] in under_scope}
    manager_tab, rep_tab = st.tabs([t("voice.brief.manager"), t("voice.brief.rep")])
    with manager_tab:
        if manager is None:
            st.info(t("voice.brief.no_manager"))
        else:
            show_brief(brief_date, "manager", current.unit_id)
    with rep_tab:
        if not reps:
            st.info(t("voice.brief.no_reps"))
            return
        if st.session_state.get(BRIEF_REP_KEY) not in reps:
            st.session_state.pop(BRIEF_REP_KEY, None)
        rep_id = st.selectbox(
            t("voice.brief.rep_picker"),
            list(reps),
            format_func=lambda rep: f"{reps[rep]['name']} ({rep})",
            key=BRIEF_REP_KEY,
        )
        show_brief(brief_date, "rep", rep_id)


def week_label(weeks: pd.DataFrame) -> dict[dt.date, str]:
    return {
        pd.Timestamp(week).date(): (
            t("voice.week.partial", day=ui.day(week)) if partial else ui.day(week)
        )
        for week, partial in zip(weeks["week_start"], weeks["is_partial_week"], strict=True)
    }


def keywords_section(current: data.Scope, week: dt.date) -> None:
    st.subheader(t("voice.keywords"))
    if ui.rep_only_notice(current):
        return
    rows = voice.top_keywords(current, week)
    if rows.empty:
        st.info(t("no_rows"))
        return
    figure = px.bar(
        rows.assign(category=[category_label(c) for c in rows["category"]]),
        x="mentions",
        y="team_name",
        color="keyword",
        orientation="h",
        text="keyword",
        labels={
            "mentions": t("voice.col.mentions"),
            "team_name": t("voice.col.team"),
            "keyword": t("voice.col.keyword"),
        },
        title=t("voice.chart.keywords"),
    )
    figure.update_layout(
        height=max(240, 60 * rows["unit_id"].nunique()),
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        showlegend=False,
        yaxis={"categoryorder": "category descending"},
    )
    st.plotly_chart(figure, width="stretch")
    ui.table_of(
        rows,
        [
            ui.Column("team_name", t("voice.col.team")),
            ui.Column("keyword_rank", t("voice.col.rank")),
            ui.Column("keyword", t("voice.col.keyword")),
            ui.Column([category_label(c) for c in rows["category"]], t("voice.col.category")),
            ui.Column("mentions", t("voice.col.mentions"), "count"),
            ui.Column("negated_mentions", t("voice.col.negated"), "count"),
        ],
        "team_top_keywords",
    )


def emerging_section(current: data.Scope, week: dt.date) -> None:
    st.subheader(t("voice.emerging"))
    if ui.rep_only_notice(current):
        return
    rows = voice.emerging_terms(current, week)
    if rows.empty:
        st.info(t("voice.emerging.none"))
        return
    ui.table_of(
        rows,
        [
            ui.Column("team_name", t("voice.col.team")),
            ui.Column("term_rank", t("voice.col.rank")),
            ui.Column("token", t("voice.col.term")),
            ui.Column("mentions", t("voice.col.mentions"), "count"),
            ui.Column("baseline_mentions", t("voice.col.baseline"), "number"),
            ui.Column("emergence_score", t("voice.col.score"), "number", digits=2),
        ],
        "team_emerging_terms",
    )


def requirements_section(current: data.Scope, week: dt.date) -> None:
    st.subheader(t("voice.requirements"))
    rows = voice.requirement_mentions(current.snapshot, week)
    if rows.empty:
        st.info(t("no_rows"))
        return
    figure = px.bar(
        rows,
        x="product_line",
        y="mentions",
        color="keyword",
        text="keyword",
        labels={
            "product_line": t("voice.col.product_line"),
            "mentions": t("voice.col.mentions"),
            "keyword": t("voice.col.keyword"),
        },
        title=t("voice.chart.requirements"),
    )
    figure.update_layout(height=320, margin={"l": 0, "r": 0, "t": 40, "b": 0}, showlegend=False)
    st.plotly_chart(figure, width="stretch")
    ui.table_of(
        rows,
        [
            ui.Column("product_line", t("voice.col.product_line")),
            ui.Column("keyword", t("voice.col.keyword")),
            ui.Column("mentions", t("voice.col.mentions"), "count"),
            ui.Column("opportunities", t("voice.col.opportunities"), "count"),
        ],
        "requirement_mentions",
    )


def rep_signals_section(current: data.Scope, week: dt.date) -> None:
    st.subheader(t("voice.rep_signals"))
    rows = voice.rep_signals(current, week)
    if rows.empty:
        st.info(t("no_rows"))
        return
    ui.table_of(
        rows,
        [
            ui.Column("signal_date", t("voice.col.date"), "date"),
            ui.Column("rep_name", t("voice.col.rep")),
            ui.Column("team_name", t("voice.col.team")),
            ui.Column([category_label(c) for c in rows["category"]], t("voice.col.category")),
            ui.Column("negated", t("voice.col.negated_flag"), "checkbox"),
            ui.Column("keywords", t("voice.col.keywords")),
            ui.Column("mentions", t("voice.col.hits"), "count"),
            ui.Column("messages", t("voice.col.mentions"), "count"),
            ui.Column("opportunities", t("voice.col.opportunities"), "count"),
        ],
        "rep_keyword_signals",
        height=400,
    )


def insights_tab(current: data.Scope) -> None:
    if ui.unavailable_marts(current.snapshot, voice.MARTS):
        return
    weeks = voice.weeks(current)
    if weeks.empty:
        st.info(t("no_rows"))
        return
    labels = week_label(weeks)
    if st.session_state.get(WEEK_KEY) not in labels:
        st.session_state.pop(WEEK_KEY, None)
    # the latest complete week by default: on a Monday morning the running week is nearly empty
    complete = [index for index, partial in enumerate(weeks["is_partial_week"]) if not partial]
    week = st.selectbox(
        t("voice.week"),
        list(labels),
        index=complete[0] if complete else 0,
        format_func=labels.__getitem__,
        key=WEEK_KEY,
    )
    keywords_section(current, week)
    emerging_section(current, week)
    requirements_section(current, week)
    rep_signals_section(current, week)


current = scope.current()
st.title(t("voice.title"))
st.caption(current.name_path)

brief, insights = st.tabs([t("voice.tab.brief"), t("voice.tab.insights")])
with brief:
    briefs_tab(current)
with insights:
    insights_tab(current)

st.caption(t("voice.definitions"))
