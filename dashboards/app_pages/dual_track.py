"""双轨目标 / Dual track: am I on track this month, committed vs challenge, who needs coaching.

For the chosen unit and month: the unit's sums (``fct_dual_track_unit_month``), its child
units (a row selection drills into one), every rep under it with the coaching alert first
(``fct_dual_track_rep_month``), and one rep's dynamic baseline explained by its drivers
(``fct_dynamic_baseline_contributions``). Loaders: :mod:`dashboards.queries.targets`.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import scope, ui
from dashboards.i18n import TEXTS, t
from dashboards.queries import targets

MARTS = (
    "fct_dual_track_rep_month",
    "fct_dual_track_unit_month",
    "fct_attainment_rep_month",
    "fct_dynamic_baseline_contributions",
)
MONTH_KEY = "dual_track.month"
REP_KEY = "dual_track.rep"


def _label(prefix: str, value: object) -> str:
    key = f"{prefix}.{value}"
    return t(key) if key in TEXTS else str(value)


def _keep_valid(key: str, options: list) -> None:
    """Forget a remembered choice that is not among this run's options (another scope)."""
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def _kpis(summary: dict) -> None:
    threshold = ui.percent(summary["gap_alert_threshold"], 0)
    committed, challenge, baseline = st.columns(3)
    committed.metric(
        t("dual_track.kpi.committed"),
        ui.yuan(summary["committed_target_sum"]),
        help=t("dual_track.kpi.committed.help"),
        border=True,
    )
    challenge.metric(
        t("dual_track.kpi.challenge"),
        ui.yuan(summary["challenge_target_sum"]),
        delta=t("dual_track.kpi.gap", gap=ui.percent(summary["gap_ratio"])),
        delta_color="off",
        help=t("dual_track.kpi.challenge.help", count=ui.count(summary["challenge_rep_count"])),
        border=True,
    )
    baseline.metric(
        t("dual_track.kpi.baseline"),
        ui.yuan(summary["baseline_sum"]),
        help=t("dual_track.kpi.baseline.help", count=ui.count(summary["baseline_rep_count"])),
        border=True,
    )
    bookings, attainment, alerts = st.columns(3)
    bookings.metric(
        t(
            "dual_track.kpi.bookings"
            if summary["is_period_complete"]
            else "dual_track.kpi.bookings_to_date"
        ),
        ui.yuan(summary["bookings_sum"]),
        border=True,
    )
    attainment.metric(
        t("dual_track.kpi.attainment"),
        ui.percent(summary["committed_attainment"]),
        help=t("dual_track.kpi.attainment.help"),
        border=True,
    )
    alerts.metric(
        t("dual_track.kpi.alerts"),
        t(
            "dual_track.kpi.alerts.value",
            alerts=ui.count(summary["coaching_alert_count"]),
            reps=ui.count(summary["rep_count"]),
        ),
        help=t("dual_track.kpi.alerts.help", threshold=threshold),
        border=True,
    )


def _children_table(children: pd.DataFrame) -> None:
    st.subheader(t("dual_track.children.title"))
    levels = [_label("dual_track.level", level) for level in children["unit_level"]]
    ui.drill_table(
        children,
        [
            ui.Column("unit_name", t("dual_track.col.unit")),
            ui.Column(levels, t("dual_track.col.level")),
            ui.Column("rep_count", t("dual_track.col.reps"), "count"),
            ui.Column("coaching_alert_count", t("dual_track.col.alerts"), "count"),
            ui.Column("committed_target_sum", t("dual_track.col.committed"), "money"),
            ui.Column("challenge_target_sum", t("dual_track.col.challenge"), "money"),
            ui.Column("baseline_sum", t("dual_track.col.baseline"), "money"),
            ui.Column("bookings_sum", t("dual_track.col.bookings"), "money"),
            ui.Column("gap_ratio", t("dual_track.col.gap"), "percent"),
            ui.Column("committed_attainment", t("dual_track.col.attainment"), "percent"),
        ],
        "dual_track_units",
        current=current,
        key="dual_track.units",
        hint=t("dual_track.children.hint"),
    )


def _tracks_chart(names: pd.Series, committed, challenge, bookings) -> None:
    st.subheader(t("dual_track.chart.title"))
    figure = go.Figure(
        [
            go.Bar(name=t("dual_track.col.committed"), x=names.tolist(), y=list(committed)),
            go.Bar(name=t("dual_track.col.challenge"), x=names.tolist(), y=list(challenge)),
            go.Bar(name=t("dual_track.col.bookings"), x=names.tolist(), y=list(bookings)),
        ]
    )
    figure.update_layout(
        barmode="group",
        height=340,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        legend={"orientation": "h", "y": 1.08},
        yaxis={"tickprefix": "¥", "separatethousands": True},
    )
    st.plotly_chart(figure, width="stretch")


