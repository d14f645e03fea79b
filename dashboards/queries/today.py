"""今日概览 Today: what needs attention now (``fct_attention_summary`` / ``fct_attention_items``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def attention_summary(scope: data.Scope) -> pd.DataFrame:
    """The chosen unit's count and yuan at stake per kind of item (managers only)."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select item_kind, kind_label_zh, kind_label_en, page, item_count, rep_count, amount_sum
        from marts.fct_attention_summary
        where {condition}
        order by sort_order
        """,
        params,
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def attention_items(scope: data.Scope, item_kind: str | None = None) -> pd.DataFrame:
    """The items at or under the chosen unit (a rep: their own), largest amount first, with
    the rep's and the team's full names."""
    condition, params = data.rep_filter(scope, "items.rep_id", "items.team_id")
    return data.query(
        scope.snapshot,
        f"""
        select
            items.item_kind,
            items.kind_label_zh,
            items.kind_label_en,
            items.page,
            items.sort_order,
            reps.name as rep_name,
            teams.name as team_name,
            items.customer_name,
            items.amount,
            items.measure,
            items.note_zh,
            items.note_en,
            items.item_on
        from marts.fct_attention_items as items
        left join marts.dim_reps as reps
            on reps.rep_id = items.rep_id
        left join marts.dim_org_units as teams
            on teams.unit_id = items.team_id
        where {condition}
            and (?::varchar is null or items.item_kind = ?)
        order by items.sort_order, items.amount desc nulls last, items.item_on desc, items.item_id
        """,
        (*params, item_kind, item_kind),
    )
