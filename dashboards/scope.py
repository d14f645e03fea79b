"""The scope picker 查看范围: a unit within the signed-in viewer's own, and the page's scope.

A manager may pick their unit or any unit under it; a rep has one scope, their own. The
choice is kept in the URL (``?unit=…``) so a page can be bookmarked; a unit in the URL that
is not in the viewer's list (another city, a crafted value) is ignored with a note, and the
data layer (:mod:`dashboards.data`) filters by the viewer again in every query.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.i18n import t

UNIT_KEY = "scope_unit_id"
UNIT_PARAM = "unit"
_SCOPE_KEY = "scope"
_DRILL_KEY = "scope_drill_to"


def _sync_url() -> None:
    st.query_params[UNIT_PARAM] = st.session_state[UNIT_KEY]


def pick(snapshot: data.Snapshot, viewer: data.Viewer) -> data.Scope | None:
    """Draw the picker in the sidebar and remember the chosen scope for this run's page."""
    units = data.viewer_units(snapshot, viewer)
    if units.empty:
        return None
    names = dict(zip(units["unit_id"], units["name_path"], strict=True))
    levels = dict(zip(units["unit_id"], units["level"], strict=True))
    drilled = st.session_state.pop(_DRILL_KEY, None)
    if drilled is not None:
        st.query_params[UNIT_PARAM] = drilled
        st.session_state.pop(UNIT_KEY, None)
    requested = st.query_params.get(UNIT_PARAM)
    if requested is not None and requested not in names:
        st.sidebar.warning(t("scope.out_of_scope"))
        del st.query_params[UNIT_PARAM]
    elif requested is not None and UNIT_KEY not in st.session_state:
        st.session_state[UNIT_KEY] = requested
    if st.session_state.get(UNIT_KEY) not in names:
        # the unit left the tree in a newer snapshot, or was never picked: the viewer's own
        st.session_state[UNIT_KEY] = (
            viewer.unit_id if viewer.unit_id in names else next(iter(names))
        )
    unit_id = st.sidebar.selectbox(
        t("scope.label"),
        list(names),
        format_func=names.__getitem__,
        key=UNIT_KEY,
        on_change=_sync_url,
        disabled=len(names) == 1,
    )
    chosen = data.Scope(snapshot, viewer, unit_id, names[unit_id], levels[unit_id])
    st.session_state[_SCOPE_KEY] = chosen
    return chosen


def drill_to(unit_id: str) -> None:
    """Make ``unit_id`` the scope (a click on a child unit) and rerun; the picker checks it
    against the viewer's units like any URL value."""
    st.session_state[_DRILL_KEY] = unit_id
    st.rerun()


def current() -> data.Scope:
    """The scope the entry point picked in this run; pages pass it to every loader."""
    return st.session_state[_SCOPE_KEY]
