"""预测 / Forecast: which forecast to trust, how it converges, where it goes wrong.

Reads the backtest and accuracy marts (SPEC §5 "Forecasting", §6 "Forecast backtest"),
the company-wide win-probability evaluation, the hygiene diagnostics of the article's
troubleshooting case and the open deals' calibrated win probabilities, all through
:mod:`dashboards.queries.forecast`; this page only lays out and formats. Unit totals are for
managers; a rep sees their own accuracy, deals and contracts.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import data, scope, ui
from dashboards.i18n import language, stage_label, t
from dashboards.queries import forecast

FORECAST_MARTS = (
    "fct_forecast_backtest_summary",
    "fct_forecast_backtest",
    "fct_forecast_accuracy",
    "fct_win_probability_reliability",
    "fct_win_probability_evaluation",
    "fct_forecast_hygiene",
    "fct_forecast_hygiene_opportunities",
    "fct_finance_contracts_reconciled",
    "fct_win_probabilities",
)
LOCK_DAYS = (1, 8, 15, 22)
CHECKS = (
    "close_date",
    "probability_binding",
    "forecast_vs_requirement_doc",
    "new_rep_bias",
    "finance_sync",
)
STATUS_COLOURS = {"pass": "green", "warn": "orange", "not_evaluated": "gray", "no_data": "gray"}
METHOD_COLOURS = {
    "rep_submission": "#ff7f0e",
    "pipeline_flat_50": "#9aa5b1",
    "rules_engine": "#8c564b",
    "ml": "#1f77b4",
    "ml_run_rate": "#2ca02c",
}
SOURCE_COLOURS = {"ml": "#1f77b4", "rules": "#8c564b", "crm": "#ff7f0e", "flat": "#9aa5b1"}
COHORT_COLOURS = {"all": "#1f77b4", "new": "#d62728", "tenured": "#2ca02c"}
MARGIN = {"l": 0, "r": 0, "t": 10, "b": 0}


def _lock_day(day: int) -> str:
    return t("forecast.lock_day.option", day=day)


def _method(method: str) -> str:
    return t(f"forecast.method.{method}")


def _period(period: str) -> str:
    return ui.month(f"{period}-01")


def _signed_percent(value: object) -> str:
    return ui.MISSING if ui.is_missing(value) else f"{float(value):+.1%}"  # type: ignore[arg-type]


def _largest_note(deals: pd.DataFrame) -> None:
    """Say so when a deal list shows only the largest of more deals."""
    total = int(deals["total_count"].iloc[0])
    if total > len(deals):
        st.caption(t("forecast.deals.largest", shown=ui.count(len(deals)), count=ui.count(total)))


def _rows(frame: pd.DataFrame, column: str, value: object) -> pd.DataFrame:
    return frame[frame[column] == value]


def _line_chart(
    frame: pd.DataFrame,
    series: str,
    names: dict[str, str],
    colours: dict[str, str],
    x: str,
    y: str,
    key: str,
    x_title: str,
) -> None:
    """One line per value of ``series`` (in first-seen order), y as a share."""
    figure = go.Figure(
        [
            go.Scatter(
                name=names[value],
                x=rows[x].tolist(),
                y=rows[y].tolist(),
                mode="lines+markers",
                line={"color": colours.get(value)},
            )
            for value in frame[series].unique()
            for rows in [_rows(frame, series, value)]
        ]
    )
    figure.update_layout(
        height=320,
        margin=MARGIN,
        xaxis={"title": x_title},
        yaxis={"tickformat": ".0%", "title": t("forecast.col.accuracy")},
        legend={"orientation": "h", "y": 1.15},
    )
    st.plotly_chart(figure, width="stretch", key=key)


def methods_tab(current: data.Scope, lock_day: int) -> None:
    if ui.rep_only_notice(current):
        return
    summary = forecast.backtest_summary(current)
    if summary.empty:
        st.info(t("no_rows"))
        return
    at_lock = _rows(summary, "lock_day", lock_day)
    for card, row in zip(st.columns(len(at_lock)), at_lock.itertuples(), strict=True):
        card.metric(
            _method(row.method),
            ui.percent(row.mean_accuracy),
            help=t(
                "forecast.methods.card_help",
                wape=ui.percent(row.forecast_wape),
                bias=_signed_percent(row.forecast_bias),
                mase=ui.number(row.mase, 2),
                months=row.months,
                first=_period(row.first_period),
                last=_period(row.last_period),
            ),
            border=True,
        )
    st.markdown(f"**{t('forecast.methods.convergence')}**")
    _line_chart(
        summary.assign(lock_label=[_lock_day(day) for day in summary["lock_day"]]),
        "method",
        {method: _method(method) for method in forecast.METHODS},
        METHOD_COLOURS,
        "lock_label",
        "mean_accuracy",
        "forecast.convergence.chart",
        t("forecast.col.lock_day"),
    )
    ui.table_of(
        summary,
        [
            ui.Column([_method(method) for method in summary["method"]], t("forecast.col.method")),
            ui.Column([_lock_day(day) for day in summary["lock_day"]], t("forecast.col.lock_day")),
            ui.Column("months", t("forecast.col.months"), "count"),
            ui.Column("mean_accuracy", t("forecast.col.mean_accuracy"), "percent"),
            ui.Column("forecast_wape", t("forecast.col.wape"), "percent"),
            ui.Column("forecast_bias", t("forecast.col.bias"), "percent"),
            ui.Column("mase", t("forecast.col.mase"), "number", digits=2),
        ],
        "forecast_methods",
        key="forecast.methods.table",
    )

    monthly = forecast.backtest_monthly(current, lock_day=lock_day)
    st.markdown(f"**{t('forecast.methods.monthly', day=_lock_day(lock_day))}**")
    if monthly.empty:
        st.info(t("no_rows"))
        return
    bookings = _rows(monthly, "method", monthly["method"].iloc[0])
    figure = go.Figure(
        [
            go.Bar(
                name=t("forecast.methods.booked"),
                x=[_period(p) for p in bookings["period"]],
                y=bookings["booked_amount"].tolist(),
                marker_color="#d9dee4",
            ),
            *[
                go.Scatter(
                    name=_method(method),
                    x=[_period(p) for p in rows["period"]],
                    y=rows["forecast_amount"].tolist(),
                    mode="lines+markers",
                    line={"color": METHOD_COLOURS.get(method)},
                )
                for method in monthly["method"].unique()
                for rows in [_rows(monthly, "method", method)]
            ],
        ]
    )
    figure.update_layout(
        height=340,
        margin=MARGIN,
        yaxis={"tickprefix": "¥", "tickformat": "~s"},
        legend={"orientation": "h", "y": 1.15},
    )
    st.plotly_chart(figure, width="stretch", key="forecast.monthly.chart")
    ui.table_of(
        monthly,
        [
            ui.Column("period", t("forecast.col.period")),
            ui.Column([_method(method) for method in monthly["method"]], t("forecast.col.method")),
            ui.Column("forecast_amount", t("forecast.col.forecast"), "money"),
            ui.Column("booked_amount", t("forecast.col.booked"), "money"),
            ui.Column("forecast_accuracy", t("forecast.col.accuracy"), "percent"),
            ui.Column("forecast_bias", t("forecast.col.bias"), "percent"),
        ],
        "forecast_backtest_monthly",
        key="forecast.monthly.table",
        height=300,
    )


def _accuracy_table(frame: pd.DataFrame, first: list[ui.Column], name: str, key: str) -> None:
    ui.table_of(
        frame,
        [
            *first,
            ui.Column("reps_forecasting", t("forecast.col.reps"), "count"),
            ui.Column("forecast_amount", t("forecast.col.forecast"), "money"),
            ui.Column("booked_amount", t("forecast.col.booked"), "money"),
            ui.Column("forecast_accuracy", t("forecast.col.accuracy"), "percent"),
            ui.Column("forecast_wape", t("forecast.col.wape"), "percent"),
            ui.Column("forecast_bias", t("forecast.col.bias"), "percent"),
        ],
        name,
        key=key,
    )


def breakdown_tab(current: data.Scope, lock_day: int) -> None:
    periods = forecast.accuracy_periods(current)
    if periods.empty:
        st.info(t("no_rows"))
        return
    complete = periods[periods["is_period_complete"].astype(bool)]
    options = periods["period"].tolist()
    default = complete["period"].iloc[0] if not complete.empty else options[0]
    if st.session_state.get("forecast.period") not in options:
        st.session_state.pop("forecast.period", None)
    period = st.selectbox(
        t("forecast.period"),
        options,
        index=options.index(default),
        format_func=ui.labels(options, _period),
        key="forecast.period",
    )

    if not current.viewer.is_rep:
        st.markdown(f"**{t('forecast.breakdown.children', day=_lock_day(lock_day))}**")
        children = forecast.accuracy_by_child(current, period, lock_day)
        if children.empty:
            st.info(t("forecast.breakdown.no_children"))
        else:
            figure = go.Figure(
                go.Bar(
                    x=children["name"].tolist(),
                    y=children["forecast_accuracy"].tolist(),
                    text=[ui.percent(value) for value in children["forecast_accuracy"]],
                    marker_color="#1f77b4",
                )
            )
            figure.update_layout(
                height=300, margin=MARGIN, yaxis={"tickformat": ".0%", "range": [0, 1.05]}
            )
            st.plotly_chart(figure, width="stretch", key="forecast.children.chart")
            _accuracy_table(
                children,
                [ui.Column(children["name"].tolist(), t("forecast.col.unit"))],
                "forecast_accuracy_units",
                "forecast.children.table",
            )

    cohorts = forecast.accuracy_by_cohort(current, period)
    st.markdown(
        f"**{t('forecast.breakdown.own' if current.viewer.is_rep else 'forecast.breakdown.cohort')}**"
    )
    if cohorts.empty:
        st.info(t("no_rows"))
        return
    cohort_names = {cohort: t(f"forecast.cohort.{cohort}") for cohort in COHORT_COLOURS}
    _line_chart(
        cohorts.assign(lock_label=[_lock_day(day) for day in cohorts["lock_day"]]),
        "tenure_cohort",
        cohort_names,
        COHORT_COLOURS,
        "lock_label",
        "forecast_accuracy",
        "forecast.cohort.chart",
        t("forecast.col.lock_day"),
    )
    _accuracy_table(
        cohorts,
        [
            ui.Column(
                [cohort_names[c] for c in cohorts["tenure_cohort"]], t("forecast.col.cohort")
            ),
            ui.Column([_lock_day(day) for day in cohorts["lock_day"]], t("forecast.col.lock_day")),
        ],
        "forecast_accuracy_cohorts",
        "forecast.cohort.table",
    )


def probability_tab(current: data.Scope) -> None:
    st.caption(t("forecast.probability.company_wide"))
    curve = forecast.reliability(current.snapshot)
    scores = forecast.evaluation(current.snapshot)
    if curve.empty and scores.empty:
        st.info(t("no_rows"))
        return
    st.markdown(f"**{t('forecast.probability.reliability')}**")
    figure = go.Figure(
        [
            go.Scatter(
                name=t("forecast.probability.perfect"),
                x=[0, 1],
                y=[0, 1],
                mode="lines",
                line={"color": "#bbbbbb", "dash": "dash"},
            ),
            *[
                go.Scatter(
                    name=t(f"forecast.source.{source}"),
                    x=rows["mean_probability"].tolist(),
                    y=rows["observed_win_rate"].tolist(),
                    mode="lines+markers",
                    line={"color": SOURCE_COLOURS.get(source)},
                    customdata=rows["scored_rows"].tolist(),
                )
                for source in curve["probability_source"].unique()
                for rows in [_rows(curve, "probability_source", source)]
            ],
        ]
    )
    figure.update_layout(
        height=380,
        margin=MARGIN,
        xaxis={"tickformat": ".0%", "range": [0, 1], "title": t("forecast.probability.x")},
        yaxis={"tickformat": ".0%", "range": [0, 1], "title": t("forecast.probability.y")},
        legend={"orientation": "h", "y": 1.12},
    )
    st.plotly_chart(figure, width="stretch", key="forecast.reliability.chart")
    ui.table_of(
        scores,
        [
            ui.Column(
                [t(f"forecast.source.{source}") for source in scores["probability_source"]],
                t("forecast.col.source"),
            ),
            ui.Column("brier_score", t("forecast.col.brier"), "number", digits=3),
            ui.Column("log_loss", t("forecast.col.log_loss"), "number", digits=3),
            ui.Column("calibration_error", t("forecast.col.calibration_error"), "number", digits=3),
            ui.Column("mean_probability", t("forecast.col.mean_probability"), "percent"),
            ui.Column("observed_win_rate", t("forecast.col.observed"), "percent"),
            ui.Column("scored_rows", t("forecast.col.scored"), "count"),
        ],
        "win_probability_evaluation",
        key="forecast.evaluation.table",
    )


def _hygiene_checks(current: data.Scope) -> None:
    periods = forecast.hygiene_periods(current)
    if not periods:
        st.info(t("no_rows"))
        return
    if st.session_state.get("forecast.hygiene_period") not in periods:
        st.session_state.pop("forecast.hygiene_period", None)
    period = st.selectbox(
        t("forecast.hygiene.period"),
        periods,
        format_func=ui.labels(periods, _period),
        key="forecast.hygiene_period",
    )
    row = forecast.hygiene(current, period)
    if row is None:
        st.info(t("no_rows"))
        return
    st.caption(t("forecast.hygiene.warn_count", count=ui.count(row["warn_check_count"])))
    for check in CHECKS:
        status = row[f"{check}_status"]
        colour = STATUS_COLOURS.get(status, "gray")
        finding = row[f"{check}_finding_{language()}"]
        with st.container(border=True):
            st.markdown(
                f":{colour}-badge[{t(f'forecast.status.{status}')}] "
                f"**{t(f'forecast.check.{check}')}**  \n{finding or ui.MISSING}"
            )
    cards = st.columns(4)
    cards[0].metric(
        t("forecast.kpi.bad_close_date"), ui.percent(row["bad_close_date_share"]), border=True
    )
    cards[1].metric(
        t("forecast.kpi.default_probability"),
        ui.percent(row["default_probability_share"]),
        border=True,
    )
    cards[2].metric(
        t("forecast.kpi.forecast_over_doc"),
        _signed_percent(row["forecast_over_doc_mean"]),
        border=True,
    )
    cards[3].metric(
        t("forecast.kpi.distinct_per_stage"),
        ui.count(row["max_distinct_probabilities_per_stage"]),
        border=True,
    )
    cards = st.columns(4)
    cards[0].metric(
        t("forecast.kpi.new_minus_tenured"), ui.points(row["new_minus_tenured_bias"]), border=True
    )
    cards[1].metric(
        t("forecast.kpi.sync_lag"),
        ui.MISSING
        if ui.is_missing(row["median_sync_lag_hours"])
        else t("forecast.kpi.hours", hours=ui.number(row["median_sync_lag_hours"])),
        border=True,
    )
    cards[2].metric(
        t("forecast.kpi.misread"), ui.count(row["misread_high_risk_count"]), border=True
    )


def hygiene_tab(current: data.Scope, as_of: str) -> None:
    if not ui.rep_only_notice(current):
        _hygiene_checks(current)

    st.markdown(f"**{t('forecast.hygiene.deals', as_of=as_of)}**")
    deals = forecast.hygiene_opportunities(current)
    if deals.empty:
        st.info(t("no_rows"))
    else:
        _largest_note(deals)
        ui.table_of(
            deals,
            [
                ui.Column("customer_name", t("forecast.col.customer")),
                ui.Column("rep_name", t("forecast.col.rep")),
                ui.Column("team_name", t("forecast.col.team")),
                ui.Column([stage_label(s) for s in deals["stage"]], t("forecast.col.stage")),
                ui.Column("amount", t("forecast.col.amount"), "money"),
                ui.Column("expected_close_date_raw", t("forecast.col.close_date")),
                ui.Column(
                    [t(f"forecast.close_date.{c}") for c in deals["close_date_class"]],
                    t("forecast.col.close_date_class"),
                ),
                ui.Column("crm_probability", t("forecast.col.crm_probability"), "percent"),
                ui.Column("is_default_probability", t("forecast.col.default_probability")),
                ui.Column("forecast_amount", t("forecast.col.forecast"), "money"),
                ui.Column("requirement_doc_amount", t("forecast.col.requirement_doc"), "money"),
                ui.Column("forecast_over_doc", t("forecast.col.forecast_over_doc"), "percent"),
            ],
            "forecast_hygiene_deals",
            key="forecast.hygiene.deals",
            height=300,
        )

    st.markdown(f"**{t('forecast.hygiene.contracts')}**")
    contracts = forecast.misread_contracts(current)
    if contracts.empty:
        st.info(t("no_rows"))
    else:
        ui.table_of(
            contracts,
            [
                ui.Column("customer_name", t("forecast.col.customer")),
                ui.Column("contract_id", t("forecast.col.contract")),
                ui.Column("rep_name", t("forecast.col.rep")),
                ui.Column("team_name", t("forecast.col.team")),
                ui.Column("signed_on", t("forecast.col.signed_on"), "date"),
                ui.Column("contract_amount", t("forecast.col.contract_amount"), "money"),
                ui.Column("finance_paid_amount", t("forecast.col.finance_paid"), "money"),
                ui.Column("crm_paid_amount", t("forecast.col.crm_paid"), "money"),
                ui.Column("paid_not_in_crm_amount", t("forecast.col.not_synced"), "money"),
                ui.Column("days_since_signed", t("forecast.col.days_signed"), "count"),
            ],
            "forecast_misread_contracts",
            key="forecast.hygiene.contracts",
            height=300,
        )


def open_deals_tab(current: data.Scope, as_of: str) -> None:
    st.markdown(f"**{t('forecast.open.header', as_of=as_of)}**")
    deals = forecast.open_deal_probabilities(current)
    if deals.empty:
        st.info(t("no_rows"))
        return
    _largest_note(deals)
    ui.table_of(
        deals,
        [
            ui.Column("customer_name", t("forecast.col.customer")),
            ui.Column("rep_name", t("forecast.col.rep")),
            ui.Column("team_name", t("forecast.col.team")),
            ui.Column([stage_label(s) for s in deals["stage"]], t("forecast.col.stage")),
            ui.Column("amount", t("forecast.col.amount"), "money"),
            ui.Column("win_probability", t("forecast.col.win_probability"), "percent"),
            ui.Column("rule_probability", t("forecast.col.rule_probability"), "percent"),
            ui.Column("crm_probability", t("forecast.col.crm_probability"), "percent"),
            ui.Column("model_weighted_amount", t("forecast.col.weighted"), "money"),
        ],
        "forecast_open_deals",
        key="forecast.open.table",
        height=400,
    )


current = scope.current()
st.title(t("forecast.title"))
st.caption(current.name_path)
ui.unavailable_marts(current.snapshot, FORECAST_MARTS)
info = data.publish_info(current.snapshot)
as_of = ui.day(info.as_of) if info is not None else ui.MISSING

lock_day = (
    st.segmented_control(
        t("forecast.lock_day"),
        LOCK_DAYS,
        format_func=ui.labels(LOCK_DAYS, _lock_day),
        default=LOCK_DAYS[0],
        key="forecast.lock_day",
    )
    or LOCK_DAYS[0]
)

methods, breakdown, probability, hygiene, open_deals = st.tabs(
    [
        t("forecast.tab.methods"),
        t("forecast.tab.breakdown"),
        t("forecast.tab.probability"),
        t("forecast.tab.hygiene"),
        t("forecast.tab.open_deals"),
    ]
)
with methods:
    methods_tab(current, lock_day)
with breakdown:
    breakdown_tab(current, lock_day)
with probability:
    probability_tab(current)
with hygiene:
    hygiene_tab(current, as_of)
with open_deals:
    open_deals_tab(current, as_of)

st.caption(t("forecast.definitions"))
