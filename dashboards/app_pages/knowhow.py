"""能力沉淀 / Know-how: the SOP card library, recommendations, practice, iteration,
retirement, best-practice reuse and new-rep retention.

Figures come from the capability marts as they are (loaders in
:mod:`dashboards.queries.knowhow`); the card scorecard, iteration list and retirement
candidates are company-wide, the rest follow the chosen unit. The page only labels and
formats them.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, scope, ui
from dashboards.i18n import STAGE_LABELS_EN, TEXTS, stage_label, t
from dashboards.queries import knowhow
from salesops.contract import STAGE_LABELS_ZH

SEARCH_KEY = "knowhow_search"
TEAM_KEY = "knowhow_team"
INDUSTRY_KEY = "knowhow_industry"
STAGE_KEY = "knowhow_stage"
CARD_KEY = "knowhow_card"
MONTH_KEY = "knowhow_month"


def pp(value: object) -> str:
    """Percentage points as the marts store them (20.5 = +20.5 pp)."""
    return ui.MISSING if ui.is_missing(value) else ui.points(float(value) / 100)


def interval(low: object, high: object) -> str:
    if ui.is_missing(low) or ui.is_missing(high):
        return ui.MISSING
    return f"{float(low):+.1f} ~ {float(high):+.1f}"


def all_or(value: object, label: str | None = None) -> str:
    return t("knowhow.all") if ui.is_missing(value) or value == "" else (label or str(value))


def labelled_text(prefix: str, value: object) -> str:
    key = f"{prefix}.{value}"
    return t(key) if key in TEXTS else ("" if ui.is_missing(value) else str(value))


def matching_stages(search: str) -> tuple[str, ...]:
    """Stage codes whose Chinese or English label contains the search text."""
    needle = search.strip().lower()
    if not needle:
        return ()
    return tuple(
        code
        for code in STAGE_LABELS_EN
        if needle in STAGE_LABELS_EN[code].lower() or needle in STAGE_LABELS_ZH.get(code, "")
    )


def month_column(label: str) -> object:
    return st.column_config.DateColumn(label, format="YYYY-MM")


def stay_in(key: str, options: list) -> None:
    """Forget a widget's value that is no longer among its options (new snapshot, scope)."""
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)


def card_table(cards: pd.DataFrame, name: str) -> None:
    ui.table_of(
        cards,
        [
            ui.Column("title", t("knowhow.col.title")),
            ui.Column([all_or(v) for v in cards["industry"]], t("knowhow.col.industry")),
            ui.Column(
                [all_or(v, None if ui.is_missing(v) else stage_label(v)) for v in cards["stage"]],
                t("knowhow.col.stage"),
            ),
            ui.Column(
                [labelled_text("knowhow.status", v) for v in cards["status"]],
                t("knowhow.col.status"),
            ),
            ui.Column(
                [labelled_text("knowhow.source", v) for v in cards["source"]],
                t("knowhow.col.source"),
            ),
            ui.Column("uses_count", t("knowhow.col.uses"), "count"),
            ui.Column("usage_rate", t("knowhow.col.usage_rate"), "percent"),
            ui.Column("negative_feedback_share", t("knowhow.col.negative_share"), "percent"),
            ui.Column("feedback_within_window_rate", t("knowhow.col.feedback_48h"), "percent"),
            ui.Column("uplift_pp", t("knowhow.col.uplift"), "signed"),
            ui.Column(
                [
                    interval(low, high)
                    for low, high in zip(
                        cards["uplift_ci_low_pp"], cards["uplift_ci_high_pp"], strict=True
                    )
                ],
                t("knowhow.col.uplift_ci"),
            ),
            ui.Column("used_closed_count", t("knowhow.col.used_sample"), "count"),
            ui.Column("uplift_rank", t("knowhow.col.rank"), "count"),
            ui.Column(
                cards["is_retirement_candidate"].astype(bool),
                t("knowhow.col.retirement"),
                "checkbox",
            ),
            ui.Column("card_id", t("knowhow.col.card")),
        ],
        name,
        key=name,
    )


