"""丢单归因 Loss attribution: stated vs evidence-based loss reasons (SPEC §5 "Loss attribution").

Month-level figures come from the unit-grained ``fct_loss_reason_mix_monthly`` and
``fct_loss_reason_traceability`` (one row per unit and month lost); the deal list and its
evidence from the rep-grained ``fct_lost_opportunity_reasons`` and
``fct_loss_reason_evidence``. A month range sums the marts' counts, as their documentation
says a longer period is read, and divides the sums: the shares of a range are the shares of
all the range's lost deals, not an average of monthly shares.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards import data

# the reason labels as the mix mart carries them (seed codes and any unlisted stated code)
_LABELS = """
    select distinct reason_code, label_zh, label_en, sort_order
    from marts.fct_loss_reason_mix_monthly
"""
# the deal list shows the latest deals only: a region's year is thousands of rows, more than
# a reader scrolls and slow to turn into an Excel download on every page load
DEALS_LIMIT = 1000
_IN_RANGE = "(?::date is null or {column} >= ?::date) and (?::date is null or {column} <= ?::date)"


def _range(first_month: dt.date | None, last_month: dt.date | None) -> tuple:
    return (first_month, first_month, last_month, last_month)


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def lost_months(scope: data.Scope) -> list[dt.date]:
    """Months with a lost deal at or under the chosen unit (a rep: their own), oldest first."""
    condition, params = data.rep_filter(scope, "owner_rep_id", "team_id")
    frame = data.query(
        scope.snapshot,
        f"""
        select distinct lost_month
        from marts.fct_lost_opportunity_reasons
        where {condition}
        order by lost_month
        """,
        params,
    )
    return [pd.Timestamp(month).date() for month in frame["lost_month"]]


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def reason_mix(
    scope: data.Scope, first_month: dt.date | None = None, last_month: dt.date | None = None
) -> pd.DataFrame:
    """Stated vs evidence-based share per reason for the chosen unit over the month range
    (None = from the first / to the last month), in the reasons' display order;
    ``share_gap`` = evidence − stated share."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            reason_code,
            label_zh,
            label_en,
            sort_order,
            sum(stated_count) as stated_count,
            sum(stated_total) as stated_total,
            sum(evidence_count) as evidence_count,
            sum(evidence_total) as evidence_total,
            sum(stated_count) / nullif(sum(stated_total), 0) as stated_share,
            sum(evidence_count) / nullif(sum(evidence_total), 0) as evidence_share,
            sum(evidence_count) / nullif(sum(evidence_total), 0)
                - sum(stated_count) / nullif(sum(stated_total), 0) as share_gap,
        from marts.fct_loss_reason_mix_monthly
        where {condition}
            and {_IN_RANGE.format(column="lost_month")}
        group by reason_code, label_zh, label_en, sort_order
        order by sort_order, reason_code
        """,
        (*params, *_range(first_month, last_month)),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def traceability_by_regime(
    scope: data.Scope, first_month: dt.date | None = None, last_month: dt.date | None = None
) -> pd.DataFrame:
    """Loss-reason traceability of the chosen unit over the month range, per process regime
    (traditional first): lost, traceable, with reason code, with evidence and their rates."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            process_regime,
            sum(lost_count) as lost_count,
            sum(traceable_count) as traceable_count,
            sum(traceable_count) / sum(lost_count) as traceability_rate,
            sum(with_reason_code_count) / sum(lost_count) as reason_code_rate,
            sum(with_evidence_count) / sum(lost_count) as evidence_rate,
        from marts.fct_loss_reason_traceability
        where {condition}
            and {_IN_RANGE.format(column="lost_month")}
        group by process_regime
        order by process_regime = 'structured', process_regime
        """,
        (*params, *_range(first_month, last_month)),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def traceability_monthly(
    scope: data.Scope, first_month: dt.date | None = None, last_month: dt.date | None = None
) -> pd.DataFrame:
    """The chosen unit's ``fct_loss_reason_traceability`` rows in the range, by month and
    regime."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            lost_month,
            process_regime,
            lost_count,
            with_reason_code_count,
            with_evidence_count,
            traceable_count,
            traceability_rate,
            reason_code_rate,
            evidence_rate,
        from marts.fct_loss_reason_traceability
        where {condition}
            and {_IN_RANGE.format(column="lost_month")}
        order by lost_month, process_regime = 'structured'
        """,
        (*params, *_range(first_month, last_month)),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def lost_deals(
    scope: data.Scope,
    first_month: dt.date | None = None,
    last_month: dt.date | None = None,
    view: str = "all",
    limit: int = DEALS_LIMIT,
) -> pd.DataFrame:
    """Deals lost in the range at or under the chosen unit (a rep: their own), latest first,
    at most ``limit``, with customer, rep and team names, amount, stated and evidence reasons
    (labels) and ``total_count``, the deals before the limit. ``view``: all, mismatch (stated
    ≠ evidence-based) or untraceable."""
    condition, params = data.rep_filter(scope, "lost.owner_rep_id", "lost.team_id")
    return data.query(
        scope.snapshot,
        f"""
        with labels as ({_LABELS})
        select
            lost.opportunity_id,
            lost.lost_at,
            opportunities.customer_name,
            reps.name as rep_name,
            teams.name as team_name,
            opportunities.amount,
            lost.stated_reason_code,
            stated.label_zh as stated_label_zh,
            stated.label_en as stated_label_en,
            lost.stated_reason_text,
            lost.evidence_reason_code,
            evidence.label_zh as evidence_label_zh,
            evidence.label_en as evidence_label_en,
            lost.evidence_count,
            lost.is_traceable,
            lost.stated_matches_evidence,
            count(*) over () as total_count,
        from marts.fct_lost_opportunity_reasons as lost
        left join marts.dim_opportunities as opportunities
            on opportunities.opportunity_id = lost.opportunity_id
        left join marts.dim_reps as reps
            on reps.rep_id = lost.owner_rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = lost.team_id
        left join labels as stated
            on stated.reason_code = lost.stated_reason_code
        left join labels as evidence
            on evidence.reason_code = lost.evidence_reason_code
        where {condition}
            and {_IN_RANGE.format(column="lost.lost_month")}
            and (
                ? = 'all'
                or (? = 'mismatch' and not lost.stated_matches_evidence)
                or (? = 'untraceable' and not lost.is_traceable)
            )
        order by lost.lost_at desc, lost.opportunity_id
        limit ?
        """,
        (*params, *_range(first_month, last_month), view, view, view, limit),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def deal_evidence(scope: data.Scope, opportunity_id: str | None = None) -> pd.DataFrame:
    """The evidence records of one lost deal (none unless the deal is in the viewer's scope),
    latest first, with the reason each points to."""
    condition, params = data.rep_filter(scope, "lost.owner_rep_id", "lost.team_id")
    return data.query(
        scope.snapshot,
        f"""
        with labels as ({_LABELS})
        select
            evidence.evidence_at,
            evidence.source_kind,
            evidence.evidence_text,
            evidence.matched_terms,
            evidence.loss_reason,
            labels.label_zh,
            labels.label_en,
            evidence.weight,
            evidence.supports_stated_reason,
            evidence.supports_evidence_reason,
        from marts.fct_loss_reason_evidence as evidence
        inner join marts.fct_lost_opportunity_reasons as lost
            on lost.opportunity_id = evidence.opportunity_id
        left join labels
            on labels.reason_code = evidence.loss_reason
        where evidence.opportunity_id = ?
            and {condition}
        order by evidence.evidence_at desc, evidence.source_record_id, evidence.loss_reason
        """,
        (opportunity_id, *params),
    )
