"""User-facing text in Chinese and English; the sidebar switch picks one (default Chinese).

The frame's texts are below; each page's are in ``dashboards/texts/<page>.yaml``
(``key: {zh: …, en: …}``), merged into :data:`TEXTS` at import. A key defined twice is an
error, so two pages cannot silently overwrite each other's words.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import yaml

from salesops.contract import STAGE_LABELS_ZH

LANGUAGES: dict[str, str] = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"
LANGUAGE_KEY = "language"

STAGE_LABELS_EN: dict[str, str] = {
    "lead": "Lead",
    "qualified": "Qualified",
    "quote": "Quote",
    "negotiation": "Negotiation",
    "contract_approval": "Contract approval",
    "won": "Won",
    "lost": "Lost",
}

TEXTS: dict[str, dict[str, str]] = {
    "app.title": {"zh": "销售管理看板", "en": "Sales dashboards"},
    "language.label": {"zh": "语言 / Language", "en": "语言 / Language"},
    "scope.label": {"zh": "查看范围", "en": "Scope"},
    "scope.empty": {
        "zh": "快照中没有组织单元（marts.dim_org_units 为空）。",
        "en": "The snapshot has no org units (marts.dim_org_units is empty).",
    },
    "snapshot.as_of": {"zh": "数据截至：{as_of}", "en": "Data as of: {as_of}"},
    "snapshot.published_at": {"zh": "发布时间：{published_at}", "en": "Published: {published_at}"},
    "snapshot.unpublished": {
        "zh": "快照缺少发布信息（main.publish_info）。",
        "en": "The snapshot has no publish record (main.publish_info).",
    },
    "snapshot.missing": {
        "zh": "还没有已发布的数据快照。请在项目目录运行 `make run`，完成后刷新本页。",
        "en": "No published data snapshot yet. Run `make run` in the project folder, then reload this page.",
    },
    "snapshot.unreadable": {
        "zh": "数据快照不完整，无法读取：{detail}。请重新运行 `make run`。",
        "en": "The data snapshot is incomplete and cannot be read: {detail}. Run `make run` again.",
    },
    "ingest.warning": {
        "zh": "{table}：{quarantined:,} / {read:,} 行被隔离（{share:.1%}，超过 {threshold:.0%}），这些行不在任何看板中。原因：{reasons}",
        "en": "{table}: {quarantined:,} of {read:,} rows quarantined ({share:.1%}, above {threshold:.0%}); they are in no dashboard. Reasons: {reasons}",
    },
    "sources.title": {"zh": "数据源", "en": "Data sources"},
    "sources.available": {"zh": "有数据（{count}）", "en": "Available ({count})"},
    "sources.missing": {"zh": "无数据（{count}）", "en": "Missing ({count})"},
    "sources.rows": {"zh": "{rows} 行", "en": "{rows} rows"},
    "sources.none": {"zh": "无", "en": "none"},
    "value.missing": {"zh": "—", "en": "—"},
}


TEXTS_DIR = Path(__file__).resolve().parent / "texts"


def _page_texts() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(TEXTS_DIR.glob("*.yaml")):
        for key, texts in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in merged or key in TEXTS:
                raise ValueError(f"{path.name}: text key {key!r} is defined twice")
            merged[key] = {lang: str(text) for lang, text in texts.items()}
    return merged


TEXTS.update(_page_texts())


def language() -> str:
    return st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)


def t(key: str, **values: object) -> str:
    """The text for ``key`` in the chosen language, with ``{placeholders}`` filled in."""
    text = TEXTS[key][language()]
    return text.format(**values) if values else text


def bilingual(key: str, **values: object) -> str:
    """Both languages, Chinese first: for messages shown before a language can matter."""
    return "\n\n".join(TEXTS[key][lang].format(**values) for lang in LANGUAGES)


def stage_label(stage: str) -> str:
    labels = STAGE_LABELS_ZH if language() == "zh" else STAGE_LABELS_EN
    return labels.get(stage, stage)
