"""The scope picker (an org unit, shown by its name path) and the chosen scope for pages."""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.i18n import t

UNIT_KEY = "scope_unit_id"
_SCOPE_KEY = "scope"


def pick(snapshot: data.Snapshot) -> data.Scope | None:
    """Draw the picker in the sidebar and remember the chosen scope for this run's page."""
    units = data.org_units(snapshot)
    if units.empty:
        return None
    names = dict(zip(units["unit_id"], units["name_path"], strict=True))
    if st.session_state.get(UNIT_KEY) not in names:
        # The unit left the org tree in a newer snapshot: fall back to the top unit.
        st.session_state.pop(UNIT_KEY, None)
    unit_id = st.sidebar.selectbox(
        t("scope.label"), list(names), format_func=names.__getitem__, key=UNIT_KEY
    )
    chosen = data.Scope(snapshot, unit_id, names[unit_id])
    st.session_state[_SCOPE_KEY] = chosen
    return chosen


def current() -> data.Scope:
    """The scope the entry point picked in this run; pages pass it to every loader."""
    return st.session_state[_SCOPE_KEY]
