"""Entry point of the dashboards: ``streamlit run dashboards/app.py``.

A router (``st.navigation``) framed by the sidebar every page shares: the language
switch, the scope picker and the date of the published snapshot the figures come from.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import data, scope
from dashboards.i18n import LANGUAGE_KEY, LANGUAGES, bilingual, t

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(page_title="salesops", page_icon=":material/monitoring:", layout="wide")

st.sidebar.radio(
    t("language.label"),
    options=list(LANGUAGES),
    format_func=LANGUAGES.__getitem__,
    key=LANGUAGE_KEY,
    horizontal=True,
)

page = st.navigation(
    [
        st.Page(
            PAGES_DIR / "funnel.py",
            title=t("funnel.title"),
            icon=":material/filter_alt:",
            url_path="funnel",
        ),
    ]
)

snapshot = data.current_snapshot()
if snapshot is None:
    st.info(bilingual("snapshot.missing"), icon=":material/hourglass_empty:")
    st.stop()

try:
    info = data.publish_info(snapshot)
    chosen = scope.pick(snapshot)
except data.SnapshotUnreadable as error:
    st.error(bilingual("snapshot.unreadable", detail=error), icon=":material/error:")
    st.stop()

if info is None:
    st.sidebar.warning(t("snapshot.unpublished"))
else:
    st.sidebar.caption(t("snapshot.as_of", as_of=info.as_of.isoformat()))
    st.sidebar.caption(
        t("snapshot.published_at", published_at=f"{info.published_at:%Y-%m-%d %H:%M}")
    )

if chosen is None:
    st.warning(t("scope.empty"))
    st.stop()

try:
    page.run()
except data.SnapshotUnreadable as error:
    st.error(bilingual("snapshot.unreadable", detail=error), icon=":material/error:")