def _reps_table(reps: pd.DataFrame) -> None:
    st.subheader(t("dual_track.reps.title"))
    flags = [t("dual_track.flag") if flag else "" for flag in reps["coaching_alert"]]
    ui.table_of(
        reps,
        [
            ui.Column("rep_name", t("dual_track.col.rep")),
            ui.Column("team_name", t("dual_track.col.team")),
            ui.Column("committed_target", t("dual_track.col.committed"), "money"),
            ui.Column("challenge_target", t("dual_track.col.challenge"), "money"),
            ui.Column("baseline", t("dual_track.col.baseline"), "money"),
            ui.Column("gap_ratio", t("dual_track.col.gap"), "percent"),
            ui.Column(flags, t("dual_track.col.flag")),
            ui.Column("bookings", t("dual_track.col.bookings"), "money"),
            ui.Column("attainment", t("dual_track.col.attainment"), "percent"),
        ],
        "dual_track_reps",
        key="dual_track.reps",
    )
    threshold = reps["gap_alert_threshold"].dropna()
    if not threshold.empty:
        st.caption(t("dual_track.reps.caption", threshold=ui.percent(threshold.iloc[0], 0)))


def _baseline_section(reps: pd.DataFrame, month) -> None:
    st.subheader(t("dual_track.baseline.title"))
    with_baseline = reps[reps["baseline"].notna()]
    if with_baseline.empty:
        st.info(t("dual_track.baseline.none"))
        return
    names = dict(
        zip(
            with_baseline["rep_id"],
            with_baseline["rep_name"] + " · " + with_baseline["team_name"],
            strict=True,
        )
    )
    _keep_valid(REP_KEY, list(names))
    rep_id = st.selectbox(
        t("dual_track.baseline.rep"), list(names), format_func=names.__getitem__, key=REP_KEY
    )
    rep = with_baseline[with_baseline["rep_id"] == rep_id].iloc[0]
    drivers = targets.baseline_drivers(current, rep_id=rep_id, month=month)
    if drivers.empty:
        st.info(t("dual_track.baseline.no_drivers"))
        return
    driver_names = [_label("dual_track.driver", driver) for driver in drivers["driver"]]
    floor = rep["baseline_floor_adjustment"]
    has_floor = not ui.is_missing(floor) and float(floor) != 0
    labels = [t("dual_track.baseline.intercept"), *driver_names]
    values = [rep["baseline_intercept"], *drivers["contribution"].tolist()]
    if has_floor:
        labels.append(t("dual_track.baseline.floor"))
        values.append(floor)
    figure = go.Figure(
        go.Waterfall(
            x=[*labels, t("dual_track.baseline.total")],
            y=[*values, None],
            measure=["absolute", *["relative"] * (len(values) - 1), "total"],
            text=[*(ui.yuan(value) for value in values), ui.yuan(rep["baseline"])],
            textposition="outside",
            connector={"line": {"color": "#bbbbbb"}},
        )
    )
    figure.update_layout(
        height=380,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        yaxis={"tickprefix": "¥", "separatethousands": True},
        showlegend=False,
    )
    st.plotly_chart(figure, width="stretch")
    st.caption(t("dual_track.baseline.caption", baseline=ui.yuan(rep["baseline"])))
    ui.table_of(
        drivers,
        [
            ui.Column(driver_names, t("dual_track.col.driver")),
            ui.Column("driver_value", t("dual_track.col.driver_value"), "number", digits=2),
            ui.Column("contribution", t("dual_track.col.contribution"), "money"),
        ],
        "dual_track_baseline_drivers",
        key="dual_track.drivers",
    )


current = scope.current()
st.title(t("dual_track.title"))
st.caption(current.name_path)

unavailable = ui.unavailable_marts(current.snapshot, MARTS)
if {"fct_dual_track_rep_month", "fct_dual_track_unit_month"} & unavailable:
    st.stop()

month_options = targets.months(current)
if not month_options:
    st.info(t("no_rows"))
    st.stop()
_keep_valid(MONTH_KEY, month_options)
month = st.selectbox(
    t("dual_track.month"),
    month_options,
    format_func=ui.labels(month_options, ui.month),
    key=MONTH_KEY,
)

reps = targets.rep_rows(current, month=month)
children = pd.DataFrame()
if ui.rep_only_notice(current):
    pass
else:
    summary = targets.unit_summary(current, month=month)
    if summary is None:
        st.info(t("no_rows"))
    else:
        _kpis(summary)
    children = targets.child_units(current, month=month)
    if not children.empty:
        _children_table(children)

if not children.empty:
    _tracks_chart(
        children["unit_name"],
        children["committed_target_sum"],
        children["challenge_target_sum"],
        children["bookings_sum"],
    )
elif not reps.empty:
    _tracks_chart(
        reps["rep_name"], reps["committed_target"], reps["challenge_target"], reps["bookings"]
    )

if reps.empty:
    st.info(t("no_rows"))
else:
    _reps_table(reps)
    _baseline_section(reps, month)

st.caption(t("dual_track.definitions"))
