"""丢单归因 / Loss attribution: stated vs evidence-based loss reasons for the chosen unit.

Reads ``fct_loss_reason_mix_monthly`` and ``fct_loss_reason_traceability`` (unit totals:
managers only) and ``fct_lost_opportunity_reasons`` / ``fct_loss_reason_evidence`` (deal
rows: a rep sees their own) through :mod:`dashboards.queries.loss`; this page only lays
out and formats (SPEC §5 "Loss attribution": the article's stated price 31% vs evidence
IT-fit 44%, traceability 33% → 89%).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import scope, ui
from dashboards.i18n import language, t
from dashboards.queries import loss

LOSS_MARTS = (
    "fct_loss_reason_mix_monthly",
    "fct_loss_reason_traceability",
    "fct_lost_opportunity_reasons",
    "fct_loss_reason_evidence",
)
DEAL_FILTERS = ("all", "mismatch", "untraceable")
RANGE_KEY = "loss.range"
DEALS_KEY = "loss.deals"
FILTER_KEY = "loss.deals.filter"
DEFAULT_MONTHS = 12
STATED_COLOUR = "#9aa5b1"
EVIDENCE_COLOUR = "#1f77b4"
REGIME_COLOURS = {"traditional": "#9aa5b1", "structured": "#2ca02c"}


def _label(frame: pd.DataFrame, prefix: str) -> pd.Series:
    """The reason label in the reader's language (``<prefix>label_zh`` / ``_en``)."""
    return frame[f"{prefix}label_{language()}"]


def _forget_selected_deal() -> None:
    """Another range or filter lists other deals: a kept row index would pick a stranger."""
    st.session_state.pop(DEALS_KEY, None)


def _regime(regime: str) -> str:
    return t(f"loss.regime.{regime}")


current = scope.current()
st.title(t("loss.title"))
st.caption(current.name_path)

unavailable = ui.unavailable_marts(current.snapshot, LOSS_MARTS)
if "fct_lost_opportunity_reasons" in unavailable:
    st.stop()

months = loss.lost_months(current)
if not months:
    st.info(t("no_rows"))
    st.stop()

if st.session_state.get(RANGE_KEY) is not None and not set(st.session_state[RANGE_KEY]) <= set(
    months
):
    del st.session_state[RANGE_KEY]  # months of another scope or an older snapshot
if len(months) > 1:
    first_month, last_month = st.select_slider(
        t("loss.range"),
        options=months,
        value=(months[max(0, len(months) - DEFAULT_MONTHS)], months[-1]),
        format_func=ui.labels(months, ui.month),
        key=RANGE_KEY,
        on_change=_forget_selected_deal,
    )
else:
    first_month = last_month = months[0]
    st.caption(f"{t('loss.range')}：{ui.month(first_month)}")

# --- stated vs evidence -------------------------------------------------------------------
st.subheader(t("loss.mix.header"))
if not ui.rep_only_notice(current):
    mix = loss.reason_mix(current, first_month, last_month)
    if mix.empty:
        st.info(t("no_rows"))
    else:
        labels = _label(mix, "")
        stated_card, evidence_card = st.columns(2)
        for card, kind in ((stated_card, "stated"), (evidence_card, "evidence")):
            top = mix.loc[mix[f"{kind}_share"].fillna(-1).idxmax()]
            card.metric(
                t(f"loss.mix.top_{kind}"),
                f"{top[f'label_{language()}']} {ui.percent(top[f'{kind}_share'])}",
                help=t(
                    "loss.mix.share_of",
                    share=ui.percent(top[f"{kind}_share"]),
                    count=ui.count(top[f"{kind}_count"]),
                    total=ui.count(top[f"{kind}_total"]),
                ),
                border=True,
            )
        figure = go.Figure(
            [
                go.Bar(
                    name=t("loss.mix.stated"),
                    x=labels.tolist(),
                    y=mix["stated_share"].tolist(),
                    text=[ui.percent(share) for share in mix["stated_share"]],
                    marker_color=STATED_COLOUR,
                ),
                go.Bar(
                    name=t("loss.mix.evidence"),
                    x=labels.tolist(),
                    y=mix["evidence_share"].tolist(),
                    text=[ui.percent(share) for share in mix["evidence_share"]],
                    marker_color=EVIDENCE_COLOUR,
                ),
            ]
        )
        figure.update_layout(
            barmode="group",
            height=360,
            margin={"l": 0, "r": 0, "t": 10, "b": 0},
            yaxis={"tickformat": ".0%", "title": t("loss.mix.chart_y")},
            legend={"orientation": "h", "y": 1.1},
        )
        st.plotly_chart(figure, width="stretch", key="loss.mix.chart")
        ui.table_of(
            mix,
            [
                ui.Column(labels, t("loss.col.reason")),
                ui.Column("stated_count", t("loss.col.stated_count"), "count"),
                ui.Column("stated_share", t("loss.col.stated_share"), "percent"),
                ui.Column("evidence_count", t("loss.col.evidence_count"), "count"),
                ui.Column("evidence_share", t("loss.col.evidence_share"), "percent"),
                ui.Column("share_gap", t("loss.col.gap"), "percent"),
            ],
            "loss_reason_mix",
            key="loss.mix.table",
        )

