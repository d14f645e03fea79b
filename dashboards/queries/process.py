"""Loaders of the 过程健康 (process health) page: the 12 process-health metrics per week with
their peer bands and flags, the flags' most similar past cases, MOT compliance and its
violations, visit completeness and the 待激活 reactivation pool.

Which rows a scope shows (``fct_process_health_*`` has team and rep rows only): a team →
the team itself and its reps; a city, region or HQ → the teams under it; a rep viewer →
their own rep rows. Every loader filters with :mod:`dashboards.data`'s SPEC §7 filters.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import data


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def health_subjects(scope: data.Scope) -> pd.DataFrame:
    """Whom the control charts can show (scope_level, unit_id, rep_id, name): the teams under
    a city / region / HQ; a team and its reps; a rep viewer themself. Teams first."""
    teams, team_params = data.subtree_filter(scope, "units.unit_id")
    reps, rep_params = data.rep_filter(scope, "reps.rep_id", "reps.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select 'team' as scope_level, units.unit_id, null::varchar as rep_id, units.name,
            units.name_path as sort_key
        from marts.dim_org_units as units
        where units.level = 'team' and {teams}
        union all
        select 'rep' as scope_level, reps.team_id as unit_id, reps.rep_id, reps.name,
            '~' || reps.name as sort_key
        from marts.dim_reps as reps
        where {reps} and (? = 'team' or ?::varchar is not null)
        order by scope_level desc, sort_key, rep_id
        """,
        (*team_params, *rep_params, scope.level, scope.viewer.rep_id),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def health_weekly(
    scope: data.Scope,
    scope_level: str = "team",
    unit_id: str | None = None,
    rep_id: str | None = None,
) -> pd.DataFrame:
    """One subject's ``fct_process_health_weekly`` rows (a team: ``scope_level='team'`` and its
    unit_id; a rep: ``'rep'`` and its rep_id), all 12 metrics, oldest week first."""
    condition, params = data.rep_filter(scope, "rep_id", "unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            week_start,
            metric_id,
            metric_code,
            metric_name_zh,
            metric_name_en,
            metric_unit,
            higher_is_better,
            metric_value,
            peer_count,
            peer_median,
            peer_sigma,
            z_score,
            is_flagged,
            flag_direction,
        from marts.fct_process_health_weekly
        where {condition}
            and scope_level = ?
            and (case when ? = 'rep' then rep_id = ? else unit_id = ? and rep_id is null end)
        order by week_start, metric_id
        """,
        (*params, scope_level, scope_level, rep_id, unit_id),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def health_flags(scope: data.Scope, weeks: int = 4) -> pd.DataFrame:
    """``fct_process_health_flags`` rows in scope of the last ``weeks`` weeks up to the latest
    flagged week, newest first, with full names and the most similar past case: its team's
    name only when that team is within the viewer's own unit (SPEC §7; the similar rep is
    never named), else empty."""
    condition, params = data.rep_filter(scope, "flags.rep_id", "flags.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        with metrics as (
            select metric_code, name_zh, name_en, unit, higher_is_better
            from seeds.health_metrics
        ),
        scoped as (
            select flags.*
            from marts.fct_process_health_flags as flags
            where {condition}
        )
        select
            scoped.week_start,
            scoped.scope_level,
            scoped.unit_id,
            units.name as unit_name,
            scoped.rep_id,
            reps.name as rep_name,
            scoped.metric_code,
            metrics.name_zh as metric_name_zh,
            metrics.name_en as metric_name_en,
            metrics.unit as metric_unit,
            scoped.metric_value,
            scoped.peer_median,
            scoped.z_score,
            scoped.flag_direction,
            scoped.recovered,
            scoped.recovery_week_start,
            scoped.sop_card_titles,
            similar_units.name as similar_unit_name,
            scoped.similar_week_start,
            scoped.similar_metric_value,
            scoped.similar_sop_card_titles,
            scoped.similar_recovered,
        from scoped
        left join metrics on metrics.metric_code = scoped.metric_code
        left join marts.dim_org_units as units on units.unit_id = scoped.unit_id
        left join marts.dim_reps as reps on reps.rep_id = scoped.rep_id
        left join marts.dim_org_units as similar_units
            on similar_units.unit_id = scoped.similar_unit_id
            and similar_units.unit_id in (
                select descendant_id from marts.dim_org_unit_closure where ancestor_id = ?
            )
        where scoped.week_start > (select max(week_start) from scoped) - to_weeks(?::integer)
        order by scoped.week_start desc, abs(scoped.z_score) desc, units.name, reps.name
        """,
        (*params, scope.viewer.unit_id, weeks),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def mot_compliance_weekly(scope: data.Scope) -> pd.DataFrame:
    """MOT compliance per week, oldest first: the chosen unit's row
    (``fct_mot_compliance_unit_weekly``) for a manager, the rep's own
    (``fct_mot_compliance_rep_weekly``) for a rep."""
    units, unit_params = data.unit_filter(scope)
    reps, rep_params = data.rep_filter(scope, "rep_id", "team_id")
    return data.query(
        scope.snapshot,
        f"""
        select week_start, quote_entries, compliant_entries, violation_entries,
            mot_compliance_rate
        from marts.fct_mot_compliance_unit_weekly
        where {units}
        union all
        select week_start, quote_entries, compliant_entries, violation_entries,
            mot_compliance_rate
        from marts.fct_mot_compliance_rep_weekly
        where {reps} and ?::varchar is not null
        order by week_start
        """,
        (*unit_params, *rep_params, scope.viewer.rep_id),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def mot_compliance_children(scope: data.Scope, week_start: Any = None) -> pd.DataFrame:
    """One week's MOT compliance of what lies under the chosen unit: its reps
    (``fct_mot_compliance_rep_weekly``) for a team, its teams
    (``fct_mot_compliance_team_weekly``) otherwise; a rep gets their own row."""
    teams, team_params = data.subtree_filter(scope, "compliance.unit_id")
    reps, rep_params = data.rep_filter(scope, "compliance.rep_id", "compliance.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select units.name, compliance.quote_entries, compliance.compliant_entries,
            compliance.violation_entries, compliance.mot_compliance_rate
        from marts.fct_mot_compliance_team_weekly as compliance
        inner join marts.dim_org_units as units on units.unit_id = compliance.unit_id
        where {teams} and ? <> 'team' and compliance.week_start = ?::date
        union all
        select reps.name, compliance.quote_entries, compliance.compliant_entries,
            compliance.violation_entries, compliance.mot_compliance_rate
        from marts.fct_mot_compliance_rep_weekly as compliance
        inner join marts.dim_reps as reps on reps.rep_id = compliance.rep_id
        where {reps} and (? = 'team' or ?::varchar is not null)
            and compliance.week_start = ?::date
        order by mot_compliance_rate, name
        """,
        (
            *team_params,
            scope.level,
            week_start,
            *rep_params,
            scope.level,
            scope.viewer.rep_id,
            week_start,
        ),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def mot_violations(scope: data.Scope, week_start: Any = None) -> pd.DataFrame:
    """``fct_mot_gate_violations`` of one week (entries into quote without all three MOT facts
    recorded before), newest first, with the customer's, rep's and team's full names and the
    missing / late facts in both languages."""
    condition, params = data.rep_filter(scope, "violations.rep_id", "violations.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            violations.entered_at,
            violations.opportunity_id,
            opportunities.customer_name,
            reps.name as rep_name,
            units.name as team_name,
            violations.is_reentry,
            violations.missing_facts_zh,
            violations.late_facts_zh,
            violations.missing_facts_en,
            violations.late_facts_en,
        from marts.fct_mot_gate_violations as violations
        left join marts.dim_opportunities as opportunities
            on opportunities.opportunity_id = violations.opportunity_id
        left join marts.dim_reps as reps on reps.rep_id = violations.rep_id
        left join marts.dim_org_units as units on units.unit_id = violations.team_id
        where {condition} and violations.week_start = ?::date
        order by violations.entered_at desc, violations.opportunity_id
        """,
        (*params, week_start),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def visit_completeness(scope: data.Scope, week_start: Any = None) -> pd.DataFrame:
    """One week's visit completeness: the teams under a city / region / HQ
    (``fct_visit_completeness_team_weekly``); a team's own row and its reps'
    (``fct_visit_completeness_rep_weekly``); a rep's own row. Teams first."""
    teams, team_params = data.subtree_filter(scope, "visits.unit_id")
    reps, rep_params = data.rep_filter(scope, "visits.rep_id", "visits.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select 'team' as scope_level, units.name, visits.visits, visits.complete_visits,
            visits.nodes_recorded, visits.nodes_required, visits.visit_completeness_rate,
            visits.node_completion_rate
        from marts.fct_visit_completeness_team_weekly as visits
        inner join marts.dim_org_units as units on units.unit_id = visits.unit_id
        where {teams} and visits.week_start = ?::date
        union all
        select 'rep' as scope_level, reps.name, visits.visits, visits.complete_visits,
            visits.nodes_recorded, visits.nodes_required, visits.visit_completeness_rate,
            visits.node_completion_rate
        from marts.fct_visit_completeness_rep_weekly as visits
        inner join marts.dim_reps as reps on reps.rep_id = visits.rep_id
        where {reps} and (? = 'team' or ?::varchar is not null)
            and visits.week_start = ?::date
        order by scope_level desc, node_completion_rate, name
        """,
        (*team_params, week_start, *rep_params, scope.level, scope.viewer.rep_id, week_start),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def reactivation_pool(scope: data.Scope) -> pd.DataFrame:
    """The 待激活 pool in scope (``fct_reactivation_pool``): leads whose latest visit has been
    incomplete for more than the threshold, longest waiting first."""
    condition, params = data.rep_filter(scope, "owner_rep_id", "team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            customer_name,
            owner_name,
            team_name,
            days_incomplete,
            nodes_recorded,
            nodes_required,
            missing_nodes_zh,
            missing_nodes_en,
            visit_started_at,
            last_node_at,
            opportunity_status_as_of,
        from marts.fct_reactivation_pool
        where {condition}
        order by days_incomplete desc, customer_name
        """,
        params,
    )
