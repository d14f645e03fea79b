"""Loaders of the 效能对比 / Efficiency comparison page (SPEC §5 "Efficiency comparison")."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data

MARTS = ("fct_efficiency_comparison",)


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def comparison(scope: data.Scope) -> pd.DataFrame:
    """The chosen unit's five ``fct_efficiency_comparison`` rows (HQ and regions have them),
    traditional vs structured, in the article's order."""
    condition, params = data.unit_filter(scope)
    return data.query(
        scope.snapshot,
        f"""
        select
            kpi,
            sort_order,
            label_zh,
            label_en,
            unit,
            better_direction,
            traditional_value,
            structured_value,
            traditional_sample,
            structured_sample,
            change_abs,
            change_pct,
            direction,
            is_improvement,
            change_label,
            as_of,
        from marts.fct_efficiency_comparison
        where {condition}
        order by sort_order
        """,
        params,
    )
