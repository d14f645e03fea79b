"""目标承接 / Target cascade: how much of the unit's target survives each level step down to
the reps' committed targets, where it is lost, and how deviations are caught.

For the chosen unit and month: the level steps and 承接率 (``fct_target_cascade``), each
unit's un-cascaded gap (``fct_target_cascade_gaps``), the average target deviation and
calibration timeliness (``fct_target_deviation_unit_month``, ``fct_calibration_timeliness``)
with the month's deviation events (``fct_deviation_events``), the behaviour points ledger
(``fct_behaviour_points_ledger``) and the most frequent deviation reasons
(``fct_deviation_reasons_weekly``). Loaders: :mod:`dashboards.queries.cascade`.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboards import scope, ui
from dashboards.i18n import TEXTS, language, t
from dashboards.queries import cascade as queries

MARTS = (
    "fct_target_cascade",
    "fct_target_cascade_gaps",
    "fct_target_deviation_unit_month",
    "fct_calibration_timeliness",
    "fct_deviation_events",
    "fct_behaviour_points_ledger",
    "fct_deviation_reasons_weekly",
)
PERIOD_KEY = "cascade.period"
LEVEL_RANK = {"hq": 1, "region": 2, "city": 3, "team": 4, "rep": 5}


def _label(prefix: str, value: object) -> str:
    key = f"{prefix}.{value}"
    return t(key) if key in TEXTS else ("" if ui.is_missing(value) else str(value))


def _period_label(period: str) -> str:
    return ui.month(f"{period}-01")


def cascade_steps(row: dict[str, Any]) -> list[tuple[str, float, float | None]]:
    """(level, target sum, step rate) from the scope's level down to the reps, the levels the
    scope's targets have, each with the mart's ratio of the step that reaches it."""
    has_team = row["team_target_sum"] is not None and not ui.is_missing(row["team_target_sum"])
    scope_rank = LEVEL_RANK.get(row["unit_level"], 0)
    steps: list[tuple[str, float, float | None]] = [(row["unit_level"], row["unit_target"], None)]
    below = [
        ("region", row["region_target_sum"], row["region_over_hq"]),
        ("city", row["city_target_sum"], row["city_over_region"]),
        ("team", row["team_target_sum"], row["team_over_city"]),
        (
            "rep",
            row["rep_committed_sum"],
            row["rep_over_team"]
            if has_team or row["unit_level"] == "team"
            else row["rep_over_city"],
        ),
    ]
    for level, amount, rate in below:
        if LEVEL_RANK[level] > scope_rank and not ui.is_missing(amount):
            steps.append((level, amount, rate))
    return steps


def _cascade_section(period: str) -> None:
    st.subheader(t("cascade.section.cascade"))
    row = queries.cascade(current, period=period)
    if row is None:
        st.info(t("no_rows"))
        return
    target, committed, rate, gap = st.columns(4)
    target.metric(t("cascade.kpi.unit_target"), ui.yuan(row["unit_target"]), border=True)
    committed.metric(
        t("cascade.kpi.rep_committed"),
        ui.yuan(row["rep_committed_sum"]),
        help=t("cascade.kpi.rep_committed.help", count=ui.count(row["rep_target_count"])),
        border=True,
    )
    rate.metric(
        t("cascade.kpi.end_to_end"),
        ui.percent(row["end_to_end_rate"]),
        help=t("cascade.kpi.end_to_end.help"),
        border=True,
    )
    gap.metric(
        t("cascade.kpi.gap"),
        ui.yuan(row["uncascaded_gap_yuan"]),
        help=t("cascade.kpi.gap.help"),
        border=True,
    )
    steps = cascade_steps(row)
    labels = [_label("cascade.level", level) for level, _, _ in steps]
    texts = [
        ui.yuan(amount)
        if step_rate is None
        else t("cascade.chart.text", amount=ui.yuan(amount), rate=ui.percent(step_rate))
        for _, amount, step_rate in steps
    ]
    figure = go.Figure(
        go.Waterfall(
            x=labels,
            y=[amount for _, amount, _ in steps],
            measure=["absolute"] * len(steps),
            text=texts,
            textposition="outside",
            connector={"line": {"color": "#bbbbbb", "dash": "dot"}},
            totals={"marker": {"color": "#4c78a8"}},
        )
    )
    figure.update_layout(
        height=360,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        yaxis={"tickprefix": "¥", "separatethousands": True},
        showlegend=False,
    )
    st.plotly_chart(figure, width="stretch")
    ui.table_of(
        None,
        [
            ui.Column(labels, t("cascade.col.level")),
            ui.Column([amount for _, amount, _ in steps], t("cascade.col.target_sum"), "money"),
            ui.Column([rate for _, _, rate in steps], t("cascade.col.step_rate"), "percent"),
        ],
        "cascade_steps",
        key="cascade.steps",
    )


def _gaps_section(period: str) -> None:
    gaps = queries.cascade_gaps(current, period=period)
    if gaps.empty:
        return
    st.subheader(t("cascade.section.gaps"))
    ui.drill_table(
        gaps,
        [
            ui.Column("unit_path", t("cascade.col.unit")),
            ui.Column(
                [_label("cascade.unit_level", level) for level in gaps["unit_level"]],
                t("cascade.col.level"),
            ),
            ui.Column(
                [_label("cascade.children", level) for level in gaps["child_level"]],
                t("cascade.col.child_level"),
            ),
            ui.Column("child_count", t("cascade.col.child_count"), "count"),
            ui.Column("unit_target", t("cascade.col.unit_target"), "money"),
            ui.Column("children_target_sum", t("cascade.col.children_sum"), "money"),
            ui.Column("uncascaded_gap_yuan", t("cascade.col.gap"), "money"),
            ui.Column("cascade_ratio", t("cascade.col.ratio"), "percent"),
        ],
        "cascade_gaps",
        current=current,
        key="cascade.gaps",
        hint=t("cascade.gaps.hint"),
    )


def _deviation_kpis(period: str) -> None:
    deviation = queries.deviation(current, period=period) or {}
    timely = queries.timeliness(current, period=period) or {}
    if not deviation and not timely:
        st.info(t("no_rows"))
        return
    rate, volatility, timeliness, events = st.columns(4)
    rate.metric(
        t("cascade.kpi.deviation"),
        ui.percent(deviation.get("avg_target_deviation_rate")),
        help=t("cascade.kpi.deviation.help", count=ui.count(deviation.get("rep_count"))),
        border=True,
    )
    spread = deviation.get("avg_attainment_volatility_pp")
    volatility.metric(
        t("cascade.kpi.volatility"),
        ui.MISSING
        if ui.is_missing(spread)
        else t("cascade.kpi.volatility.value", value=ui.number(spread)),
        help=t(
            "cascade.kpi.volatility.help", count=ui.count(deviation.get("volatility_rep_count"))
        ),
        border=True,
    )
    timeliness.metric(
        t("cascade.kpi.timeliness"),
        ui.percent(timely.get("calibration_timeliness_rate")),
        help=t(
            "cascade.kpi.timeliness.help",
            calibrated=ui.count(timely.get("calibrated_event_count")),
            decided=ui.count(timely.get("decided_event_count")),
            pending=ui.count(timely.get("pending_event_count")),
        ),
        border=True,
    )
    events.metric(
        t("cascade.kpi.events"), ui.count(timely.get("deviation_event_count")), border=True
    )
    history = queries.trend(current, period=period)
    if len(history) > 1:
        months = [ui.month(value) for value in history["period_start"]]
        figure = go.Figure(
            [
                go.Scatter(
                    name=t("cascade.trend.deviation"),
                    x=months,
                    y=history["avg_target_deviation_rate"].tolist(),
                    mode="lines+markers",
                ),
                go.Scatter(
                    name=t("cascade.trend.timeliness"),
                    x=months,
                    y=history["calibration_timeliness_rate"].tolist(),
                    mode="lines+markers",
                ),
            ]
        )
        figure.update_layout(
            title={"text": t("cascade.trend.title"), "font": {"size": 14}},
            height=300,
            margin={"l": 0, "r": 0, "t": 40, "b": 0},
            yaxis={"tickformat": ".0%"},
            legend={"orientation": "h", "y": -0.2},
        )
        st.plotly_chart(figure, width="stretch")


def _in_time(value: object) -> str:
    if ui.is_missing(value):
        return t("cascade.in_time.pending")
    return t("cascade.in_time.yes") if value else t("cascade.in_time.no")


def _events_table(period: str) -> None:
    events = queries.deviation_events(current, period=period)
    st.markdown(f"**{t('cascade.events.title')}**")
    if events.empty:
        st.info(t("no_rows"))
        return
    ui.table_of(
        events,
        [
            ui.Column("week_start", t("cascade.col.week"), "date"),
            ui.Column("rep_name", t("cascade.col.rep")),
            ui.Column("team_name", t("cascade.col.team")),
            ui.Column("committed_target", t("cascade.col.committed"), "money"),
            ui.Column("forecast_amount", t("cascade.col.forecast"), "money"),
            ui.Column("forecast_deviation_rate", t("cascade.col.deviation"), "percent"),
            ui.Column("first_response_at", t("cascade.col.responded_at"), "datetime"),
            ui.Column(
                [_label("cascade.response", kind) for kind in events["first_response_kind"]],
                t("cascade.col.response_kind"),
            ),
            ui.Column(
                [_in_time(value) for value in events["is_calibrated_in_time"]],
                t("cascade.col.in_time"),
            ),
        ],
        "cascade_deviation_events",
        key="cascade.events",
    )


def _points_section(period: str) -> None:
    st.subheader(t("cascade.section.points"))
    ledger = queries.points_ledger(current, period=period)
    if ledger.empty:
        st.info(t("no_rows"))
        return
    rules = [
        f"{rule_id} {_label('cascade.rule', kind)}"
        for rule_id, kind in zip(ledger["rule_id"], ledger["rule_kind"], strict=True)
    ]
    ui.table_of(
        ledger,
        [
            ui.Column("event_on", t("cascade.col.date"), "date"),
            ui.Column("rep_name", t("cascade.col.rep")),
            ui.Column("team_name", t("cascade.col.team")),
            ui.Column(rules, t("cascade.col.rule")),
            ui.Column("points", t("cascade.col.points"), "signed", digits=0),
            ui.Column("balance_after", t("cascade.col.balance"), "count"),
            ui.Column("evidence", t("cascade.col.evidence")),
        ],
        "cascade_points_ledger",
        key="cascade.ledger",
    )
    st.caption(t("cascade.points.hint"))


def _reasons_section(period: str) -> None:
    reasons = queries.deviation_reasons(current, period=period)
    if reasons.empty:
        return
    st.subheader(t("cascade.section.reasons"))
    label_column = "label_zh" if language() == "zh" else "label_en"
    weeks = [ui.day(value) for value in reasons["week_start"]]
    figure = go.Figure()
    for reason_type in sorted(reasons["reason_type"].unique()):
        rows = reasons["reason_type"] == reason_type
        figure.add_bar(
            name=f"{reason_type} {reasons.loc[rows, label_column].iloc[0]}",
            x=[week for week, keep in zip(weeks, rows, strict=True) if keep],
            y=reasons.loc[rows, "report_count"].tolist(),
        )
    figure.update_layout(
        barmode="stack",
        height=300,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        yaxis={"title": t("cascade.reasons.count")},
        legend={"orientation": "h", "y": -0.2},
    )
    st.plotly_chart(figure, width="stretch")
    latest = reasons[reasons["week_start"] == reasons["week_start"].max()]
    top = latest[latest["is_most_frequent"].astype(bool)]
    st.caption(
        t(
            "cascade.reasons.top",
            week=ui.day(latest["week_start"].iloc[0]),
            reasons=t("cascade.reasons.separator").join(
                t(
                    "cascade.reasons.item",
                    code=row.reason_type,
                    label=getattr(row, label_column),
                    share=ui.percent(row.report_share, 0),
                )
                for row in top.itertuples()
            ),
        )
    )


current = scope.current()
st.title(t("cascade.title"))
st.caption(current.name_path)

unavailable = ui.unavailable_marts(current.snapshot, MARTS)

period_options = queries.periods(current)
if not period_options:
    st.info(t("no_rows"))
    st.stop()
if st.session_state.get(PERIOD_KEY) not in period_options:
    st.session_state.pop(PERIOD_KEY, None)
period = st.selectbox(
    t("cascade.month"),
    period_options,
    format_func=ui.labels(period_options, _period_label),
    key=PERIOD_KEY,
)

if ui.rep_only_notice(current):
    pass
else:
    if "fct_target_cascade" not in unavailable:
        _cascade_section(period)
    if "fct_target_cascade_gaps" not in unavailable:
        _gaps_section(period)

st.subheader(t("cascade.section.deviation"))
if not current.viewer.is_rep:
    _deviation_kpis(period)
if "fct_deviation_events" not in unavailable:
    _events_table(period)
if "fct_behaviour_points_ledger" not in unavailable:
    _points_section(period)
if not current.viewer.is_rep and "fct_deviation_reasons_weekly" not in unavailable:
    _reasons_section(period)

st.caption(t("cascade.definitions"))
