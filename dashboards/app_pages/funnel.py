"""销售漏斗 / Sales funnel: the chosen unit's rows of the funnel marts, as they are.

Every figure comes from ``marts.fct_funnel_summary`` and ``marts.fct_funnel_stages``
(SPEC §5 "Funnel"); this page only formats and labels them. When the source lacks an
extract those marts require, ``marts.fct_mart_availability`` says so and the page shows
which extracts are missing instead of an empty funnel.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import data, scope
from dashboards.i18n import bilingual, stage_label, t

FUNNEL_MARTS = ("fct_funnel_stages", "fct_funnel_summary")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _count(value: object) -> str:
    return t("value.missing") if _missing(value) else f"{int(value):,}"


def _percent(value: object) -> str:
    return t("value.missing") if _missing(value) else f"{float(value):.1%}"


def _tables(lists: pd.Series) -> str:
    """Distinct table names of comma-separated lists, sorted, each as code."""
    names = {name.strip() for value in lists.dropna() for name in str(value).split(",")}
    return ", ".join(f"`{name}`" for name in sorted(names) if name)


def _days(value: object) -> str:
    if _missing(value):
        return t("value.missing")
    days = float(value)
    return f"{days:.0f}" if days.is_integer() else f"{days:.1f}"


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

summary = data.funnel_summary(current)
stages = data.funnel_stages(current)
if summary is None and stages.empty:
    st.info(t("funnel.no_data"))
    st.stop()
summary = summary or {}

opportunities, win_rate, cycle, signed = st.columns(4)
opportunities.metric(
    t("kpi.opportunities"), _count(summary.get("opportunities_count")), border=True
)
win_rate.metric(
    t("kpi.win_rate"),
    _percent(summary.get("win_rate_count")),
    help=t("kpi.win_rate.help"),
    border=True,
)
cycle.metric(
    t("kpi.cycle"),
    _days(summary.get("median_lead_to_sign_days")),
    help=t("kpi.cycle.help", avg=_days(summary.get("avg_lead_to_sign_days"))),
    border=True,
)
signed.metric(t("kpi.signed"), _count(summary.get("signed_count")), border=True)

degraded_by = _tables(availability["missing_optional_tables"])
if degraded_by:
    st.caption(t("funnel.degraded", tables=degraded_by))

if not stages.empty:
    labels = [stage_label(stage) for stage in stages["stage"]]
    figure = go.Figure(
        go.Funnel(
            y=labels,
            x=stages["reached_count"].tolist(),
            text=[
                t("funnel.chart.text", rate=_percent(rate)) for rate in stages["conversion_rate"]
            ],
            textinfo="value+text",
            hovertemplate=t("funnel.chart.hover") + "<extra></extra>",
        )
    )
    figure.update_layout(margin={"l": 0, "r": 0, "t": 10, "b": 0}, height=340)
    st.plotly_chart(figure, width="stretch")

    table = pd.DataFrame(
        {
            t("col.stage"): labels,
            t("col.reached"): stages["reached_count"],
            t("col.advanced"): stages["advanced_count"],
            t("col.conversion"): stages["conversion_rate"],
            t("col.median_dwell"): stages["median_dwell_days"],
            t("col.open"): stages["open_count"],
            t("col.lost"): stages["lost_count"],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            t("col.conversion"): st.column_config.NumberColumn(format="percent"),
            t("col.median_dwell"): st.column_config.NumberColumn(format="%.1f"),
        },
    )

st.caption(t("funnel.definitions"))
