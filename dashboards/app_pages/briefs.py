"""沟通洞察简报 / Daily brief: the briefs written for a morning, within the chosen scope.

The briefs are files (``$SALESOPS_HOME/briefs/<date>/``, written by the ``daily_brief``
asset or ``salesops brief``); this page only picks and shows them. The scope picker's unit
gives the manager brief; the rep picker offers only the reps under that unit (SPEC §7).
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, scope
from dashboards.i18n import bilingual, language, t

DATE_KEY = "brief_date"
REP_KEY = "brief_rep_id"

current = scope.current()
st.title(t("briefs.title"))
st.caption(current.name_path)

dates = data.brief_dates()
if not dates:
    st.info(bilingual("briefs.none"), icon=":material/hourglass_empty:")
    st.stop()

if st.session_state.get(DATE_KEY) not in dates:
    st.session_state.pop(DATE_KEY, None)
brief_date = st.selectbox(
    t("briefs.date"), dates, format_func=lambda day: day.isoformat(), key=DATE_KEY
)
index = data.brief_index(brief_date) or {"managers": [], "reps": []}
manager = next((m for m in index["managers"] if m["unit_id"] == current.unit_id), None)
under_scope = set(manager["rep_ids"]) if manager else set()
reps = {rep["rep_id"]: rep for rep in index["reps"] if rep["rep_id"] in under_scope}
if current.viewer.is_rep:  # a rep reads their own brief only (SPEC §7)
    manager = None
    reps = {rep["rep_id"]: rep for rep in index["reps"] if rep["rep_id"] == current.viewer.rep_id}


def show(kind: str, subject_id: str) -> None:
    text = data.brief_markdown(brief_date, kind, subject_id, language())
    if text is None:
        st.warning(t("briefs.missing_file", date=brief_date.isoformat()))
    else:
        st.markdown(text)


manager_tab, rep_tab = st.tabs([t("briefs.manager"), t("briefs.rep")])
with manager_tab:
    if manager is None:
        st.info(t("briefs.no_manager"))
    else:
        show("manager", current.unit_id)
with rep_tab:
    if not reps:
        st.info(t("briefs.no_reps"))
    else:
        if st.session_state.get(REP_KEY) not in reps:
            st.session_state.pop(REP_KEY, None)
        rep_id = st.selectbox(
            t("briefs.rep_picker"),
            list(reps),
            format_func=lambda rep: f"{reps[rep]['name']} ({rep})",
            key=REP_KEY,
        )
        show("rep", rep_id)