def library_tab(snapshot: data.Snapshot) -> None:
    search = st.text_input(
        t("knowhow.search"), key=SEARCH_KEY, placeholder=t("knowhow.search.placeholder")
    ).strip()
    cards = knowhow.cards(snapshot, search or None, matching_stages(search))
    if cards.empty:
        st.info(t("knowhow.cards.none") if search else t("no_rows"))
        return
    st.caption(t("knowhow.cards.count", count=len(cards)))
    card_table(cards, "sop_cards")


def recommend_tab(current: data.Scope) -> None:
    st.caption(t("knowhow.recommend.intro"))
    options = knowhow.recommendation_options(current)
    if options.empty:
        st.info(t("no_rows"))
        return
    teams = dict(zip(options["unit_id"], options["team_name"], strict=True))
    team_column, industry_column, stage_column = st.columns(3)
    stay_in(TEAM_KEY, list(teams))
    team_id = team_column.selectbox(
        t("knowhow.recommend.team"),
        list(teams),
        format_func=teams.__getitem__,
        key=TEAM_KEY,
        disabled=len(teams) == 1,
    )
    of_team = options[options["unit_id"] == team_id]
    industries = sorted(of_team["industry"].unique())
    stay_in(INDUSTRY_KEY, industries)
    industry = industry_column.selectbox(
        t("knowhow.recommend.industry"), industries, key=INDUSTRY_KEY
    )
    stage_order = list(STAGE_LABELS_EN)
    stages = sorted(
        of_team.loc[of_team["industry"] == industry, "stage"].unique(),
        key=lambda code: stage_order.index(code) if code in stage_order else len(stage_order),
    )
    stay_in(STAGE_KEY, stages)
    # format functions look labels up in this run's language (a dict, not a call to t())
    stage_labels = {code: stage_label(code) for code in stages}
    stage = stage_column.selectbox(
        t("knowhow.recommend.stage"), stages, format_func=stage_labels.__getitem__, key=STAGE_KEY
    )
    rows = knowhow.recommendations(current, team_id=team_id, industry=industry, stage=stage)
    if rows.empty:
        st.info(t("no_rows"))
        return
    labels = [
        "；".join(
            label
            for label, holds in (
                (t("knowhow.label.top_new_rep_practice"), row.is_top_new_rep_practice),
                (t("knowhow.label.top_rep_lift"), row.has_top_rep_lift),
            )
            if not ui.is_missing(holds) and bool(holds)
        )
        for row in rows.itertuples()
    ]
    for column, row, label in zip(st.columns(3), rows.itertuples(), labels, strict=False):
        with column.container(border=True):
            st.markdown(
                f"**{t('knowhow.recommend.card', rank=row.recommendation_rank, title=row.title)}**"
            )
            st.caption(
                t(
                    "knowhow.recommend.uplift",
                    uplift=pp(row.uplift_pp),
                    sample=ui.count(row.used_closed_count),
                )
            )
            if label:
                st.markdown(" ".join(f":green-badge[{part}]" for part in label.split("；")))
    ui.table_of(
        rows,
        [
            ui.Column("recommendation_rank", t("knowhow.col.recommendation_rank")),
            ui.Column("title", t("knowhow.col.title")),
            ui.Column([all_or(v) for v in rows["card_industry"]], t("knowhow.col.industry")),
            ui.Column("uplift_pp", t("knowhow.col.uplift"), "signed"),
            ui.Column("used_closed_count", t("knowhow.col.used_sample"), "count"),
            ui.Column("new_rep_practice_rate", t("knowhow.col.new_rep_practice"), "percent"),
            ui.Column("top_rep_uplift_pp", t("knowhow.col.top_rep_uplift"), "signed"),
            ui.Column(labels, t("knowhow.col.labels")),
            ui.Column("card_id", t("knowhow.col.card")),
        ],
        "sop_recommendations",
    )


