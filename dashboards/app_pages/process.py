"""过程健康 / Process health: the 12 process metrics as weekly control charts for a team or
a rep (value and peer median; z-score with its ±2σ limits and flagged weeks), the flags
with their most similar past case, MOT compliance and its violations, visit completeness
and the 待激活 reactivation pool.

Which rows the chosen unit shows is said on the page: a team → the team and its reps; a
city, region or HQ → its teams (the health marts have team and rep rows only); a rep →
their own. Loaders in :mod:`dashboards.queries.process`; this page only lays out.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import data, scope, ui
from dashboards.i18n import language, t
from dashboards.queries import process as queries

HEALTH_MARTS = ("fct_process_health_weekly",)
FLAG_MARTS = ("fct_process_health_flags",)
MOT_MARTS = (
    "fct_mot_compliance_unit_weekly",
    "fct_mot_compliance_rep_weekly",
    "fct_mot_compliance_team_weekly",
    "fct_mot_gate_violations",
)
VISIT_MARTS = (
    "fct_visit_completeness_team_weekly",
    "fct_visit_completeness_rep_weekly",
    "fct_reactivation_pool",
)
WEEKS_OFFERED = 12
FLAG_WEEKS = 4
CHART_MARGIN = {"l": 0, "r": 0, "t": 40, "b": 0}


def metric_value(value: object, unit: str) -> str:
    """A health metric in its own unit: shares in percent, ratios with two decimals."""
    if ui.is_missing(value):
        return ui.MISSING
    if unit == "share":
        return ui.percent(value)
    if unit == "ratio":
        return ui.number(value, 2)
    return t(f"process.unit.{unit}", value=ui.number(value, 1))


def yes_no(value: object) -> str:
    if ui.is_missing(value):
        return t("process.pending")
    return t("process.yes") if value else t("process.no")


def direction(value: object) -> str:
    return t(f"process.flag.{value}") if value in ("high", "low") else ""


def weeks_up_to(as_of: dt.date) -> list[dt.date]:
    """Mondays of the as-of week and the weeks before it, newest first."""
    monday = as_of - dt.timedelta(days=as_of.weekday())
    return [monday - dt.timedelta(weeks=n) for n in range(WEEKS_OFFERED)]


def metric_name(row: pd.Series | dict) -> str:
    return row["metric_name_zh"] if language() == "zh" else row["metric_name_en"]


def rows_note(current: data.Scope) -> None:
    if current.viewer.is_rep:
        st.caption(t("process.rows.rep"))
    elif current.level == "team":
        st.caption(t("process.rows.team", unit=current.name_path.split(" / ")[-1]))
    else:
        st.caption(t("process.rows.above", unit=current.name_path.split(" / ")[-1]))


def control_chart(rows: pd.DataFrame, title: str, unit: str) -> go.Figure:
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    figure.add_trace(
        go.Scatter(
            x=rows["week_start"],
            y=rows["metric_value"],
            mode="lines+markers",
            name=t("process.chart.value"),
            text=[metric_value(value, unit) for value in rows["metric_value"]],
            hovertemplate="%{x|%Y-%m-%d}: %{text}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=rows["week_start"],
            y=rows["peer_median"],
            mode="lines",
            line={"dash": "dot"},
            name=t("process.chart.median"),
            text=[metric_value(value, unit) for value in rows["peer_median"]],
            hovertemplate="%{x|%Y-%m-%d}: %{text}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    figure.add_trace(
        go.Scatter(
            x=rows["week_start"],
            y=rows["z_score"],
            mode="lines+markers",
            name=t("process.chart.z"),
            line={"color": "#555"},
        ),
        row=2,
        col=1,
    )
    for limit in (2, -2):
        figure.add_hline(y=limit, line={"dash": "dash", "color": "#d62728"}, row=2, col=1)
    flagged = rows[rows["is_flagged"].fillna(False).astype(bool)]
    figure.add_trace(
        go.Scatter(
            x=flagged["week_start"],
            y=flagged["z_score"],
            mode="markers",
            marker={"color": "#d62728", "size": 11, "symbol": "x"},
            name=t("process.chart.flagged"),
        ),
        row=2,
        col=1,
    )
    figure.update_yaxes(title=t("process.chart.z"), row=2, col=1)
    if unit == "share":
        figure.update_yaxes(tickformat=".0%", row=1, col=1)
    figure.update_layout(title=title, margin=CHART_MARGIN, height=460)
    return figure


def health_section(current: data.Scope) -> None:
    rows_note(current)
    if ui.unavailable_marts(current.snapshot, HEALTH_MARTS):
        return
    subjects = queries.health_subjects(current)
    if subjects.empty:
        st.info(t("no_rows"))
        return
    names = {
        index: t(f"process.subject.{row['scope_level']}", name=row["name"])
        for index, row in subjects.iterrows()
    }
    left, right = st.columns(2)
    with left:
        if st.session_state.get("process.subject") not in names:
            st.session_state.pop("process.subject", None)
        chosen = st.selectbox(
            t("process.subject"), list(names), format_func=names.__getitem__, key="process.subject"
        )
    subject = subjects.loc[chosen]
    weekly = queries.health_weekly(
        current,
        scope_level=subject["scope_level"],
        unit_id=subject["unit_id"],
        rep_id=subject["rep_id"],
    )
    if weekly.empty:
        st.info(t("no_rows"))
        return
    metrics = weekly.drop_duplicates("metric_code").sort_values("metric_id")
    labels = {row.metric_code: metric_name(row._asdict()) for row in metrics.itertuples()}
    with right:
        if st.session_state.get("process.metric") not in labels:
            st.session_state.pop("process.metric", None)
        code = st.selectbox(
            t("process.metric"), list(labels), format_func=labels.__getitem__, key="process.metric"
        )
    rows = weekly[weekly["metric_code"] == code]
    unit = rows["metric_unit"].iloc[0]
    st.plotly_chart(
        control_chart(
            rows, t("process.chart.title", metric=labels[code], subject=names[chosen]), unit
        ),
        width="stretch",
        key="process.health.chart",
    )
    latest_week = weekly["week_start"].max()
    latest = weekly[weekly["week_start"] == latest_week]
    st.subheader(t("process.scorecard", week=ui.day(latest_week)))
    table = pd.DataFrame(
        {
            t("process.col.metric"): [metric_name(row) for _, row in latest.iterrows()],
            t("process.col.value"): [
                metric_value(row.metric_value, row.metric_unit) for row in latest.itertuples()
            ],
            t("process.col.median"): [
                metric_value(row.peer_median, row.metric_unit) for row in latest.itertuples()
            ],
            t("process.col.z"): latest["z_score"].to_numpy(),
            t("process.col.peers"): latest["peer_count"].to_numpy(),
            t("process.col.flag"): [direction(value) for value in latest["flag_direction"]],
        }
    )
    ui.table(
        table,
        "process_health_latest_week",
        column_config={
            t("process.col.z"): ui.number_column(t("process.col.z"), 2),
            t("process.col.peers"): ui.count_column(t("process.col.peers")),
        },
        key="process.scorecard",
    )


def flags_section(current: data.Scope) -> None:
    if ui.unavailable_marts(current.snapshot, FLAG_MARTS):
        return
    flags = queries.health_flags(current, weeks=FLAG_WEEKS)
    if flags.empty:
        st.info(t("no_rows"))
        return
    st.caption(t("process.flags.weeks", weeks=FLAG_WEEKS, week=ui.day(flags["week_start"].max())))
    st.metric(t("process.flags.count"), ui.count(len(flags)), border=True)
    units = flags["metric_unit"].fillna("")
    similar = [
        ui.MISSING
        if ui.is_missing(row.similar_week_start)
        else t(
            "process.similar.case",
            unit=t("process.similar.elsewhere")
            if ui.is_missing(row.similar_unit_name)
            else row.similar_unit_name,
            week=ui.day(row.similar_week_start),
            value=metric_value(row.similar_metric_value, unit),
        )
        for row, unit in zip(flags.itertuples(), units, strict=True)
    ]
    table = pd.DataFrame(
        {
            t("process.col.week"): flags["week_start"],
            t("process.col.team"): flags["unit_name"],
            t("process.col.rep"): flags["rep_name"].fillna(ui.MISSING),
            t("process.col.metric"): [metric_name(row) for _, row in flags.iterrows()],
            t("process.col.value"): [
                metric_value(value, unit)
                for value, unit in zip(flags["metric_value"], units, strict=True)
            ],
            t("process.col.median"): [
                metric_value(value, unit)
                for value, unit in zip(flags["peer_median"], units, strict=True)
            ],
            t("process.col.z"): flags["z_score"],
            t("process.col.direction"): [direction(value) for value in flags["flag_direction"]],
            t("process.col.cards"): flags["sop_card_titles"].fillna(ui.MISSING),
            t("process.col.recovered"): [yes_no(value) for value in flags["recovered"]],
            t("process.col.similar"): similar,
            t("process.col.similar_cards"): flags["similar_sop_card_titles"].fillna(ui.MISSING),
            t("process.col.similar_recovered"): [
                yes_no(value) for value in flags["similar_recovered"]
            ],
        }
    )
    ui.table(
        table,
        "process_health_flags",
        column_config={
            t("process.col.week"): ui.date_column(t("process.col.week")),
            t("process.col.z"): ui.number_column(t("process.col.z"), 2),
        },
        key="process.flags",
    )


def mot_section(current: data.Scope, weeks: list[dt.date]) -> None:
    if ui.unavailable_marts(current.snapshot, MOT_MARTS):
        return
    week = st.selectbox(
        t("process.mot.week"), weeks, format_func=ui.labels(weeks, ui.day), key="process.mot.week"
    )
    weekly = queries.mot_compliance_weekly(current)
    if weekly.empty:
        st.info(t("no_rows"))
        return
    this_week = weekly[weekly["week_start"] == pd.Timestamp(week)]
    rate, entries, violations = st.columns(3)
    row = this_week.iloc[0] if not this_week.empty else {}
    rate.metric(
        t("process.mot.rate", week=ui.day(week)),
        ui.percent(row.get("mot_compliance_rate")),
        help=t("process.mot.rate.help"),
        border=True,
    )
    entries.metric(t("process.mot.entries"), ui.count(row.get("quote_entries", 0)), border=True)
    violations.metric(
        t("process.mot.violations"), ui.count(row.get("violation_entries", 0)), border=True
    )
    figure = go.Figure(
        go.Scatter(
            x=weekly["week_start"],
            y=weekly["mot_compliance_rate"],
            mode="lines+markers",
            name=t("process.col.compliance"),
        )
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05])
    figure.update_layout(title=t("process.mot.chart"), margin=CHART_MARGIN, height=300)
    st.plotly_chart(figure, width="stretch", key="process.mot.chart")

    children = queries.mot_compliance_children(current, week_start=week)
    if not children.empty:
        st.subheader(t("process.mot.children"))
        labels = {
            "name": t("process.col.name"),
            "quote_entries": t("process.col.entries"),
            "compliant_entries": t("process.col.compliant"),
            "violation_entries": t("process.col.violation_entries"),
            "mot_compliance_rate": t("process.col.compliance"),
        }
        ui.table(
            ui.labelled(children, labels),
            "mot_compliance_week",
            column_config={
                labels["quote_entries"]: ui.count_column(labels["quote_entries"]),
                labels["compliant_entries"]: ui.count_column(labels["compliant_entries"]),
                labels["violation_entries"]: ui.count_column(labels["violation_entries"]),
                labels["mot_compliance_rate"]: ui.percent_column(labels["mot_compliance_rate"]),
            },
            key="process.mot.children",
        )

    st.subheader(t("process.mot.list"))
    violations_list = queries.mot_violations(current, week_start=week)
    if violations_list.empty:
        st.info(t("process.mot.none"))
        return
    suffix = "zh" if language() == "zh" else "en"
    ui.table_of(
        violations_list,
        [
            ui.Column("entered_at", t("process.col.entered_at"), "datetime"),
            ui.Column(
                violations_list["customer_name"].fillna(ui.MISSING), t("process.col.customer")
            ),
            ui.Column(violations_list["rep_name"].fillna(ui.MISSING), t("process.col.rep")),
            ui.Column(violations_list["team_name"].fillna(ui.MISSING), t("process.col.team")),
            ui.Column(
                violations_list[f"missing_facts_{suffix}"].fillna(""), t("process.col.missing")
            ),
            ui.Column(violations_list[f"late_facts_{suffix}"].fillna(""), t("process.col.late")),
            ui.Column([yes_no(v) for v in violations_list["is_reentry"]], t("process.col.reentry")),
            ui.Column("opportunity_id", t("process.col.opportunity")),
        ],
        "mot_violations",
        key="process.mot.violations",
    )


def visits_section(current: data.Scope, weeks: list[dt.date]) -> None:
    if ui.unavailable_marts(current.snapshot, VISIT_MARTS):
        return
    pool = queries.reactivation_pool(current)
    st.metric(
        t("process.pool.count"), ui.count(len(pool)), help=t("process.pool.help"), border=True
    )
    week = st.selectbox(
        t("process.mot.week"),
        weeks,
        format_func=ui.labels(weeks, ui.day),
        key="process.visits.week",
    )
    st.subheader(t("process.visits.title"))
    visits = queries.visit_completeness(current, week_start=week)
    if visits.empty:
        st.info(t("process.visits.none"))
    else:
        visits = visits.assign(
            scope_level=[t(f"process.level.{level}") for level in visits["scope_level"]]
        )
        labels = {
            "scope_level": t("process.col.level"),
            "name": t("process.col.name"),
            "visits": t("process.col.visits"),
            "complete_visits": t("process.col.complete_visits"),
            "visit_completeness_rate": t("process.col.visit_rate"),
            "node_completion_rate": t("process.col.node_rate"),
        }
        ui.table(
            ui.labelled(visits, labels),
            "visit_completeness",
            column_config={
                labels["visits"]: ui.count_column(labels["visits"]),
                labels["complete_visits"]: ui.count_column(labels["complete_visits"]),
                labels["visit_completeness_rate"]: ui.percent_column(
                    labels["visit_completeness_rate"]
                ),
                labels["node_completion_rate"]: ui.percent_column(labels["node_completion_rate"]),
            },
            key="process.visits",
        )
    st.subheader(t("process.pool.title"), anchor="reactivation-pool")
    if pool.empty:
        st.info(t("process.pool.none"))
        return
    suffix = "zh" if language() == "zh" else "en"
    ui.table_of(
        pool,
        [
            ui.Column(pool["customer_name"].fillna(ui.MISSING), t("process.col.customer")),
            ui.Column(pool["owner_name"].fillna(ui.MISSING), t("process.col.owner")),
            ui.Column(pool["team_name"].fillna(ui.MISSING), t("process.col.team")),
            ui.Column("days_incomplete", t("process.col.days"), "count"),
            ui.Column(pool[f"missing_nodes_{suffix}"].fillna(""), t("process.col.missing_nodes")),
            ui.Column("visit_started_at", t("process.col.visit_started"), "datetime"),
            ui.Column("last_node_at", t("process.col.last_node"), "datetime"),
        ],
        "reactivation_pool",
        key="process.pool",
    )


current = scope.current()
st.title(t("process.title"))
st.caption(current.name_path)

info = data.publish_info(current.snapshot)
weeks = weeks_up_to(info.as_of if info is not None and info.as_of else dt.date.today())

health_tab, flags_tab, mot_tab, visits_tab = st.tabs(
    [t("process.tab.health"), t("process.tab.flags"), t("process.tab.mot"), t("process.tab.visits")]
)
with health_tab:
    health_section(current)
with flags_tab:
    flags_section(current)
with mot_tab:
    mot_section(current, weeks)
with visits_tab:
    visits_section(current, weeks)

st.caption(t("process.definitions"))
