"""预测 Forecast: accuracy per method and lock point, breakdowns, win-probability calibration,
hygiene diagnostics and open deals (SPEC §5 "Forecasting", §6 "Forecast backtest").

Unit-grained marts (backtest, accuracy of units, hygiene) are read for the chosen unit with
:func:`data.unit_filter` (children with :func:`data.subtree_filter`); rep-grained ones
(rep accuracy, hygiene deals, contracts, win probabilities) with :func:`data.rep_filter`.
The win-probability evaluation marts are company-wide and take the snapshot.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data

# the backtest's methods in the order the page shows them
METHODS = ("rep_submission", "pipeline_flat_50", "rules_engine", "ml", "ml_run_rate")
_METHOD_ORDER = "list_position(?, method)"
# deal lists show the largest deals only: HQ has thousands of open deals, more than a reader
# scrolls and slow to turn into an Excel download on every page load
DEALS_LIMIT = 500


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def backtest_summary(scope: data.Scope, tenure_cohort: str = "all") -> pd.DataFrame:
    """The chosen unit's ``fct_forecast_backtest_summary`` rows for one tenure cohort, by
    method then lock day."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            method,
            lock_day,
            months,
            first_period,
            last_period,
            forecast_amount,
            booked_amount,
            mean_accuracy,
            forecast_wape,
            forecast_bias,
            mase,
            seasonal_naive_mase,
        from marts.fct_forecast_backtest_summary
        where {condition}
            and tenure_cohort = ?
        order by {_METHOD_ORDER}, method, lock_day
        """,
        (*params, tenure_cohort, list(METHODS)),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def backtest_monthly(
    scope: data.Scope, lock_day: int = 1, tenure_cohort: str = "all"
) -> pd.DataFrame:
    """The chosen unit's ``fct_forecast_backtest`` rows at one lock day: each method's
    forecast and the bookings per month, oldest month first."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            method,
            period,
            period_start,
            forecast_amount,
            booked_amount,
            forecast_accuracy,
            forecast_wape,
            forecast_bias,
        from marts.fct_forecast_backtest
        where {condition}
            and lock_day = ?
            and tenure_cohort = ?
        order by period_start, {_METHOD_ORDER}, method
        """,
        (*params, lock_day, tenure_cohort, list(METHODS)),
    )


def _accuracy_rows(scope: data.Scope) -> tuple[str, tuple]:
    """The chosen unit's own ``fct_forecast_accuracy`` rows (managers), or a rep's own."""
    units, unit_params = data.unit_filter(scope, "scope_id")
    reps, rep_params = data.rep_filter(scope, "rep_id", "unit_id")
    condition = (
        f"((scope_level <> 'rep' and {units}) "
        f"or (scope_level = 'rep' and ?::varchar is not null and {reps}))"
    )
    return condition, (*unit_params, scope.viewer.rep_id, *rep_params)


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def accuracy_periods(scope: data.Scope) -> pd.DataFrame:
    """Months with a forecast-accuracy row for the chosen unit (a rep: their own), newest
    first, and whether the month is complete."""
    condition, params = _accuracy_rows(scope)
    return data.query(
        scope.snapshot,
        f"""
        select distinct period, is_period_complete
        from marts.fct_forecast_accuracy
        where {condition}
        order by period desc
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def accuracy_by_cohort(scope: data.Scope, period: str | None = None) -> pd.DataFrame:
    """The reps' own forecasts (SPEC §5 accuracy) of the chosen unit in one month (None = the
    latest complete month) per tenure cohort and lock day; a rep gets their own rows."""
    condition, params = _accuracy_rows(scope)
    return data.query(
        scope.snapshot,
        f"""
        with rows as (
            select * from marts.fct_forecast_accuracy where {condition}
        ),
        chosen as (
            select coalesce(?, (select max(period) from rows where is_period_complete)) as period
        )
        select
            rows.period,
            rows.tenure_cohort,
            rows.lock_day,
            rows.lock_date,
            rows.reps_forecasting,
            rows.forecast_amount,
            rows.booked_amount,
            rows.forecast_accuracy,
            rows.forecast_wape,
            rows.forecast_bias,
        from rows
        inner join chosen
            on chosen.period = rows.period
        order by list_position(['all', 'new', 'tenured'], rows.tenure_cohort), rows.lock_day
        """,
        (*params, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def accuracy_by_child(
    scope: data.Scope, period: str | None = None, lock_day: int = 1
) -> pd.DataFrame:
    """Forecast accuracy of the chosen unit's child units in one month (None = the latest
    complete month) at one lock day; under a team, its reps. Managers only."""
    units, unit_params = data.subtree_filter(scope, "accuracy.scope_id")
    reps, rep_params = data.rep_filter(scope, "accuracy.rep_id", "accuracy.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        with chosen as (
            select coalesce(?, (
                select max(period) from marts.fct_forecast_accuracy
                where scope_id = ? and is_period_complete
            )) as period
        )
        select
            accuracy.scope_level,
            accuracy.scope_id,
            coalesce(units.name, reps.name) as name,
            accuracy.tenure_cohort,
            accuracy.reps_forecasting,
            accuracy.forecast_amount,
            accuracy.booked_amount,
            accuracy.forecast_accuracy,
            accuracy.forecast_wape,
            accuracy.forecast_bias,
        from marts.fct_forecast_accuracy as accuracy
        inner join chosen
            on chosen.period = accuracy.period
        left join marts.dim_org_units as units
            on accuracy.scope_level <> 'rep' and units.unit_id = accuracy.scope_id
        left join marts.dim_reps as reps
            on accuracy.scope_level = 'rep' and reps.rep_id = accuracy.rep_id
        where accuracy.lock_day = ?
            and (
                (accuracy.scope_level <> 'rep' and accuracy.tenure_cohort = 'all'
                    and units.parent_id = ? and {units})
                or (accuracy.scope_level = 'rep' and accuracy.unit_id = ?
                    and ?::varchar is null and {reps})
            )
        order by accuracy.forecast_accuracy desc nulls last, name
        """,
        (
            period,
            scope.unit_id,
            lock_day,
            scope.unit_id,
            *unit_params,
            scope.unit_id,
            scope.viewer.rep_id,
            *rep_params,
        ),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def reliability(snapshot: data.Snapshot) -> pd.DataFrame:
    """Company-wide (not scoped: a model evaluation, no unit's figures) reliability curve of
    each probability source over all stages and cohorts, by source and bin."""
    return data.query(
        snapshot,
        """
        select probability_source, probability_bin, bin_lower, bin_upper, scored_rows,
            mean_probability, observed_win_rate
        from marts.fct_win_probability_reliability
        where stage = 'all' and tenure_cohort = 'all'
        order by list_position(['ml', 'rules', 'crm', 'flat'], probability_source),
            probability_source, probability_bin
        """,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def evaluation(snapshot: data.Snapshot) -> pd.DataFrame:
    """Company-wide (not scoped: a model evaluation) Brier score, log loss and calibration
    error of each probability source over all stages and cohorts."""
    return data.query(
        snapshot,
        """
        select probability_source, scored_rows, opportunities, first_scored_on, last_scored_on,
            observed_win_rate, mean_probability, brier_score, log_loss, calibration_error
        from marts.fct_win_probability_evaluation
        where stage = 'all' and tenure_cohort = 'all'
        order by list_position(['ml', 'rules', 'crm', 'flat'], probability_source),
            probability_source
        """,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def hygiene_periods(scope: data.Scope) -> list[str]:
    """Months of the chosen unit's ``fct_forecast_hygiene``, newest first (managers only)."""
    condition, params = data.unit_filter(scope)
    frame = data.query(
        scope.snapshot,
        f"select period from marts.fct_forecast_hygiene where {condition} order by period desc",
        params,
    )
    return frame["period"].tolist()


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def hygiene(scope: data.Scope, period: str | None = None) -> dict | None:
    """The chosen unit's hygiene diagnostics for one month (None = the as-of month)."""
    condition, params = data.unit_filter(scope)
    return data.query_one(
        scope.snapshot,
        f"""
        select
            period,
            is_as_of_month,
            warn_check_count,
            bad_close_date_share,
            close_date_status,
            close_date_finding_zh,
            close_date_finding_en,
            default_probability_share,
            max_distinct_probabilities_per_stage,
            probability_binding_status,
            probability_binding_finding_zh,
            probability_binding_finding_en,
            forecast_over_doc_mean,
            forecast_vs_requirement_doc_status,
            forecast_vs_requirement_doc_finding_zh,
            forecast_vs_requirement_doc_finding_en,
            new_minus_tenured_bias,
            new_rep_bias_status,
            new_rep_bias_finding_zh,
            new_rep_bias_finding_en,
            median_sync_lag_hours,
            misread_high_risk_count,
            finance_sync_status,
            finance_sync_finding_zh,
            finance_sync_finding_en,
        from marts.fct_forecast_hygiene
        where {condition}
            and (period = ? or (?::varchar is null and is_as_of_month))
        """,
        (*params, period, period),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def hygiene_opportunities(scope: data.Scope, limit: int = DEALS_LIMIT) -> pd.DataFrame:
    """Open deals at or under the chosen unit (a rep: their own) with an empty or non-date
    expected close date or a default probability, the ``limit`` largest, with names and
    ``total_count`` (the deals before the limit)."""
    condition, params = data.rep_filter(scope, "deals.owner_rep_id", "deals.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            deals.opportunity_id,
            opportunities.customer_name,
            reps.name as rep_name,
            teams.name as team_name,
            deals.stage,
            deals.amount,
            deals.expected_close_date_raw,
            deals.close_date_class,
            deals.is_bad_close_date,
            deals.crm_probability,
            deals.is_default_probability,
            deals.forecast_amount,
            deals.requirement_doc_amount,
            deals.forecast_over_doc,
            count(*) over () as total_count,
        from marts.fct_forecast_hygiene_opportunities as deals
        left join marts.dim_opportunities as opportunities
            on opportunities.opportunity_id = deals.opportunity_id
        left join marts.dim_reps as reps
            on reps.rep_id = deals.owner_rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = deals.team_id
        where {condition}
            and (deals.is_bad_close_date or deals.is_default_probability)
        order by deals.amount desc nulls last, deals.opportunity_id
        limit ?
        """,
        (*params, limit),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def misread_contracts(scope: data.Scope) -> pd.DataFrame:
    """Signed contracts the naive rule calls high-risk although finance has received payment
    not yet synced to the CRM (``is_misread_high_risk``), at or under the chosen unit (a
    rep: their own), largest first."""
    condition, params = data.rep_filter(scope, "contracts.owner_rep_id", "contracts.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            contracts.contract_id,
            opportunities.customer_name,
            reps.name as rep_name,
            teams.name as team_name,
            contracts.signed_on,
            contracts.contract_amount,
            contracts.finance_paid_amount,
            contracts.crm_paid_amount,
            contracts.paid_not_in_crm_amount,
            contracts.days_since_signed,
        from marts.fct_finance_contracts_reconciled as contracts
        left join marts.dim_opportunities as opportunities
            on opportunities.opportunity_id = contracts.opportunity_id
        left join marts.dim_reps as reps
            on reps.rep_id = contracts.owner_rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = contracts.team_id
        where {condition}
            and contracts.is_misread_high_risk
        order by contracts.contract_amount desc nulls last, contracts.contract_id
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def open_deal_probabilities(scope: data.Scope, limit: int = DEALS_LIMIT) -> pd.DataFrame:
    """Open deals at or under the chosen unit (a rep: their own) scored on the as-of date,
    the ``limit`` largest: calibrated win probability beside the rules engine's and the CRM's,
    and ``total_count`` (the deals before the limit)."""
    condition, params = data.rep_filter(scope, "scores.owner_rep_id", "scores.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            scores.opportunity_id,
            opportunities.customer_name,
            reps.name as rep_name,
            teams.name as team_name,
            scores.stage,
            scores.amount,
            scores.win_probability,
            scores.rule_probability,
            scores.crm_probability,
            scores.model_weighted_amount,
            count(*) over () as total_count,
        from marts.fct_win_probabilities as scores
        left join marts.dim_opportunities as opportunities
            on opportunities.opportunity_id = scores.opportunity_id
        left join marts.dim_reps as reps
            on reps.rep_id = scores.owner_rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = scores.team_id
        where {condition}
            and scores.is_as_of
        order by scores.amount desc nulls last, scores.opportunity_id
        limit ?
        """,
        (*params, limit),
    )