def practice_tab(current: data.Scope, cards: pd.DataFrame) -> None:
    if ui.rep_only_notice(current):
        return
    practised = cards[cards["status"] != "draft"]
    if practised.empty:
        st.info(t("no_rows"))
        return
    titles = dict(zip(practised["card_id"], practised["title"], strict=True))
    stay_in(CARD_KEY, list(titles))
    card_id = st.selectbox(
        t("knowhow.practice.card"),
        list(titles),
        format_func=lambda card: f"{titles[card]} ({card})",
        key=CARD_KEY,
    )
    card = practised[practised["card_id"] == card_id].iloc[0]
    uplift, usage, feedback = st.columns(3)
    uplift.metric(
        t("knowhow.practice.uplift"),
        pp(card["uplift_pp"]),
        help=t(
            "knowhow.practice.uplift.help",
            low=pp(card["uplift_ci_low_pp"]),
            high=pp(card["uplift_ci_high_pp"]),
            used=ui.count(card["used_closed_count"]),
            comparable=ui.count(card["comparable_count"]),
        ),
        border=True,
    )
    usage.metric(t("knowhow.practice.usage"), ui.percent(card["usage_rate"]), border=True)
    feedback.metric(
        t("knowhow.practice.feedback"),
        ui.percent(card["feedback_within_window_rate"]),
        border=True,
    )
    rows = knowhow.practice_weekly(current, card_id=card_id)
    if rows.empty:
        st.info(t("no_rows"))
        return
    figure = px.line(
        rows,
        x="week_start",
        y="practice_rate",
        color="team_name",
        markers=True,
        labels={
            "week_start": t("knowhow.col.week"),
            "practice_rate": t("knowhow.col.practice_rate"),
            "team_name": t("knowhow.col.team"),
        },
        title=t("knowhow.practice.chart", title=titles[card_id]),
    )
    figure.update_layout(height=340, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    st.plotly_chart(figure, width="stretch")
    ui.table_of(
        rows,
        [
            ui.Column("week_start", t("knowhow.col.week"), "date"),
            ui.Column("team_name", t("knowhow.col.team")),
            ui.Column(
                [labelled_text("knowhow.regime", v) for v in rows["process_regime"]],
                t("knowhow.col.regime"),
            ),
            ui.Column("team_reps", t("knowhow.col.team_reps"), "count"),
            ui.Column("practicing_reps", t("knowhow.col.practicing_reps"), "count"),
            ui.Column("practice_rate", t("knowhow.col.practice_rate"), "percent"),
            ui.Column("new_rep_practice_rate", t("knowhow.col.new_rep_practice"), "percent"),
            ui.Column("uses_count", t("knowhow.col.uses"), "count"),
            ui.Column("feedback_within_window_rate", t("knowhow.col.feedback_48h"), "percent"),
        ],
        "sop_practice_weekly",
        height=320,
    )


def iteration_tab(snapshot: data.Snapshot) -> None:
    st.subheader(t("knowhow.iteration.title"))
    months = knowhow.iteration_months(snapshot)
    if not months:
        st.info(t("no_rows"))
    else:
        stay_in(MONTH_KEY, months)
        month_labels = {month: ui.month(month) for month in months}
        month = st.selectbox(
            t("knowhow.iteration.month"),
            months,
            format_func=month_labels.__getitem__,
            key=MONTH_KEY,
        )
        rows = knowhow.iteration_list(snapshot, month)
        ui.table_of(
            rows,
            [
                ui.Column("improvement_rank", t("knowhow.col.improvement_rank")),
                ui.Column("title", t("knowhow.col.title")),
                ui.Column(
                    [labelled_text("knowhow.status", v) for v in rows["status"]],
                    t("knowhow.col.status"),
                ),
                ui.Column("feedback_count", t("knowhow.col.feedback_count"), "count"),
                ui.Column("not_fully_count", t("knowhow.col.not_fully"), "count"),
                ui.Column("improvement_share", t("knowhow.col.improvement_share"), "percent"),
                ui.Column("top_reason_text", t("knowhow.col.top_reason")),
                ui.Column("card_id", t("knowhow.col.card")),
            ],
            "sop_iteration_list",
        )

    st.subheader(t("knowhow.retirement.title"))
    rules = knowhow.rules(snapshot)
    if rules is not None:
        st.caption(
            t(
                "knowhow.retirement.rule",
                window=rules["usage_window_days"],
                usage=ui.percent(rules["retirement_max_usage_rate"], 0),
                feedback=rules["retirement_min_feedback"],
                negative=ui.percent(rules["retirement_min_negative_share"], 0),
            )
        )
    candidates = knowhow.retirement_candidates(snapshot)
    if candidates.empty:
        st.info(t("knowhow.retirement.none"))
    else:
        card_table(candidates, "sop_retirement_candidates")


def reuse_tab(current: data.Scope) -> None:
    if ui.rep_only_notice(current):
        return
    st.subheader(t("knowhow.reuse.title"))
    reuse = knowhow.reuse_monthly(current)
    if reuse.empty:
        st.info(t("no_rows"))
    else:
        latest = reuse.iloc[-1]
        st.metric(
            t("knowhow.reuse.latest", month=ui.month(latest["created_month"])),
            ui.percent(latest["reuse_rate"]),
            border=True,
        )
        regimes = [labelled_text("knowhow.regime", v) for v in reuse["process_regime"]]
        figure = px.line(
            reuse.assign(regime=regimes),
            x="created_month",
            y="reuse_rate",
            color="regime",
            markers=True,
            labels={
                "created_month": t("knowhow.col.month"),
                "reuse_rate": t("knowhow.col.reuse_rate"),
                "regime": t("knowhow.col.regime"),
            },
        )
        figure.update_layout(height=300, margin={"l": 0, "r": 0, "t": 10, "b": 0})
        figure.update_yaxes(tickformat=".0%", rangemode="tozero")
        st.plotly_chart(figure, width="stretch")
        ui.table_of(
            reuse,
            [
                ui.Column("created_month", t("knowhow.col.month"), month_column),
                ui.Column(regimes, t("knowhow.col.regime")),
                ui.Column("opportunities_count", t("knowhow.col.opportunities"), "count"),
                ui.Column("eligible_count", t("knowhow.col.eligible"), "count"),
                ui.Column("reused_count", t("knowhow.col.reused"), "count"),
                ui.Column("reuse_rate", t("knowhow.col.reuse_rate"), "percent"),
            ],
            "best_practice_reuse",
            height=300,
        )

    st.subheader(t("knowhow.retention.title"))
    cohorts = knowhow.retention(current)
    if cohorts.empty:
        st.info(t("no_rows"))
        return
    regimes = [labelled_text("knowhow.regime", v) for v in cohorts["process_regime"]]
    figure = px.bar(
        cohorts.assign(regime=regimes),
        x="hire_month",
        y="retention_rate",
        color="regime",
        hover_data={"hired_count": True, "retained_count": True},
        labels={
            "hire_month": t("knowhow.col.hire_month"),
            "retention_rate": t("knowhow.col.retention_rate"),
            "regime": t("knowhow.col.regime"),
            "hired_count": t("knowhow.col.hired"),
            "retained_count": t("knowhow.col.retained"),
        },
    )
    figure.update_layout(height=300, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    st.plotly_chart(figure, width="stretch")
    ui.table_of(
        cohorts,
        [
            ui.Column("hire_month", t("knowhow.col.hire_month"), month_column),
            ui.Column(regimes, t("knowhow.col.regime")),
            ui.Column("hired_count", t("knowhow.col.hired"), "count"),
            ui.Column("retained_count", t("knowhow.col.retained"), "count"),
            ui.Column("retention_rate", t("knowhow.col.retention_rate"), "percent"),
        ],
        "new_rep_retention",
        height=300,
    )


current = scope.current()
st.title(t("knowhow.title"))
st.caption(current.name_path)

if ui.unavailable_marts(current.snapshot, knowhow.MARTS):
    st.stop()

library, recommend, practice, iteration, reuse = st.tabs(
    [
        t("knowhow.tab.library"),
        t("knowhow.tab.recommend"),
        t("knowhow.tab.practice"),
        t("knowhow.tab.iteration"),
        t("knowhow.tab.reuse"),
    ]
)
with library:
    library_tab(current.snapshot)
with recommend:
    recommend_tab(current)
with practice:
    practice_tab(current, knowhow.cards(current.snapshot))
with iteration:
    iteration_tab(current.snapshot)
with reuse:
    reuse_tab(current)

st.caption(t("knowhow.definitions"))
