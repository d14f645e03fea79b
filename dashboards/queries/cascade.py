"""Loaders of the 目标承接 / Target cascade page, scoped (SPEC §7).

Marts: ``fct_target_cascade`` (the chosen unit's level steps and 承接率),
``fct_target_cascade_gaps`` (each unit's un-cascaded gap to its direct children),
``fct_target_deviation_unit_month`` (average deviation and volatility),
``fct_calibration_timeliness`` (目标校准及时率, month grain), ``fct_deviation_events``
(rep-weeks), ``fct_behaviour_points_ledger`` and ``fct_deviation_reasons_weekly``. Names
come from ``dim_reps`` and ``dim_org_units``. ``period`` is a month ``YYYY-MM``; None means
the latest month the mart has.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import data

TREND_MONTHS = 12


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def periods(scope: data.Scope) -> list[str]:
    """Months ``YYYY-MM`` with a cascade row of the chosen unit or a committed target of a
    rep in the scope, newest first."""
    unit_condition, unit_params = data.unit_filter(scope, "cascade.unit_id")
    rep_condition, rep_params = data.rep_filter(scope, "reps.rep_id", "reps.team_id")
    frame = data.query(
        scope.snapshot,
        f"""
        select cascade.period
        from marts.fct_target_cascade as cascade
        where {unit_condition}
        union
        select reps.period
        from marts.fct_attainment_rep_month as reps
        where {rep_condition}
        order by period desc
        """,
        (*unit_params, *rep_params),
    )
    return frame["period"].tolist()


def _period_or_latest(column: str, mart: str) -> str:
    return f"{column} = coalesce(?::varchar, (select max(period) from marts.{mart}))"


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def cascade(scope: data.Scope, period: str | None = None) -> dict[str, Any] | None:
    """The chosen unit's ``fct_target_cascade`` row for the month (managers only)."""
    condition, params = data.unit_filter(scope, "unit_id")
    return data.query_one(
        scope.snapshot,
        f"""
        select
            unit_level,
            unit_target,
            region_target_sum,
            city_target_sum,
            team_target_sum,
            rep_committed_sum,
            rep_target_count,
            uncascaded_gap_yuan,
            region_over_hq,
            city_over_region,
            team_over_city,
            rep_over_team,
            rep_over_city,
            has_team_step,
            end_to_end_rate,
        from marts.fct_target_cascade
        where {condition} and {_period_or_latest("period", "fct_target_cascade")}
        """,
        (*params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def cascade_gaps(scope: data.Scope, period: str | None = None) -> pd.DataFrame:
    """``fct_target_cascade_gaps`` of the chosen unit and every unit under it with a target
    that month, in tree order (managers only)."""
    condition, params = data.subtree_filter(scope, "gaps.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            gaps.unit_id,
            coalesce(units.name_path, gaps.unit_name, gaps.unit_id) as unit_path,
            gaps.unit_level,
            gaps.child_level,
            gaps.child_count,
            gaps.unit_target,
            gaps.children_target_sum,
            gaps.uncascaded_gap_yuan,
            gaps.cascade_ratio,
        from marts.fct_target_cascade_gaps as gaps
        left join marts.dim_org_units as units
            on units.unit_id = gaps.unit_id
        where {condition} and {_period_or_latest("gaps.period", "fct_target_cascade_gaps")}
        order by unit_path, gaps.unit_id
        """,
        (*params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def deviation(scope: data.Scope, period: str | None = None) -> dict[str, Any] | None:
    """The chosen unit's ``fct_target_deviation_unit_month`` row (managers only)."""
    condition, params = data.unit_filter(scope, "unit_id")
    return data.query_one(
        scope.snapshot,
        f"""
        select
            rep_count,
            volatility_rep_count,
            avg_target_deviation_rate,
            avg_attainment,
            avg_attainment_volatility_pp,
        from marts.fct_target_deviation_unit_month
        where {condition} and {_period_or_latest("period", "fct_target_deviation_unit_month")}
        """,
        (*params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def timeliness(scope: data.Scope, period: str | None = None) -> dict[str, Any] | None:
    """The chosen unit's month row of ``fct_calibration_timeliness`` (managers only)."""
    condition, params = data.unit_filter(scope, "unit_id")
    return data.query_one(
        scope.snapshot,
        f"""
        select
            deviation_event_count,
            decided_event_count,
            calibrated_event_count,
            pending_event_count,
            calibration_timeliness_rate,
        from marts.fct_calibration_timeliness
        where {condition}
            and time_grain = 'month'
            and strftime(period_start, '%Y-%m') = coalesce(
                ?::varchar,
                (select strftime(max(period_start), '%Y-%m') from marts.fct_calibration_timeliness)
            )
        """,
        (*params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def trend(scope: data.Scope, period: str | None = None) -> pd.DataFrame:
    """The chosen unit's average deviation rate (``fct_target_deviation_unit_month``) and
    calibration timeliness (``fct_calibration_timeliness``, month grain) over the
    ``TREND_MONTHS`` months up to ``period``, oldest first (managers only)."""
    deviation_condition, deviation_params = data.unit_filter(scope, "deviation.unit_id")
    timely_condition, timely_params = data.unit_filter(scope, "timely.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        with
        deviation as (
            select deviation.period_start, deviation.avg_target_deviation_rate
            from marts.fct_target_deviation_unit_month as deviation
            where {deviation_condition}
        ),
        timely as (
            select timely.period_start, timely.calibration_timeliness_rate
            from marts.fct_calibration_timeliness as timely
            where {timely_condition} and timely.time_grain = 'month'
        ),
        last_month as (
            select coalesce(
                strptime(?::varchar || '-01', '%Y-%m-%d')::date,
                (select max(period_start) from deviation)
            ) as period_start
        )
        select
            coalesce(deviation.period_start, timely.period_start) as period_start,
            deviation.avg_target_deviation_rate,
            timely.calibration_timeliness_rate,
        from deviation
        full outer join timely
            on timely.period_start = deviation.period_start
        cross join last_month
        where coalesce(deviation.period_start, timely.period_start) <= last_month.period_start
            and coalesce(deviation.period_start, timely.period_start)
                > last_month.period_start - to_months({TREND_MONTHS})
        order by period_start
        """,
        (*deviation_params, *timely_params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def deviation_events(scope: data.Scope, period: str | None = None) -> pd.DataFrame:
    """``fct_deviation_events`` of the month for the reps in the scope (a rep: their own),
    newest week first, then by deviation."""
    condition, params = data.rep_filter(scope, "events.rep_id", "events.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            events.week_start,
            coalesce(reps.name, events.rep_id) as rep_name,
            coalesce(teams.name, events.team_id) as team_name,
            events.committed_target,
            events.forecast_amount,
            events.forecast_deviation_rate,
            events.first_response_at,
            events.first_response_kind,
            events.is_calibrated_in_time,
        from marts.fct_deviation_events as events
        left join marts.dim_reps as reps
            on reps.rep_id = events.rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = events.team_id
        where {condition} and {_period_or_latest("events.period", "fct_deviation_events")}
        order by events.week_start desc, events.forecast_deviation_rate desc, rep_name
        """,
        (*params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def points_ledger(scope: data.Scope, period: str | None = None) -> pd.DataFrame:
    """``fct_behaviour_points_ledger`` entries dated in the month for the reps in the scope
    (a rep: their own), newest first, with each rep's balance after the entry."""
    condition, params = data.rep_filter(scope, "ledger.rep_id", "ledger.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            ledger.event_on,
            coalesce(reps.name, ledger.rep_id) as rep_name,
            coalesce(teams.name, ledger.team_id) as team_name,
            ledger.rule_id,
            ledger.rule_kind,
            ledger.points,
            ledger.balance_after,
            ledger.evidence,
        from marts.fct_behaviour_points_ledger as ledger
        left join marts.dim_reps as reps
            on reps.rep_id = ledger.rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = ledger.team_id
        where {condition}
            and strftime(ledger.event_on, '%Y-%m') = coalesce(
                ?::varchar,
                (select strftime(max(event_on), '%Y-%m') from marts.fct_behaviour_points_ledger)
            )
        order by ledger.event_at desc, rep_name, ledger.rule_id
        """,
        (*params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def deviation_reasons(scope: data.Scope, period: str | None = None) -> pd.DataFrame:
    """The chosen unit's ``fct_deviation_reasons_weekly`` rows with reports, for the weeks
    starting in the month, by week then rank (managers only)."""
    condition, params = data.unit_filter(scope, "unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            week_start,
            reason_type,
            label_zh,
            label_en,
            report_count,
            report_share,
            reason_rank,
            is_most_frequent,
        from marts.fct_deviation_reasons_weekly
        where {condition}
            and report_count > 0
            and strftime(week_start, '%Y-%m') = coalesce(
                ?::varchar,
                (select strftime(max(week_start), '%Y-%m') from marts.fct_deviation_reasons_weekly)
            )
        order by week_start, reason_rank, reason_type
        """,
        (*params, period),
    )
