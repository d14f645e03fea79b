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
    "funnel.title": {"zh": "销售漏斗", "en": "Sales funnel"},
    "funnel.no_data": {
        "zh": "该范围在此快照中没有商机。",
        "en": "This scope has no opportunities in this snapshot.",
    },
    "funnel.unavailable": {
        "zh": "销售漏斗不可用：此数据源没有 {tables} 数据（缺少该提取文件），无法计算漏斗。",
        "en": "Sales funnel not available: this source has no {tables} extract.",
    },
    "funnel.degraded": {
        "zh": "此数据源没有 {tables}，漏斗按降级规则计算（无 org_units：只有“全部”一级；无 contracts：签约数为 0、签约周期为空）。",
        "en": (
            "This source has no {tables}; the funnel is computed with fallbacks (no org_units: "
            "a single “All” level; no contracts: nothing signed, no cycle)."
        ),
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
    "kpi.opportunities": {"zh": "商机数", "en": "Opportunities"},
    "kpi.win_rate": {"zh": "赢率（按数量）", "en": "Win rate (by count)"},
    "kpi.win_rate.help": {
        "zh": "赢单数 ÷（赢单数 + 输单数）",
        "en": "won ÷ (won + lost)",
    },
    "kpi.cycle": {"zh": "线索到签约周期（中位数，天）", "en": "Lead-to-sign cycle (median, days)"},
    "kpi.cycle.help": {
        "zh": "从线索创建到合同签约的天数，取已签约商机的中位数；平均 {avg} 天。",
        "en": "Days from lead creation to contract signature, median over signed deals; mean {avg} days.",
    },
    "kpi.signed": {"zh": "签约数", "en": "Signed deals"},
    "funnel.chart.text": {"zh": "转化率 {rate}", "en": "conv. {rate}"},
    "funnel.chart.hover": {
        "zh": "到达 %{x}<br>%{text}",
        "en": "reached %{x}<br>%{text}",
    },
    "col.stage": {"zh": "阶段", "en": "Stage"},
    "col.reached": {"zh": "到达数", "en": "Reached"},
    "col.advanced": {"zh": "推进数", "en": "Advanced"},
    "col.conversion": {"zh": "转化率", "en": "Conversion"},
    "col.median_dwell": {"zh": "停留天数（中位数）", "en": "Median dwell (days)"},
    "col.open": {"zh": "在途", "en": "Open"},
    "col.lost": {"zh": "输单", "en": "Lost"},
    "funnel.definitions": {
        "zh": (
            "到达数：到达该阶段或更后阶段的商机数（跳过的阶段也算到达）；"
            "推进数：到达下一阶段的商机数（合同审批的下一阶段为赢单）；"
            "转化率 = 推进数 ÷ 到达数；停留天数：已结束的停留中，在该阶段停留天数的中位数；"
            "在途：当前处于该阶段的未关闭商机；输单：最远停在该阶段后输单的商机。"
            "线索到签约周期：线索创建到合同签约的天数（已签约商机的中位数）。"
            "口径见 dbt 文档 fct_funnel_stages / fct_funnel_summary。"
        ),
        "en": (
            "Reached: opportunities at this stage or beyond (a skipped stage counts as "
            "reached); advanced: those that reached the next stage (won, after contract "
            "approval); conversion = advanced ÷ reached; dwell: median days spent in the "
            "stage, ended stays only; open: open opportunities now in the stage; lost: lost "
            "with this as their furthest stage. Lead-to-sign: days from lead creation to "
            "contract signature, median over signed deals. Definitions: dbt docs of "
            "fct_funnel_stages / fct_funnel_summary."
        ),
    },
    "value.missing": {"zh": "—", "en": "—"},
    "briefs.title": {"zh": "沟通洞察简报", "en": "Daily brief"},
    "briefs.date": {"zh": "简报日期（晨会日）", "en": "Brief date (morning of)"},
    "briefs.none": {
        "zh": "还没有沟通洞察简报。每天 06:30 自动生成，或在项目目录运行 `salesops brief`。",
        "en": "No daily briefs yet. They are written at 06:30 every day, or run `salesops brief` in the project folder.",
    },
    "briefs.manager": {"zh": "主管简报", "en": "Manager brief"},
    "briefs.rep": {"zh": "销售简报", "en": "Rep briefs"},
    "briefs.rep_picker": {"zh": "销售", "en": "Rep"},
    "briefs.no_manager": {
        "zh": "该范围下没有销售，此日没有主管简报。",
        "en": "No reps under this scope: no manager brief for this day.",
    },
    "briefs.no_reps": {"zh": "该范围下没有销售简报。", "en": "No rep briefs under this scope."},
    "briefs.missing_file": {
        "zh": "简报文件缺失，请重新运行 `salesops brief --date {date}`。",
        "en": "The brief file is missing; run `salesops brief --date {date}` again.",
    },
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
