"""漏斗与管道 / Funnel and pipeline: the chosen unit's funnel (counts and ¥), how its open
pipeline moved in a window, its coverage this month and next, sales velocity, win rate and
the stage-transition matrix.

Every figure comes from a published mart (loaders in :mod:`dashboards.queries.funnel`); this
page only picks, formats and labels. When the source lacks an extract the funnel marts
require, ``marts.fct_mart_availability`` says so and the page shows which extracts are
missing instead of an empty funnel (every other section needs the same extracts).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import data, scope, ui
from dashboards.i18n import bilingual, stage_label, t
from dashboards.queries import funnel as queries
from salesops.contract import OPEN_STAGES

FUNNEL_MARTS = ("fct_funnel_stages", "fct_funnel_summary")
AMOUNT_MARTS = ("fct_funnel_stage_amounts",)
MOVEMENT_MARTS = ("fct_pipeline_movement",)
COVERAGE_MARTS = ("fct_pipeline_coverage",)
VELOCITY_MARTS = ("fct_sales_velocity", "fct_win_rate_monthly")
TRANSITION_MARTS = ("fct_stage_transitions",)
GRAINS = ("month", "iso_week")
VIEWS = ("all_open", "close_this_month", "close_next_month")
CHART_MARGIN = {"l": 0, "r": 0, "t": 30, "b": 0}


def _tables(lists: pd.Series) -> str:
    """Distinct table names of comma-separated lists, sorted, each as code."""
    names = {name.strip() for value in lists.dropna() for name in str(value).split(",")}
    return ", ".join(f"`{name}`" for name in sorted(names) if name)


def _days(value: object) -> str:
    if ui.is_missing(value):
        return ui.MISSING
    days = float(value)  # type: ignore[arg-type]
    return f"{days:.0f}" if days.is_integer() else f"{days:.1f}"


def _ratio(value: object) -> str:
    """A coverage ratio: 0.74× / 3.10×."""
    return ui.MISSING if ui.is_missing(value) else f"{float(value):.2f}×"  # type: ignore[arg-type]


def _stage(stage: object) -> str:
    if stage == "new":
        return t("funnel.transitions.new")
    return stage_label(str(stage))


def _window_label(row: pd.Series | dict) -> str:
    label = t(
        "funnel.movement.window.label",
        start=ui.day(row["window_start"]),
        end=ui.day(row["window_end"]),
    )
    return t("funnel.movement.window.partial", label=label) if row["is_partial"] else label


def _window_picker(windows: pd.DataFrame, key: str) -> object:
    """A window select box over ``windows`` (newest first), the latest by default."""
    starts = windows["window_start"].tolist()
    labels = {
        start: _window_label(row)
        for start, (_, row) in zip(starts, windows.iterrows(), strict=True)
    }
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    return st.selectbox(
        t("funnel.movement.window"), starts, format_func=labels.__getitem__, key=key
    )


def funnel_section(current: data.Scope, stages: pd.DataFrame) -> None:
    amounts = pd.DataFrame()
    if not ui.unavailable_marts(current.snapshot, AMOUNT_MARTS):
        amounts = queries.funnel_stage_amounts(current)
    labels = [stage_label(stage) for stage in stages["stage"]]
    counts_column, amounts_column = st.columns(2)
    counts_column.plotly_chart(
        go.Figure(
            go.Funnel(
                y=labels,
                x=stages["reached_count"].tolist(),
                text=[
                    t("funnel.chart.text", rate=ui.percent(rate))
                    for rate in stages["conversion_rate"]
                ],
                textinfo="value+text",
                hovertemplate=t("funnel.chart.hover") + "<extra></extra>",
            )
        ).update_layout(title=t("funnel.chart.counts"), margin=CHART_MARGIN, height=340),
        width="stretch",
        key="funnel.chart.counts",
    )
    columns = [
        ui.Column(labels, t("funnel.col.stage")),
        ui.Column("reached_count", t("funnel.col.reached"), "count"),
        ui.Column("advanced_count", t("funnel.col.advanced"), "count"),
        ui.Column("conversion_rate", t("funnel.col.conversion"), "percent"),
        ui.Column("median_dwell_days", t("funnel.col.median_dwell"), "number"),
        ui.Column("open_count", t("funnel.col.open"), "count"),
        ui.Column("lost_count", t("funnel.col.lost"), "count"),
    ]
    if not amounts.empty:
        by_stage = amounts.set_index("stage").reindex(stages["stage"])
        amounts_column.plotly_chart(
            go.Figure(
                go.Funnel(
                    y=labels,
                    x=by_stage["reached_amount"].tolist(),
                    text=[
                        t("funnel.chart.amount_text", amount=ui.yuan(amount), rate=ui.percent(rate))
                        for amount, rate in zip(
                            by_stage["reached_amount"],
                            by_stage["amount_conversion_rate"],
                            strict=True,
                        )
                    ],
                    textinfo="text",
                    hoverinfo="text",
                )
            ).update_layout(title=t("funnel.chart.amounts"), margin=CHART_MARGIN, height=340),
            width="stretch",
            key="funnel.chart.amounts",
        )
        money = {
            "funnel.col.reached_amount": "reached_amount",
            "funnel.col.advanced_amount": "advanced_amount",
            "funnel.col.open_amount": "open_amount",
            "funnel.col.lost_amount": "lost_amount",
        }
        columns += [
            ui.Column(by_stage[column].to_numpy(), t(key), "money") for key, column in money.items()
        ]
        columns.append(
            ui.Column(
                by_stage["amount_conversion_rate"].to_numpy(),
                t("funnel.col.amount_conversion"),
                "percent",
            )
        )
        without = int(by_stage["reached_without_amount_count"].iloc[0])
        if without:
            st.caption(t("funnel.without_amount", count=f"{without:,}"))
    ui.table_of(stages, columns, "funnel_stages", key="funnel.stages")


def movement_section(current: data.Scope) -> None:
    if ui.rep_only_notice(current) or ui.unavailable_marts(current.snapshot, MOVEMENT_MARTS):
        return
    grain_column, window_column, view_column = st.columns([1, 2, 2])
    with grain_column:
        grain = (
            st.segmented_control(
                t("funnel.movement.grain"),
                GRAINS,
                format_func=ui.labels(GRAINS, lambda grain: t(f"funnel.movement.grain.{grain}")),
                default="month",
                key="funnel.movement.grain",
            )
            or "month"
        )
    windows = queries.movement_windows(current, grain=grain)
    if windows.empty:
        st.info(t("no_rows"))
        return
    with window_column:
        window_start = _window_picker(windows, f"funnel.movement.window.{grain}")
    with view_column:
        view = st.selectbox(
            t("funnel.movement.view"),
            VIEWS,
            format_func=ui.labels(VIEWS, lambda view: t(f"funnel.movement.view.{view}")),
            key="funnel.movement.view",
        )
    movement = queries.pipeline_movement(current, grain=grain, window_start=window_start, view=view)
    if movement is None:
        st.info(t("no_rows"))
        return
    st.caption(
        t(
            "funnel.movement.caption",
            start=ui.day(movement["start_date"]),
            end=ui.day(movement["end_date"]),
        )
    )
    steps = queries.MOVEMENT_STEPS
    labels = [t(f"funnel.step.{step}") for step, _, _, _ in steps]
    amounts = [float(movement[amount] or 0) for _, _, amount, _ in steps]
    shown = [amount * (sign or 1) for amount, (_, _, _, sign) in zip(amounts, steps, strict=True)]
    figure = go.Figure(
        go.Waterfall(
            x=labels,
            y=shown,
            measure=["absolute", *["relative"] * (len(steps) - 2), "total"],
            text=[ui.yuan(amount) for amount in shown],
            textposition="outside",
            hovertemplate="%{x}: %{text}<extra></extra>",
            connector={"line": {"color": "#999"}},
        )
    )
    figure.update_layout(
        title=t("funnel.movement.chart"), margin=CHART_MARGIN, height=380, showlegend=False
    )
    figure.update_yaxes(tickprefix="¥")
    st.plotly_chart(figure, width="stretch", key="funnel.movement.chart")
    st.metric(
        t("funnel.movement.undated"),
        t(
            "funnel.movement.undated.value",
            amount=ui.yuan(movement["undated_open_amount"]),
            count=ui.count(movement["undated_open_count"]),
        ),
    )
    ui.table_of(
        None,
        [
            ui.Column(labels, t("funnel.movement.col.step")),
            ui.Column(
                [movement[count] for _, count, _, _ in steps],
                t("funnel.movement.col.count"),
                "count",
            ),
            ui.Column(shown, t("funnel.movement.col.amount"), "money"),
        ],
        "pipeline_movement",
        key="funnel.movement",
    )


def _coverage_cards(row: pd.Series) -> None:
    st.caption(
        t(
            "funnel.coverage.measured",
            day=ui.day(row["measured_on"]),
            kind=t(f"funnel.coverage.kind.{row['target_kind']}"),
        )
    )
    first = st.columns(3)
    first[0].metric(
        t("funnel.coverage.coverage"),
        _ratio(row["coverage"]),
        help=t("funnel.coverage.coverage.help"),
        border=True,
    )
    first[1].metric(
        t("funnel.coverage.quote_plus"), _ratio(row["coverage_quote_plus"]), border=True
    )
    first[2].metric(
        t("funnel.coverage.pipeline"),
        t(
            "funnel.coverage.pipeline.value",
            amount=ui.yuan(row["open_pipeline_amount"]),
            count=ui.count(row["open_pipeline_count"]),
        ),
        border=True,
    )
    second = st.columns(4)
    second[0].metric(t("funnel.coverage.target"), ui.yuan(row["target_amount"]), border=True)
    second[1].metric(t("funnel.coverage.bookings"), ui.yuan(row["bookings_to_date"]), border=True)
    second[2].metric(t("funnel.coverage.remaining"), ui.yuan(row["remaining_target"]), border=True)
    second[3].metric(
        t("funnel.movement.undated"),
        t(
            "funnel.movement.undated.value",
            amount=ui.yuan(row["undated_open_amount"]),
            count=ui.count(row["undated_open_count"]),
        ),
        border=True,
    )


def coverage_section(current: data.Scope) -> None:
    if ui.unavailable_marts(current.snapshot, COVERAGE_MARTS):
        return
    coverage = queries.pipeline_coverage(current)
    if coverage.empty:
        st.info(t("funnel.coverage.none"))
        return
    periods = coverage.drop_duplicates("period", keep="first")
    this_month = periods.iloc[0]
    st.subheader(t("funnel.coverage.this_month", month=ui.month(this_month["period_start"])))
    _coverage_cards(this_month)
    next_start = pd.Timestamp(this_month["period_start"]) + pd.offsets.MonthBegin(1)
    st.subheader(t("funnel.coverage.next_month", month=ui.month(next_start)))
    if len(periods) > 1:
        _coverage_cards(periods.iloc[1])
        return
    pipeline = None if current.viewer.is_rep else queries.next_month_pipeline(current)
    if pipeline is None:
        st.info(t("funnel.coverage.none"))
        return
    st.info(
        t(
            "funnel.coverage.no_next",
            amount=ui.yuan(pipeline["end_amount"]),
            count=ui.count(pipeline["end_count"]),
            day=ui.day(pipeline["end_date"]),
        )
    )


def velocity_section(current: data.Scope) -> None:
    if ui.rep_only_notice(current) or ui.unavailable_marts(current.snapshot, VELOCITY_MARTS):
        return
    velocity = queries.sales_velocity(current)
    win_rate = queries.win_rate_monthly(current)
    if velocity.empty and win_rate.empty:
        st.info(t("no_rows"))
        return
    if not velocity.empty:
        latest = velocity.iloc[-1]
        st.metric(
            t("funnel.velocity.latest", month=ui.month(latest["month_start"])),
            t("funnel.velocity.value", amount=ui.yuan(latest["sales_velocity"])),
            help=t("funnel.velocity.help"),
            border=True,
        )
        figure = go.Figure(
            go.Scatter(
                x=velocity["month_start"].tolist(),
                y=velocity["sales_velocity"].tolist(),
                mode="lines+markers",
                name=t("funnel.velocity.title"),
            )
        )
        figure.update_layout(title=t("funnel.velocity.title"), margin=CHART_MARGIN, height=300)
        figure.update_yaxes(tickprefix="¥", title=t("funnel.velocity.axis"))
        st.plotly_chart(figure, width="stretch", key="funnel.velocity.chart")
    if not win_rate.empty:
        lines = [
            ("win_rate_count", "funnel.winrate.by_count"),
            ("win_rate_amount", "funnel.winrate.by_amount"),
            ("traditional_win_rate_count", "funnel.winrate.traditional"),
            ("structured_win_rate_count", "funnel.winrate.structured"),
        ]
        figure = go.Figure(
            [
                go.Scatter(
                    x=win_rate["month_start"].tolist(),
                    y=win_rate[column].tolist(),
                    mode="lines",
                    name=t(key),
                )
                for column, key in lines
                if win_rate[column].notna().any()
            ]
        )
        figure.update_layout(title=t("funnel.winrate.title"), margin=CHART_MARGIN, height=300)
        figure.update_yaxes(tickformat=".0%")
        st.plotly_chart(figure, width="stretch", key="funnel.winrate.chart")
    table = velocity.merge(win_rate, on="month_start", how="outer", suffixes=("", "_closed"))
    labels = {
        "month_start": t("funnel.col.month"),
        "sales_velocity": t("funnel.col.velocity"),
        "open_qualified_count": t("funnel.col.open_qualified"),
        "avg_won_amount": t("funnel.col.avg_won"),
        "avg_cycle_days": t("funnel.col.avg_cycle"),
        "won_count": t("funnel.col.won"),
        "lost_count": t("funnel.col.lost_count"),
        "won_amount": t("funnel.col.won_amount"),
        "lost_amount": t("funnel.col.lost_amount_closed"),
        "win_rate_count_closed": t("funnel.col.win_rate_count"),
        "win_rate_amount": t("funnel.col.win_rate_amount"),
    }
    table = table.sort_values("month_start", ascending=False)
    table["month_start"] = [ui.month(value) for value in table["month_start"]]
    ui.table(
        ui.labelled(table, labels),
        "velocity_win_rate",
        column_config={
            labels["sales_velocity"]: ui.money_column(labels["sales_velocity"]),
            labels["open_qualified_count"]: ui.count_column(labels["open_qualified_count"]),
            labels["avg_won_amount"]: ui.money_column(labels["avg_won_amount"]),
            labels["avg_cycle_days"]: ui.number_column(labels["avg_cycle_days"]),
            labels["won_count"]: ui.count_column(labels["won_count"]),
            labels["lost_count"]: ui.count_column(labels["lost_count"]),
            labels["won_amount"]: ui.money_column(labels["won_amount"]),
            labels["lost_amount"]: ui.money_column(labels["lost_amount"]),
            labels["win_rate_count_closed"]: ui.percent_column(labels["win_rate_count_closed"]),
            labels["win_rate_amount"]: ui.percent_column(labels["win_rate_amount"]),
        },
        key="funnel.velocity",
    )


def transitions_section(current: data.Scope) -> None:
    if ui.rep_only_notice(current) or ui.unavailable_marts(current.snapshot, TRANSITION_MARTS):
        return
    grain_column, window_column = st.columns([1, 2])
    with grain_column:
        grain = (
            st.segmented_control(
                t("funnel.movement.grain"),
                (*GRAINS, "all"),
                format_func=ui.labels(
                    (*GRAINS, "all"), lambda grain: t(f"funnel.movement.grain.{grain}")
                ),
                default="month",
                key="funnel.transitions.grain",
            )
            or "month"
        )
    window_start = None
    if grain != "all":
        windows = queries.movement_windows(current, grain=grain)
        if not windows.empty:
            with window_column:
                window_start = _window_picker(windows, f"funnel.transitions.window.{grain}")
    transitions = queries.stage_transitions(current, grain=grain, window_start=window_start)
    if transitions.empty:
        st.info(t("no_rows"))
        return
    from_labels = [_stage(stage) for stage in transitions["from_stage"]]
    to_labels = [_stage(stage) for stage in transitions["to_stage"]]
    order = [_stage(stage) for stage in ("new", *OPEN_STAGES, "won", "lost")]
    figure = go.Figure(
        go.Heatmap(
            x=to_labels,
            y=from_labels,
            z=transitions["move_count"].tolist(),
            text=[ui.count(value) for value in transitions["move_count"]],
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate="%{y} → %{x}: %{text}<extra></extra>",
        )
    )
    figure.update_layout(title=t("funnel.transitions.title"), margin=CHART_MARGIN, height=380)
    figure.update_xaxes(
        title=t("funnel.transitions.to"), categoryorder="array", categoryarray=order
    )
    figure.update_yaxes(
        title=t("funnel.transitions.from"),
        categoryorder="array",
        categoryarray=order,
        autorange="reversed",
    )
    st.plotly_chart(figure, width="stretch", key="funnel.transitions.chart")
    ui.table_of(
        transitions,
        [
            ui.Column(from_labels, t("funnel.transitions.from")),
            ui.Column(to_labels, t("funnel.transitions.to")),
            ui.Column(
                [t(f"funnel.kind.{kind}") for kind in transitions["transition_kind"]],
                t("funnel.col.kind"),
            ),
            ui.Column("move_count", t("funnel.col.moves"), "count"),
            ui.Column("opportunity_count", t("funnel.col.deals"), "count"),
            ui.Column("amount", t("funnel.col.amount"), "money"),
        ],
        "stage_transitions",
        key="funnel.transitions",
    )


current = scope.current()
st.title(t("funnel.title"))
st.caption(current.name_path)

availability = data.mart_availability(current.snapshot, FUNNEL_MARTS)
unavailable = availability[~availability["is_available"].astype(bool)]
if not unavailable.empty:
    st.warning(
        bilingual("funnel.unavailable", tables=_tables(unavailable["missing_tables"])),
        icon=":material/block:",
    )
    st.stop()

funnel_tab, movement_tab, coverage_tab, velocity_tab, transitions_tab = st.tabs(
    [
        t("funnel.tab.funnel"),
        t("funnel.tab.movement"),
        t("funnel.tab.coverage"),
        t("funnel.tab.velocity"),
        t("funnel.tab.transitions"),
    ]
)

with funnel_tab:
    if not ui.rep_only_notice(current):
        summary = queries.funnel_summary(current)
        stages = queries.funnel_stages(current)
        if summary is None and stages.empty:
            st.info(t("funnel.no_data"))
        else:
            summary = summary or {}
            opportunities, win_rate, cycle, signed = st.columns(4)
            opportunities.metric(
                t("funnel.kpi.opportunities"),
                ui.count(summary.get("opportunities_count")),
                border=True,
            )
            win_rate.metric(
                t("funnel.kpi.win_rate"),
                ui.percent(summary.get("win_rate_count")),
                help=t("funnel.kpi.win_rate.help"),
                border=True,
            )
            cycle.metric(
                t("funnel.kpi.cycle"),
                _days(summary.get("median_lead_to_sign_days")),
                help=t("funnel.kpi.cycle.help", avg=_days(summary.get("avg_lead_to_sign_days"))),
                border=True,
            )
            signed.metric(
                t("funnel.kpi.signed"), ui.count(summary.get("signed_count")), border=True
            )
            degraded_by = _tables(availability["missing_optional_tables"])
            if degraded_by:
                st.caption(t("funnel.degraded", tables=degraded_by))
            if not stages.empty:
                funnel_section(current, stages)

with movement_tab:
    movement_section(current)
with coverage_tab:
    coverage_section(current)
with velocity_tab:
    velocity_section(current)
with transitions_tab:
    transitions_section(current)

st.caption(t("funnel.definitions"))
