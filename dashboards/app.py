"""Entry point of the dashboards: ``streamlit run dashboards/app.py``.

A router (``st.navigation``) framed by the sidebar every page shares: the language
switch, the scope picker, the date of the published snapshot the figures come from and
the data sources 数据源 it was built from (which landing tables have rows).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards import data, scope
from dashboards.i18n import LANGUAGE_KEY, LANGUAGES, bilingual, t

PAGES_DIR = Path(__file__).resolve().parent / "app_pages"


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
        st.Page(
            PAGES_DIR / "briefs.py",
            title=t("briefs.title"),
            icon=":material/forum:",
            url_path="briefs",
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
    sources = data.source_availability(snapshot)
    quarantine_warnings = data.ingest_warnings(snapshot)
except data.SnapshotUnreadable as error:
    st.error(bilingual("snapshot.unreadable", detail=error), icon=":material/error:")
    st.stop()

if info is None:
    st.sidebar.warning(t("snapshot.unpublished"))
else:
    as_of = info.as_of.isoformat() if info.as_of is not None else t("value.missing")
    st.sidebar.caption(t("snapshot.as_of", as_of=as_of))
    st.sidebar.caption(
        t("snapshot.published_at", published_at=f"{info.published_at:%Y-%m-%d %H:%M}")
    )

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
