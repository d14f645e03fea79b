"""效能对比 / Efficiency comparison: the article's five-row table, traditional vs structured.

Every figure is a ``marts.fct_efficiency_comparison`` row of the chosen unit (HQ or a
region); this page only formats the values by their unit (pp, days, share), shows the
mart's change label (↓/↑ and %) and the samples behind each value, and draws them.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from dashboards import scope, ui
from dashboards.i18n import language, t
from dashboards.queries import efficiency

TRADITIONAL_COLOUR = "#9aa5b1"
STRUCTURED_COLOUR = "#1f77b4"


def value_text(value: object, unit: str) -> str:
    """A KPI value in its unit: ±24.1% (volatility, in points), 87 天, 37.0%."""
    if ui.is_missing(value):
        return ui.MISSING
    if unit == "pp":
        return f"±{float(value):.1f}%"
    if unit == "days":
        return t("efficiency.days", days=f"{float(value):.0f}")
    return ui.percent(value)


def difference_text(value: object, unit: str) -> str:
    """structured − traditional, signed, in the KPI's unit."""
    if ui.is_missing(value):
        return ui.MISSING
    if unit == "days":
        return t("efficiency.days", days=f"{float(value):+.0f}")
    if unit == "pp":
        return ui.points(float(value) / 100)
    return ui.points(value)


def label(row: pd.Series) -> str:
    return row["label_zh"] if language() == "zh" else row["label_en"]


def change_colour(row: pd.Series) -> str:
    if ui.is_missing(row["is_improvement"]):
        return "off"
    return "green" if bool(row["is_improvement"]) else "red"


current = scope.current()
st.title(t("efficiency.title"))
st.caption(current.name_path)

if ui.unavailable_marts(current.snapshot, efficiency.MARTS):
    st.stop()
if ui.rep_only_notice(current):
    st.stop()

rows = efficiency.comparison(current)
if rows.empty:
    st.info(t("no_rows"))
    st.caption(t("efficiency.scope_hint"))
    st.stop()

st.caption(t("efficiency.intro"))
columns = st.columns(len(rows))
for column, (_, row) in zip(columns, rows.iterrows(), strict=True):
    column.metric(
        label(row),
        f"{value_text(row['traditional_value'], row['unit'])} → "
        f"{value_text(row['structured_value'], row['unit'])}",
        delta=None if ui.is_missing(row["change_label"]) else row["change_label"],
        delta_color=change_colour(row),
        delta_arrow="off",
        help=t(
            "efficiency.samples",
            traditional=ui.count(row["traditional_sample"]),
            structured=ui.count(row["structured_sample"]),
        ),
        border=True,
    )
if rows["structured_value"].isna().all():
    st.info(t("efficiency.no_structured"))

ui.table_of(
    rows,
    [
        ui.Column([label(row) for _, row in rows.iterrows()], t("efficiency.col.kpi")),
        ui.Column(
            [
                value_text(v, u)
                for v, u in zip(rows["traditional_value"], rows["unit"], strict=True)
            ],
            t("efficiency.col.traditional"),
        ),
        ui.Column(
            [value_text(v, u) for v, u in zip(rows["structured_value"], rows["unit"], strict=True)],
            t("efficiency.col.structured"),
        ),
        ui.Column(rows["change_label"].fillna(ui.MISSING), t("efficiency.col.change")),
        ui.Column(
            [difference_text(v, u) for v, u in zip(rows["change_abs"], rows["unit"], strict=True)],
            t("efficiency.col.change_abs"),
        ),
        ui.Column(
            [t(f"efficiency.better.{better}") for better in rows["better_direction"]],
            t("efficiency.col.better"),
        ),
        ui.Column("traditional_sample", t("efficiency.col.traditional_sample"), "count"),
        ui.Column("structured_sample", t("efficiency.col.structured_sample"), "count"),
    ],
    "efficiency_comparison",
)

st.subheader(t("efficiency.chart"))
figure = make_subplots(
    rows=1, cols=len(rows), subplot_titles=[label(row) for _, row in rows.iterrows()]
)
sides = (
    ("traditional", t("efficiency.traditional"), TRADITIONAL_COLOUR),
    ("structured", t("efficiency.structured"), STRUCTURED_COLOUR),
)
for index, (_, row) in enumerate(rows.iterrows(), start=1):
    for side, name, colour in sides:
        value = row[f"{side}_value"]
        figure.add_trace(
            go.Bar(
                x=[name],
                y=[None if ui.is_missing(value) else float(value)],
                text=[value_text(value, row["unit"])],
                textposition="auto",
                marker_color=colour,
                name=name,
                legendgroup=side,
                showlegend=index == 1,
                hovertemplate=f"{name}: {value_text(value, row['unit'])}<br>"
                f"{t(f'efficiency.col.{side}_sample')}: {ui.count(row[f'{side}_sample'])}"
                "<extra></extra>",
            ),
            row=1,
            col=index,
        )
    figure.update_yaxes(showticklabels=False, row=1, col=index)
    figure.update_xaxes(showticklabels=False, row=1, col=index)
figure.update_layout(
    height=320,
    margin={"l": 0, "r": 0, "t": 40, "b": 0},
    legend={"orientation": "h", "y": -0.05},
    barmode="group",
)
figure.update_annotations(font_size=12)
st.plotly_chart(figure, width="stretch")

st.caption(t("efficiency.definitions"))
