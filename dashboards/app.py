"""Entry point of the dashboards: ``streamlit run dashboards/app.py``.

A router (``st.navigation``, pages in sections, each with its own URL) framed by what every
page shares: the language switch (``?lang=``), sign-in (SPEC §7), the scope picker
(``?unit=``), a header with the snapshot's as-of date and publish time, and the data
sources 数据源 it was built from (which landing tables have rows).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards import auth, data, scope, ui
from dashboards.i18n import LANGUAGE_KEY, LANGUAGES, bilingual, t
from dashboards.navigation import PAGES, PAGES_DIR

HERE = Path(__file__).resolve().parent
FAVICON = HERE / "static" / "favicon.png"
LANGUAGE_PARAM = "lang"


def source_list(tables: pd.DataFrame, heading: str, *, rows: bool) -> str:
    """A heading with the table count, then one line per landing table (Markdown)."""
    lines = [f"**{t(heading, count=len(tables))}**"]
    for table in tables.itertuples():
        line = f"- `{table.table_name}` ({table.source})"
        if rows:
            line += f" · {t('sources.rows', rows=f'{int(table.row_count):,}')}"
        lines.append(line)
    if tables.empty:
        lines.append(f"- {t('sources.none')}")
    return "\n".join(lines)


st.set_page_config(page_title="salesops", page_icon=str(FAVICON), layout="wide")

if LANGUAGE_KEY not in st.session_state and st.query_params.get(LANGUAGE_PARAM) in LANGUAGES:
    st.session_state[LANGUAGE_KEY] = st.query_params[LANGUAGE_PARAM]
st.sidebar.radio(
    t("language.label"),
    options=list(LANGUAGES),
    format_func=LANGUAGES.__getitem__,
    key=LANGUAGE_KEY,
    horizontal=True,
    on_change=lambda: st.query_params.update({LANGUAGE_PARAM: st.session_state[LANGUAGE_KEY]}),
)


def navigation(signed_in: bool) -> st.navigation:
    sections: dict[str, list] = {}
    for index, (section, file, title, icon, url_path) in enumerate(PAGES):
        sections.setdefault(t(section), []).append(
            st.Page(
                PAGES_DIR / file, title=t(title), icon=icon, url_path=url_path, default=index == 0
            )
        )
    return st.navigation(sections, position="sidebar" if signed_in else "hidden")


user = auth.sign_in()
page = navigation(user is not None)
if user is None:
    st.stop()

snapshot = data.current_snapshot()
if snapshot is None:
    st.info(bilingual("snapshot.missing"), icon=":material/hourglass_empty:")
    st.stop()

try:
    info = data.publish_info(snapshot)
    viewer = data.resolve_viewer(
        snapshot, user.username, user.name, user.role, user.unit_id, user.rep_id
    )
    if viewer is None:
        st.error(
            t("auth.unknown_subject", subject=user.unit_id or user.rep_id), icon=":material/lock:"
        )
        st.stop()
    chosen = scope.pick(snapshot, viewer)
    sources = data.source_availability(snapshot)
    quarantine_warnings = data.ingest_warnings(snapshot)
except data.SnapshotUnreadable as error:
    st.error(bilingual("snapshot.unreadable", detail=error), icon=":material/error:")
    st.stop()

st.sidebar.caption(t("auth.signed_in", name=viewer.name))
if info is None:
    st.sidebar.warning(t("snapshot.unpublished"))
else:
    as_of = ui.day(info.as_of) if info.as_of is not None else t("value.missing")
    st.caption(t("header.as_of", as_of=as_of, published_at=ui.stamp(info.published_at)))

for warning in quarantine_warnings.itertuples():
    st.warning(
        t(
            "ingest.warning",
            table=warning.table_name,
            quarantined=int(warning.rows_quarantined),
            read=int(warning.rows_read),
            share=float(warning.quarantined_share),
            threshold=float(warning.warning_share),
            reasons=warning.top_reasons or "—",
        ),
        icon=":material/warning:",
    )

with st.sidebar.expander(t("sources.title"), icon=":material/database:"):
    st.markdown(source_list(sources[sources["is_available"]], "sources.available", rows=True))
    st.markdown(source_list(sources[~sources["is_available"]], "sources.missing", rows=False))

if chosen is None:
    st.warning(t("scope.empty"))
    st.stop()

try:
    page.run()
except data.SnapshotUnreadable as error:
    st.error(bilingual("snapshot.unreadable", detail=error), icon=":material/error:")
