"""Loaders of the 漏斗与管道 (funnel and pipeline) page: the funnel, the pipeline movement
waterfall, coverage, sales velocity, win rate and the stage-transition matrix.

Every loader reads published marts only, filtered to the scope with :mod:`dashboards.data`'s
SPEC §7 filters; the unit-grained marts give a rep viewer no rows (a rep sees no unit
totals), the per-rep rows of ``fct_pipeline_coverage`` give them their own.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import data

MOVEMENT_STEPS = (
    # (step, count column, amount column, sign in the waterfall)
    ("start", "start_count", "start_amount", 0),
    ("new", "new_count", "new_amount", 1),
    ("pulled_in", "pulled_in_count", "pulled_in_amount", 1),
    ("amount_up", "amount_up_count", "amount_up", 1),
    ("amount_down", "amount_down_count", "amount_down", -1),
    ("pushed_out", "pushed_out_count", "pushed_out_amount", -1),
    ("won", "won_count", "won_amount", -1),
    ("lost", "lost_count", "lost_amount", -1),
    ("owner_in", "owner_in_count", "owner_in_amount", 1),
    ("owner_out", "owner_out_count", "owner_out_amount", -1),
    ("end", "end_count", "end_amount", 0),
)


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def funnel_summary(scope: data.Scope) -> dict[str, Any] | None:
    """The scope's one ``fct_funnel_summary`` row, or None if the unit has none."""
    condition, params = data.unit_filter(scope)
    return data.query_one(
        scope.snapshot,
        f"""
        select
            opportunities_count,
            open_count,
            won_count,
            lost_count,
            win_rate_count,
            signed_count,
            median_lead_to_sign_days,
            avg_lead_to_sign_days,
        from marts.fct_funnel_summary
        where {condition}
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def funnel_stages(scope: data.Scope) -> pd.DataFrame:
    """The scope's ``fct_funnel_stages`` rows (counts), in funnel order."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            stage,
            stage_order,
            reached_count,
            advanced_count,
            conversion_rate,
            median_dwell_days,
            dwell_sample_count,
            open_count,
            lost_count,
        from marts.fct_funnel_stages
        where {condition}
        order by stage_order
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def funnel_stage_amounts(scope: data.Scope) -> pd.DataFrame:
    """The scope's ``fct_funnel_stage_amounts`` rows (the same stages in yuan), in funnel order."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            stage,
            stage_order,
            reached_amount::double as reached_amount,
            advanced_amount::double as advanced_amount,
            amount_conversion_rate,
            open_amount::double as open_amount,
            lost_amount::double as lost_amount,
            reached_without_amount_count,
        from marts.fct_funnel_stage_amounts
        where {condition}
        order by stage_order
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def movement_windows(scope: data.Scope, grain: str = "month") -> pd.DataFrame:
    """The windows (``month`` or ``iso_week``) ``fct_pipeline_movement`` has for the scope,
    newest first: window_start, window_end, start_date, end_date, is_partial."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select window_start, window_end, start_date, end_date, is_partial
        from marts.fct_pipeline_movement
        where {condition} and window_grain = ? and pipeline_view = 'all_open'
        order by window_start desc
        """,
        (*params, grain),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def pipeline_movement(
    scope: data.Scope,
    grain: str = "month",
    window_start: Any = None,
    view: str = "all_open",
) -> dict[str, Any] | None:
    """One ``fct_pipeline_movement`` row: the scope's waterfall for one window (the latest
    when ``window_start`` is None) and one pipeline view (all open, closing this month,
    closing next month); amounts as floats."""
    condition, params = data.unit_filter(scope)
    amounts = ",\n".join(f"{amount}::double as {amount}" for _, _, amount, _ in MOVEMENT_STEPS)
    counts = ",\n".join(count for _, count, _, _ in MOVEMENT_STEPS)
    return data.query_one(
        scope.snapshot,
        f"""
        select
            window_start,
            window_end,
            start_date,
            end_date,
            is_partial,
            close_window_start,
            close_window_end,
            {counts},
            {amounts},
            undated_open_count,
            undated_open_amount::double as undated_open_amount,
        from marts.fct_pipeline_movement
        where {condition}
            and window_grain = ?
            and pipeline_view = ?
            and (?::date is null or window_start = ?::date)
        order by window_start desc
        limit 1
        """,
        (*params, grain, view, window_start, window_start),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def pipeline_coverage(scope: data.Scope) -> pd.DataFrame:
    """``fct_pipeline_coverage`` rows of the month containing as_of and any later month:
    the chosen unit's own row for a manager, the rep's own row for a rep (their committed
    target); per period, the as_of measurement before the period-start one."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            period,
            period_start,
            measurement_point,
            measured_on,
            target_kind,
            target_amount::double as target_amount,
            bookings_to_date::double as bookings_to_date,
            remaining_target::double as remaining_target,
            open_pipeline_count,
            open_pipeline_amount::double as open_pipeline_amount,
            quote_plus_pipeline_amount::double as quote_plus_pipeline_amount,
            weighted_pipeline_amount::double as weighted_pipeline_amount,
            undated_open_count,
            undated_open_amount::double as undated_open_amount,
            coverage,
            coverage_quote_plus,
            coverage_weighted,
        from marts.fct_pipeline_coverage
        where period_start >= date_trunc('month', as_of)
            and (
                (scope_type = 'unit' and {condition})
                or (scope_type = 'rep' and rep_id = ?::varchar)
            )
        order by period, measurement_point = 'period_start'
        """,
        (*params, scope.viewer.rep_id),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def next_month_pipeline(scope: data.Scope) -> dict[str, Any] | None:
    """The open pipeline expected to close next month, as the latest monthly window of
    ``fct_pipeline_movement`` (``close_next_month``) ends: its count and amount."""
    condition, params = data.unit_filter(scope)
    return data.query_one(
        scope.snapshot,
        f"""
        select
            close_window_start,
            end_date,
            end_count,
            end_amount::double as end_amount,
        from marts.fct_pipeline_movement
        where {condition} and window_grain = 'month' and pipeline_view = 'close_next_month'
        order by window_start desc
        limit 1
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def sales_velocity(scope: data.Scope) -> pd.DataFrame:
    """The scope's ``fct_sales_velocity`` rows by month (yuan per day), oldest first."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            month_start,
            is_partial,
            open_qualified_count,
            avg_won_amount,
            win_rate_count,
            avg_cycle_days,
            sales_velocity,
        from marts.fct_sales_velocity
        where {condition}
        order by month_start
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def win_rate_monthly(scope: data.Scope) -> pd.DataFrame:
    """The scope's ``fct_win_rate_monthly`` rows, oldest first: win rate by count and by
    amount, overall and for traditional / structured units."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            month_start,
            is_partial,
            won_count,
            lost_count,
            won_amount::double as won_amount,
            lost_amount::double as lost_amount,
            win_rate_count,
            win_rate_amount,
            traditional_win_rate_count,
            traditional_win_rate_amount,
            structured_win_rate_count,
            structured_win_rate_amount,
        from marts.fct_win_rate_monthly
        where {condition}
        order by month_start
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def stage_transitions(
    scope: data.Scope, grain: str = "month", window_start: Any = None
) -> pd.DataFrame:
    """The scope's ``fct_stage_transitions`` rows of one window (the latest when
    ``window_start`` is None): from stage → to stage with moves, deals and amount."""
    condition, params = data.unit_filter(scope)
    transition_condition, transition_params = data.unit_filter(scope, "transitions.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        with chosen as (
            select max(window_start) as window_start
            from marts.fct_stage_transitions
            where {condition}
                and window_grain = ?
                and (?::date is null or window_start = ?::date)
        )
        select
            transitions.window_start,
            transitions.window_end,
            transitions.from_stage,
            transitions.from_stage_order,
            transitions.to_stage,
            transitions.to_stage_order,
            transitions.transition_kind,
            transitions.move_count,
            transitions.opportunity_count,
            transitions.amount::double as amount,
        from marts.fct_stage_transitions as transitions
        inner join chosen on chosen.window_start = transitions.window_start
        where {transition_condition}
            and transitions.window_grain = ?
        order by transitions.from_stage_order, transitions.to_stage_order
        """,
        (*params, grain, window_start, window_start, *transition_params, grain),
    )
