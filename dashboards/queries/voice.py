"""Loaders of the 沟通洞察 / Voice of the customer page (SPEC §5 "Chat signals").

Team keyword marts are team-grained: a manager reads the teams at or under the chosen unit
(``subtree_filter``); a rep reads only their own daily signals (``rep_filter``). Product
requirement mentions are company-wide (for R&D). ``week=None`` means the latest week the
viewer can see.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards import data

MARTS = (
    "fct_team_top_keywords_weekly",
    "fct_team_emerging_terms_weekly",
    "fct_requirement_mentions_weekly",
    "fct_rep_signals_daily",
)


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def weeks(scope: data.Scope) -> pd.DataFrame:
    """ISO weeks (Monday, newest first) with keyword rows in scope: the teams' weekly
    keywords for a manager, the rep's own daily signals for a rep."""
    teams, team_params = data.subtree_filter(scope)
    reps, rep_params = data.rep_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select week_start, bool_or(is_partial_week) as is_partial_week
        from (
            select week_start, is_partial_week
            from marts.fct_team_top_keywords_weekly
            where {teams}
            union all
            select
                date_trunc('week', signal_date)::date as week_start,
                date_trunc('week', signal_date)::date = date_trunc('week', as_of)::date
                    and as_of < date_trunc('week', as_of)::date + 6 as is_partial_week,
            from marts.fct_rep_signals_daily
            where {reps} and ?::varchar is not null
        )
        group by week_start
        order by week_start desc
        """,
        (*team_params, *rep_params, scope.viewer.rep_id),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def top_keywords(scope: data.Scope, week: dt.date | None = None) -> pd.DataFrame:
    """Top-3 keywords of each team at or under the chosen unit in the week."""
    condition, params = data.subtree_filter(scope, "keywords.unit_id")
    latest, latest_params = data.subtree_filter(scope, "latest.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            keywords.unit_id,
            coalesce(units.name, keywords.unit_name, keywords.unit_id) as team_name,
            keywords.keyword_rank,
            keywords.keyword,
            keywords.category,
            keywords.mentions,
            keywords.negated_mentions,
        from marts.fct_team_top_keywords_weekly as keywords
        left join marts.dim_org_units as units on units.unit_id = keywords.unit_id
        where {condition}
            and keywords.week_start = coalesce(
                ?::date,
                (select max(week_start) from marts.fct_team_top_keywords_weekly as latest
                 where {latest})
            )
        order by team_name, keywords.unit_id, keywords.keyword_rank
        """,
        (*params, week, *latest_params),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def emerging_terms(scope: data.Scope, week: dt.date | None = None) -> pd.DataFrame:
    """Terms rising against the previous 4 weeks, per team at or under the chosen unit."""
    condition, params = data.subtree_filter(scope, "terms.unit_id")
    latest, latest_params = data.subtree_filter(scope, "latest.unit_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            terms.unit_id,
            coalesce(units.name, terms.unit_name, terms.unit_id) as team_name,
            terms.term_rank,
            terms.token,
            terms.mentions,
            terms.baseline_mentions,
            terms.emergence_score,
        from marts.fct_team_emerging_terms_weekly as terms
        left join marts.dim_org_units as units on units.unit_id = terms.unit_id
        where {condition}
            and terms.week_start = coalesce(
                ?::date,
                (select max(week_start) from marts.fct_team_emerging_terms_weekly as latest
                 where {latest})
            )
        order by team_name, terms.unit_id, terms.term_rank
        """,
        (*params, week, *latest_params),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def requirement_mentions(snapshot: data.Snapshot, week: dt.date | None = None) -> pd.DataFrame:
    """Company-wide (not scoped, for R&D): product-requirement keywords per product line
    in the week, most mentioned first."""
    return data.query(
        snapshot,
        """
        select product_line, keyword, mentions, opportunities, is_partial_week,
        from marts.fct_requirement_mentions_weekly
        where week_start = coalesce(
            ?::date, (select max(week_start) from marts.fct_requirement_mentions_weekly)
        )
        order by product_line, mentions desc, keyword
        """,
        (week,),
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def rep_signals(scope: data.Scope, week: dt.date | None = None) -> pd.DataFrame:
    """The week's daily keyword signals of the reps under the chosen unit (a rep: their own),
    with rep and team names, most recent and most mentioned first."""
    condition, params = data.rep_filter(scope, "signals.rep_id", "signals.team_id")
    latest, latest_params = data.rep_filter(scope, "latest.rep_id", "latest.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            signals.signal_date,
            signals.rep_id,
            coalesce(reps.name, signals.rep_id) as rep_name,
            coalesce(units.name, signals.team_id) as team_name,
            signals.category,
            signals.negated,
            signals.keywords,
            signals.mentions,
            signals.messages,
            signals.opportunities,
        from marts.fct_rep_signals_daily as signals
        left join marts.dim_reps as reps on reps.rep_id = signals.rep_id
        left join marts.dim_org_units as units on units.unit_id = signals.team_id
        where {condition}
            and date_trunc('week', signals.signal_date)::date = coalesce(
                ?::date,
                (select date_trunc('week', max(latest.signal_date))::date
                 from marts.fct_rep_signals_daily as latest
                 where {latest})
            )
        order by signals.signal_date desc, signals.mentions desc, rep_name, signals.category
        """,
        (*params, week, *latest_params),
    )
