"""Loaders of the 能力沉淀 / Know-how page (SPEC §5 "Capability").

The SOP card scorecard, its iteration list and the retirement rule are company-wide: those
loaders take the :class:`~dashboards.data.Snapshot`. Practice, recommendations, reuse and
retention are per org unit and filtered by the viewer (SPEC §7).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import data

MARTS = (
    "fct_sop_card_performance",
    "fct_sop_recommendations",
    "fct_sop_practice_weekly",
    "fct_sop_card_iteration_monthly",
    "fct_best_practice_reuse_monthly",
    "fct_new_rep_retention",
)

_CARD_COLUMNS = """
    card_id,
    title,
    industry,
    stage,
    source,
    status,
    uses_count,
    recent_users,
    active_reps,
    usage_rate,
    feedback_count,
    negative_feedback_count,
    negative_feedback_share,
    feedback_within_window_rate,
    used_closed_count,
    comparable_count,
    uplift_pp,
    uplift_ci_low_pp,
    uplift_ci_high_pp,
    shrunk_uplift_pp,
    uplift_rank,
    is_retirement_candidate,
"""


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def cards(
    snapshot: data.Snapshot, search: str | None = None, stages: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Company-wide (not scoped): the SOP card library, ``fct_sop_card_performance``. A
    ``search`` matches title, industry or stage code (case-insensitive, anywhere);
    ``stages`` are stage codes whose reader's label matched it. Best uplift rank first,
    then unranked cards by title."""
    pattern = None if not search else f"%{search}%"
    return data.query(
        snapshot,
        f"""
        select {_CARD_COLUMNS}
        from marts.fct_sop_card_performance
        where ?::varchar is null
            or title ilike ?
            or industry ilike ?
            or stage ilike ?
            or list_contains(?::varchar[], stage)
        order by uplift_rank nulls last, title, card_id
        """,
        (pattern, pattern, pattern, pattern, list(stages)),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def retirement_candidates(snapshot: data.Snapshot) -> pd.DataFrame:
    """Company-wide (not scoped): cards the retirement rule flags
    (``fct_sop_card_performance.is_retirement_candidate``), lowest usage first."""
    return data.query(
        snapshot,
        f"""
        select {_CARD_COLUMNS}
        from marts.fct_sop_card_performance
        where is_retirement_candidate
        order by usage_rate, negative_feedback_share desc, card_id
        """,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def rules(snapshot: data.Snapshot) -> dict[str, Any] | None:
    """Company-wide (not scoped): the SOP thresholds (seed ``sop_rules``), or None when the
    snapshot does not carry the seed."""
    try:
        return data.query_one(
            snapshot,
            """
            select
                usage_window_days,
                retirement_max_usage_rate,
                retirement_min_negative_share,
                retirement_min_feedback,
                feedback_window_hours,
                uplift_min_sample,
                new_rep_max_months,
            from seeds.sop_rules
            """,
        )
    except data.SnapshotUnreadable:
        return None


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def iteration_months(snapshot: data.Snapshot) -> list[dt.date]:
    """Company-wide (not scoped): months of the iteration list, newest first."""
    months = data.query(
        snapshot,
        """
        select distinct feedback_month
        from marts.fct_sop_card_iteration_monthly
        order by feedback_month desc
        """,
    )
    return [pd.Timestamp(month).date() for month in months["feedback_month"]]


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def iteration_list(snapshot: data.Snapshot, month: dt.date | None = None) -> pd.DataFrame:
    """Company-wide (not scoped): the month's cards to improve first (top 3)."""
    return data.query(
        snapshot,
        """
        select
            improvement_rank,
            card_id,
            title,
            status,
            feedback_count,
            not_fully_count,
            negative_count,
            improvement_share,
            top_reason_text,
        from marts.fct_sop_card_iteration_monthly
        where feedback_month = coalesce(
            ?::date, (select max(feedback_month) from marts.fct_sop_card_iteration_monthly)
        )
        order by improvement_rank
        """,
        (month,),
    )


def _teams_for_guidance(scope: data.Scope, column: str) -> tuple[str, tuple[Any, ...]]:
    """Teams at or under the chosen unit for a manager; for a rep, their own team (whose id
    the server resolved from ``dim_reps``): recommendations are guidance, not unit totals."""
    subtree, params = data.subtree_filter(scope, column)
    return (
        f"({subtree} or ({column} = ? and ?::varchar is not null))",
        (*params, scope.viewer.unit_id, scope.viewer.rep_id),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def recommendation_options(scope: data.Scope) -> pd.DataFrame:
    """The (team, industry, stage) combinations with recommendations the viewer may see."""
    condition, params = _teams_for_guidance(scope, "recommendations.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select distinct
            recommendations.unit_id,
            coalesce(units.name, recommendations.unit_name) as team_name,
            recommendations.industry,
            recommendations.stage,
        from marts.fct_sop_recommendations as recommendations
        left join marts.dim_org_units as units on units.unit_id = recommendations.unit_id
        where {condition}
        order by team_name, recommendations.unit_id, recommendations.industry
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def recommendations(
    scope: data.Scope,
    team_id: str | None = None,
    industry: str | None = None,
    stage: str | None = None,
) -> pd.DataFrame:
    """The top-3 cards for a team, a customer industry and a current stage (``None``: every
    team / industry / stage the viewer may see), in rank order."""
    condition, params = _teams_for_guidance(scope, "unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            unit_id,
            industry,
            stage,
            recommendation_rank,
            card_id,
            title,
            card_industry,
            uplift_pp,
            shrunk_uplift_pp,
            used_closed_count,
            new_rep_practice_rate,
            top_rep_uplift_pp,
            is_top_new_rep_practice,
            has_top_rep_lift,
            labels_zh,
            week_start,
        from marts.fct_sop_recommendations
        where {condition}
            and (?::varchar is null or unit_id = ?)
            and (?::varchar is null or industry = ?)
            and (?::varchar is null or stage = ?)
        order by unit_id, industry, stage, recommendation_rank
        """,
        (*params, team_id, team_id, industry, industry, stage, stage),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def practice_weekly(scope: data.Scope, card_id: str | None = None, weeks: int = 12) -> pd.DataFrame:
    """Practice rate 练习率 of one card (``None``: every card) per week for each team at or
    under the chosen unit, over the last ``weeks`` weeks of the mart."""
    condition, params = data.subtree_filter(scope, "practice.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            practice.week_start,
            practice.unit_id,
            coalesce(units.name, practice.unit_name, practice.unit_id) as team_name,
            practice.card_id,
            practice.process_regime,
            practice.team_reps,
            practice.practicing_reps,
            practice.practice_rate,
            practice.new_reps,
            practice.practicing_new_reps,
            practice.new_rep_practice_rate,
            practice.uses_count,
            practice.feedback_within_window_rate,
        from marts.fct_sop_practice_weekly as practice
        left join marts.dim_org_units as units on units.unit_id = practice.unit_id
        where {condition}
            and (?::varchar is null or practice.card_id = ?)
            and practice.week_start > (
                select max(week_start) from marts.fct_sop_practice_weekly
            ) - 7 * ?::integer
        order by practice.week_start, team_name, practice.unit_id
        """,
        (*params, card_id, card_id, weeks),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def reuse_monthly(scope: data.Scope) -> pd.DataFrame:
    """The chosen unit's best-practice reuse rate per month of opportunity creation."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            created_month,
            process_regime,
            opportunities_count,
            eligible_count,
            reused_count,
            reuse_rate,
        from marts.fct_best_practice_reuse_monthly
        where {condition}
        order by created_month
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def retention(scope: data.Scope) -> pd.DataFrame:
    """The chosen unit's new-rep 3-month retention per hire cohort (month)."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            hire_month,
            process_regime,
            hired_count,
            retained_count,
            retention_rate,
            is_in_comparison_window,
        from marts.fct_new_rep_retention
        where {condition}
        order by hire_month
        """,
        params,
    )