# --- traceability ---------------------------------------------------------------------------
st.subheader(t("loss.trace.header"))
if not ui.rep_only_notice(current):
    regimes = loss.traceability_by_regime(current, first_month, last_month)
    monthly = loss.traceability_monthly(current, first_month, last_month)
    if regimes.empty:
        st.info(t("no_rows"))
    else:
        for card, row in zip(st.columns(len(regimes)), regimes.itertuples(), strict=True):
            card.metric(
                t("loss.trace.regime_card", regime=_regime(row.process_regime)),
                ui.percent(row.traceability_rate),
                help=t(
                    "loss.trace.regime_help",
                    traceable=ui.count(row.traceable_count),
                    lost=ui.count(row.lost_count),
                    code=ui.percent(row.reason_code_rate),
                    evidence=ui.percent(row.evidence_rate),
                ),
                border=True,
            )
        figure = go.Figure(
            [
                go.Scatter(
                    name=_regime(regime),
                    x=rows["lost_month"].tolist(),
                    y=rows["traceability_rate"].tolist(),
                    mode="lines+markers",
                    line={"color": REGIME_COLOURS.get(regime)},
                )
                for regime in monthly["process_regime"].unique()
                for rows in [monthly[monthly["process_regime"] == regime]]
            ]
        )
        figure.update_layout(
            height=300,
            margin={"l": 0, "r": 0, "t": 10, "b": 0},
            yaxis={"tickformat": ".0%", "range": [0, 1.05], "title": t("loss.col.traceability")},
            legend={"orientation": "h", "y": 1.15},
        )
        st.plotly_chart(figure, width="stretch", key="loss.trace.chart")
        ui.table_of(
            monthly,
            [
                ui.Column(
                    [ui.month(month) for month in monthly["lost_month"]], t("loss.col.month")
                ),
                ui.Column([_regime(r) for r in monthly["process_regime"]], t("loss.col.regime")),
                ui.Column("lost_count", t("loss.col.lost"), "count"),
                ui.Column("traceable_count", t("loss.col.traceable"), "count"),
                ui.Column("traceability_rate", t("loss.col.traceability"), "percent"),
                ui.Column("reason_code_rate", t("loss.col.reason_code_rate"), "percent"),
                ui.Column("evidence_rate", t("loss.col.evidence_rate"), "percent"),
            ],
            "loss_traceability",
            key="loss.trace.table",
        )

# --- lost deals and their evidence -------------------------------------------------------------
st.subheader(t("loss.deals.header"))
shown_filter = st.segmented_control(
    t("loss.deals.filter"),
    DEAL_FILTERS,
    format_func=ui.labels(DEAL_FILTERS, lambda option: t(f"loss.deals.{option}")),
    default="all",
    key=FILTER_KEY,
    on_change=_forget_selected_deal,
)
deals = loss.lost_deals(current, first_month, last_month, shown_filter or "all")
if deals.empty:
    st.info(t("no_rows"))
else:
    total = int(deals["total_count"].iloc[0])
    st.caption(
        t("loss.deals.count", count=ui.count(total))
        if total <= len(deals)
        else t("loss.deals.latest", shown=ui.count(len(deals)), count=ui.count(total))
    )
    none = t("loss.none")
    event = ui.table_of(
        deals,
        [
            ui.Column(deals["lost_at"].dt.date, t("loss.col.lost_on"), "date"),
            ui.Column("customer_name", t("loss.col.customer")),
            ui.Column("rep_name", t("loss.col.rep")),
            ui.Column("team_name", t("loss.col.team")),
            ui.Column(deals["amount"].astype(float), t("loss.col.amount"), "money"),
            ui.Column(_label(deals, "stated_").fillna(none), t("loss.col.stated")),
            ui.Column("stated_reason_text", t("loss.col.stated_text")),
            ui.Column(_label(deals, "evidence_").fillna(none), t("loss.col.evidence")),
            ui.Column("evidence_count", t("loss.col.evidence_records"), "count"),
            ui.Column(deals["is_traceable"].astype(bool), t("loss.col.traceable_flag")),
        ],
        "lost_deals",
        key=DEALS_KEY,
        on_select="rerun",
        selection_mode="single-row",
        height=360,
    )
    selected = [row for row in event.selection.rows if row < len(deals)]
    if not selected:
        st.caption(t("loss.deals.pick"))
    else:
        deal = deals.iloc[selected[0]]
        st.markdown(f"**{t('loss.evidence.header', customer=deal['customer_name'])}**")
        evidence = loss.deal_evidence(current, deal["opportunity_id"])
        if evidence.empty:
            st.info(t("loss.evidence.none"))
        else:
            ui.table_of(
                evidence,
                [
                    ui.Column("evidence_at", t("loss.col.evidence_at"), "datetime"),
                    ui.Column(
                        [t(f"loss.source.{kind}") for kind in evidence["source_kind"]],
                        t("loss.col.source"),
                    ),
                    ui.Column("evidence_text", t("loss.col.text")),
                    ui.Column(
                        evidence["matched_terms"].str.replace("|", "、"), t("loss.col.terms")
                    ),
                    ui.Column(
                        _label(evidence, "").fillna(evidence["loss_reason"]),
                        t("loss.col.points_to"),
                    ),
                    ui.Column("weight", t("loss.col.weight"), "number", digits=1),
                    ui.Column("supports_stated_reason", t("loss.col.supports_stated")),
                    ui.Column("supports_evidence_reason", t("loss.col.supports_evidence")),
                ],
                "loss_evidence",
                key="loss.evidence",
            )

st.caption(t("loss.definitions"))
