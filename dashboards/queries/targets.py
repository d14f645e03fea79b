"""Loaders of the 双轨目标 / Dual track page: the dual-track marts, scoped (SPEC §7).

Every figure is a published mart's: ``fct_dual_track_unit_month`` (the unit's sums and alert
count), ``fct_dual_track_rep_month`` (per rep), ``fct_attainment_rep_month`` (the rep's
attainment), ``fct_dynamic_baseline_contributions`` (the baseline's drivers). Names come
from ``dim_reps`` and ``dim_org_units``. ``month`` is a month's first day; None means the
latest month the scope has.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import data


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def months(scope: data.Scope) -> list[dt.date]:
    """Months with a dual-track row of a rep in the scope, newest first."""
    condition, params = data.rep_filter(scope, "dual.rep_id", "dual.team_id")
    frame = data.query(
        scope.snapshot,
        f"""
        select distinct dual.month_start
        from marts.fct_dual_track_rep_month as dual
        where {condition}
        order by dual.month_start desc
        """,
        params,
    )
    return [pd.Timestamp(value).date() for value in frame["month_start"]]


def _month_or_latest(column: str) -> str:
    """SQL: ``column`` is the given month, or the latest of the mart when none is given."""
    return f"{column} = coalesce(?::date, (select max(month_start) from marts.fct_dual_track_rep_month))"


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def unit_summary(scope: data.Scope, month: dt.date | None = None) -> dict[str, Any] | None:
    """The chosen unit's ``fct_dual_track_unit_month`` row for the month (managers only)."""
    condition, params = data.unit_filter(scope, "unit_id")
    return data.query_one(
        scope.snapshot,
        f"""
        select
            month_start,
            is_period_complete,
            rep_count,
            challenge_rep_count,
            baseline_rep_count,
            coaching_alert_count,
            committed_target_sum,
            challenge_target_sum,
            baseline_sum,
            bookings_sum,
            gap_ratio,
            gap_alert_threshold,
            committed_attainment,
        from marts.fct_dual_track_unit_month
        where {condition} and {_month_or_latest("month_start")}
        """,
        (*params, month),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def rep_rows(scope: data.Scope, month: dt.date | None = None) -> pd.DataFrame:
    """Reps under the unit (a rep: their own row) for the month: the three tracks, gap,
    alert, bookings and attainment, flagged reps first, then by gap ratio."""
    condition, params = data.rep_filter(scope, "dual.rep_id", "dual.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            dual.rep_id,
            coalesce(reps.name, dual.rep_id) as rep_name,
            coalesce(teams.name, dual.team_id) as team_name,
            dual.committed_target,
            dual.challenge_target,
            dual.baseline,
            dual.gap_ratio,
            dual.gap_alert_threshold,
            dual.coaching_alert,
            dual.bookings,
            attainment.attainment,
            dual.baseline_intercept,
            dual.baseline_floor_adjustment,
        from marts.fct_dual_track_rep_month as dual
        left join marts.fct_attainment_rep_month as attainment
            on attainment.rep_id = dual.rep_id
            and attainment.period_start = dual.month_start
        left join marts.dim_reps as reps
            on reps.rep_id = dual.rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = dual.team_id
        where {condition} and {_month_or_latest("dual.month_start")}
        order by dual.coaching_alert desc, dual.gap_ratio desc nulls last, rep_name, dual.rep_id
        """,
        (*params, month),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def child_units(scope: data.Scope, month: dt.date | None = None) -> pd.DataFrame:
    """The chosen unit's direct children (``fct_dual_track_unit_month``) for the month, by
    name; managers only."""
    condition, params = data.subtree_filter(scope, "dual.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            dual.unit_id,
            units.name as unit_name,
            units.level as unit_level,
            dual.rep_count,
            dual.coaching_alert_count,
            dual.committed_target_sum,
            dual.challenge_target_sum,
            dual.baseline_sum,
            dual.bookings_sum,
            dual.gap_ratio,
            dual.committed_attainment,
        from marts.fct_dual_track_unit_month as dual
        inner join marts.dim_org_units as units
            on units.unit_id = dual.unit_id
        where {condition}
            and units.parent_id = ?
            and {_month_or_latest("dual.month_start")}
        order by units.name_path, dual.unit_id
        """,
        (*params, scope.unit_id, month),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def baseline_drivers(
    scope: data.Scope, rep_id: str | None = None, month: dt.date | None = None
) -> pd.DataFrame:
    """One rep's ``fct_dynamic_baseline_contributions`` for the month, largest first (the
    rep must be in the scope)."""
    condition, params = data.rep_filter(scope, "drivers.rep_id", "drivers.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            drivers.driver,
            drivers.driver_value,
            drivers.contribution,
        from marts.fct_dynamic_baseline_contributions as drivers
        where {condition}
            and drivers.rep_id = ?
            and {_month_or_latest("drivers.month_start")}
        order by abs(drivers.contribution) desc, drivers.driver
        """,
        (*params, rep_id, month),
    )
