"""The brief as Markdown (what the dashboards show) and as a phone-friendly HTML page.

One language per file. Every risk line names the customer, the amount in ¥, the stage, the
expected close date and the suggested SOP card; risks are ranked by amount at risk and the
footer says how. A manager brief lists the top risks first and every risk at the end of the
same file, one link away (an anchor: it works in a browser and on the dashboard's page).
HTML pages are one column of cards and lists (no tables), base font 16px, with a viewport
meta tag, inline CSS and no scripts or external resources.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from urllib.parse import quote

from salesops.briefs.files import LANGUAGES, brief_file
from salesops.briefs.model import (
    Brief,
    ManagerBrief,
    OpportunityNote,
    RepBrief,
    Risk,
    Signal,
)
from salesops.contract import STAGE_LABELS_EN, STAGE_LABELS_ZH

CATEGORY_LABELS = {
    "zh": {
        "budget": "预算",
        "tender": "招标",
        "approval": "审批",
        "price": "价格",
        "competitor": "竞品",
        "it_fit": "系统适配",
        "requirement": "需求",
        "risk": "风险",
    },
    "en": {
        "budget": "Budget",
        "tender": "Tender",
        "approval": "Approval",
        "price": "Price",
        "competitor": "Competitor",
        "it_fit": "IT fit",
        "requirement": "Requirement",
        "risk": "Risk",
    },
}
STAGE_LABELS = {"zh": STAGE_LABELS_ZH, "en": STAGE_LABELS_EN}
LEVEL_LABELS = {
    "zh": {"hq": "总部", "region": "大区", "city": "城市", "team": "团队"},
    "en": {"hq": "HQ", "region": "Region", "city": "City", "team": "Team"},
}
TEXTS = {
    "zh": {
        "title": "沟通洞察简报",
        "rep": "销售",
        "manager": "主管",
        "covers": "对话日期：{day} · 数据截至：{as_of}",
        "stale": "⚠ 数据快照截至 {as_of}，早于对话日期 {day}：昨日对话尚未入库，本简报只含已有信号。",
        "risks": "风险商机（按风险金额排序）",
        "no_risks": "无",
        "opportunities": "有新信号的商机",
        "no_opportunities": "昨日对话中没有商机信号。",
        "keywords": "我的高频关键词",
        "categories": "信号分类",
        "category_count": "{label}：提及 {mentions} · 否定提及 {negated}",
        "no_signals": "昨日没有捕捉到关键词。",
        "since": "自 {since} 起",
        "negated": "否定",
        "reps": "下属销售 {reps} 人，昨日有信号 {active} 人；有信号商机 {opportunities} 个；风险商机 {risky} 个。",
        "top_risks": "重点风险商机（按风险金额前 {count}）",
        "all_risks": "全部风险商机",
        "all_risks_link": "查看全部 {count} 个风险商机",
        "team_keywords": "团队本周高频关键词（前 3）",
        "week": "{week} 起一周",
        "owner": "负责人 {name}",
        "opportunity": "商机 {id}",
        "no_customer": "未建档客户",
        "no_amount": "金额未填",
        "no_stage": "阶段未知",
        "close": "预计成交 {date}",
        "no_close": "预计成交日未填",
        "card": "建议打法卡：{title}",
        "no_card": "建议打法卡：暂无",
        "risk": "风险：{risks}",
        "ranking": (
            "排序：风险金额 = 商机金额 × 风险权重之和（{weights}），从高到低；"
            "未填金额的商机排在最后。建议打法卡为客户行业与当前阶段在负责人团队中排名第一的卡片"
            "（本团队没有时取多数团队的第一名）。"
        ),
        "index": "沟通洞察简报索引",
        "index.managers": "主管简报",
        "index.reps": "销售简报",
        "none": "—",
        "list_sep": "、",
    },
    "en": {
        "title": "Daily communication brief",
        "rep": "Rep",
        "manager": "Manager",
        "covers": "Conversations of {day} · data as of {as_of}",
        "stale": "⚠ The data snapshot is as of {as_of}, before the conversation day {day}: yesterday's conversations are not loaded yet; this brief has only the signals already there.",
        "risks": "Opportunities at risk (by amount at risk)",
        "no_risks": "None",
        "opportunities": "Opportunities with new signals",
        "no_opportunities": "No opportunity signals in yesterday's conversations.",
        "keywords": "My top keywords",
        "categories": "Signals by category",
        "category_count": "{label}: mentions {mentions} · negated {negated}",
        "no_signals": "No keywords captured yesterday.",
        "since": "since {since}",
        "negated": "negated",
        "reps": "{reps} reps, {active} with signals yesterday; {opportunities} opportunities with signals; {risky} at risk.",
        "top_risks": "Top {count} risks by amount at risk",
        "all_risks": "All opportunities at risk",
        "all_risks_link": "See all {count} opportunities at risk",
        "team_keywords": "Teams' top-3 keywords this week",
        "week": "week of {week}",
        "owner": "owner {name}",
        "opportunity": "opportunity {id}",
        "no_customer": "No account yet",
        "no_amount": "amount not set",
        "no_stage": "stage unknown",
        "close": "expected close {date}",
        "no_close": "no expected close date",
        "card": "Suggested SOP card: {title}",
        "no_card": "Suggested SOP card: no card",
        "risk": "Risk: {risks}",
        "ranking": (
            "Ranking: amount at risk = the opportunity's amount × the sum of its risk weights "
            "({weights}), highest first; opportunities without an amount come last. The "
            "suggested SOP card is the rank-1 card for the customer's industry and the stage in "
            "the owner's team (else the card most teams rank first)."
        ),
        "index": "Daily communication briefs",
        "index.managers": "Manager briefs",
        "index.reps": "Rep briefs",
        "none": "—",
        "list_sep": ", ",
    },
}
ALL_RISKS_ID = "all-risks"
"""The HTML id of a manager brief's full risk list."""
TEN_THOUSAND = 10_000
"""From this amount Chinese figures are written in 万 (ten thousand)."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def format_amount(amount: float | None, language: str) -> str | None:
    """¥ with thousands separators; Chinese writes ¥10,000 and more in 万 (1234567 → ¥123.5万)."""
    if amount is None:
        return None
    if language == "zh" and abs(amount) >= TEN_THOUSAND:
        return f"¥{amount / TEN_THOUSAND:,.1f}万"
    return f"¥{amount:,.0f}"


def anchor(heading: str) -> str:
    """A heading's anchor as Markdown renderers make it (GitHub's rule): lower case, spaces
    to hyphens, punctuation dropped, CJK letters kept."""
    kept = "".join(
        char
        for char in heading.strip().lower()
        if char in " -_" or unicodedata.category(char)[0] in "LN"
    )
    return kept.replace(" ", "-")


def _md(text: object) -> str:
    """User text (names, keywords) as literal Markdown: no formatting, no HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _title(brief: Brief, language: str) -> tuple[str, str]:
    words = TEXTS[language]
    if isinstance(brief, RepBrief):
        return f"{words['title']} · {words['rep']}", brief.name
    assert isinstance(brief, ManagerBrief)
    return (
        f"{words['title']} · {LEVEL_LABELS[language].get(brief.level, brief.level)}",
        brief.name_path,
    )


def _header(brief: Brief, language: str) -> list[str]:
    words = TEXTS[language]
    as_of = brief.as_of.isoformat() if brief.as_of else words["none"]
    lines = [words["covers"].format(day=brief.conversation_date.isoformat(), as_of=as_of)]
    if brief.is_stale:
        lines.append(words["stale"].format(day=brief.conversation_date.isoformat(), as_of=as_of))
    return lines


def _summary(brief: ManagerBrief, language: str) -> str:
    return TEXTS[language]["reps"].format(
        reps=len(brief.rep_ids),
        active=brief.reps_with_signals,
        opportunities=brief.opportunities_with_signals,
        risky=brief.risk_opportunities,
    )


def _risk_text(brief: Brief, risk: Risk, language: str, escape: Callable[[object], str]) -> str:
    """The risk's label (seed briefs_risk_kinds), when it started and the keywords (escaped)."""
    text = escape(brief.rules.risk_labels[language].get(risk.kind, risk.kind))
    details = []
    if risk.since:
        details.append(TEXTS[language]["since"].format(since=risk.since.isoformat()))
    if risk.keywords:
        details.append(TEXTS[language]["list_sep"].join(map(escape, risk.keywords)))
    return f"{text} ({'; '.join(details)})" if details else text


def _facts(note: OpportunityNote, language: str) -> list[str]:
    """Amount, stage and expected close date of a risk line (plain text, nothing to escape
    but the raw close date)."""
    words = TEXTS[language]
    deal = note.opportunity
    close = (
        words["close"].format(date=deal.expected_close_on.isoformat())
        if deal.expected_close_on
        else words["close"].format(date=deal.expected_close_raw)
        if deal.expected_close_raw
        else words["no_close"]
    )
    return [
        format_amount(deal.amount, language) or words["no_amount"],
        STAGE_LABELS[language].get(deal.stage, deal.stage) if deal.stage else words["no_stage"],
        close,
    ]


def _customer(note: OpportunityNote, language: str) -> str:
    return note.opportunity.customer_name or TEXTS[language]["no_customer"]


def _card(note: OpportunityNote, language: str) -> str | None:
    words = TEXTS[language]
    return words["card"].format(title=note.card.title) if note.card else None


def _risk_line_markdown(
    brief: Brief, note: OpportunityNote, language: str, with_owner: bool
) -> str:
    words = TEXTS[language]
    facts = [_md(fact) for fact in _facts(note, language)]
    who = [words["opportunity"].format(id=_md(note.opportunity_id))]
    if with_owner:
        owner = note.owner_name or note.owner_rep_id or words["none"]
        who.insert(0, words["owner"].format(name=_md(owner)))
    risks = "; ".join(_risk_text(brief, risk, language, _md) for risk in note.risks)
    card = words["card"].format(title=_md(note.card.title)) if note.card else words["no_card"]
    return (
        f"**{_md(_customer(note, language))}** · {' · '.join(facts)} — "
        f"{words['risk'].format(risks=risks)} — {card} ({', '.join(who)})"
    )


def _signal_text(signal: Signal, language: str) -> str:
    label = CATEGORY_LABELS[language].get(signal.category, signal.category)
    return f"{label} ({TEXTS[language]['negated']})" if signal.negated else label


def _signal_items(note: OpportunityNote, language: str, escape: Callable[[object], str]) -> str:
    sep = TEXTS[language]["list_sep"]
    return "; ".join(
        f"{escape(_signal_text(signal, language))} ×{signal.mentions}"
        + (f" — {sep.join(map(escape, signal.keywords))}" if signal.keywords else "")
        for signal in note.signals
    )


def _category_lines(brief: Brief, language: str) -> list[str]:
    words = TEXTS[language]
    return [
        words["category_count"].format(
            label=CATEGORY_LABELS[language].get(count.category, count.category),
            mentions=count.mentions,
            negated=count.negated_mentions,
        )
        for count in brief.category_counts
    ]


def ranking_note(brief: Brief, language: str) -> str:
    """The footer: how risks are ranked, with the weights of the seed."""
    rules = brief.rules
    weights = " · ".join(
        f"{rules.risk_labels[language].get(kind, kind)} {weight:g}"
        for kind, weight in sorted(rules.risk_weights.items(), key=lambda item: -item[1])
    )
    return TEXTS[language]["ranking"].format(weights=weights)


def _markdown(brief: Brief, language: str) -> str:
    words = TEXTS[language]
    kind, subject = _title(brief, language)
    lines = [f"## {kind}: {_md(subject)} · {brief.brief_date.isoformat()}", ""]
    lines += [f"{line}  " for line in _header(brief, language)] + [""]

    def risk_list(notes: Sequence[OpportunityNote], with_owner: bool) -> list[str]:
        return [
            f"{rank}. {_risk_line_markdown(brief, note, language, with_owner)}"
            for rank, note in enumerate(notes, start=1)
        ] or [words["no_risks"]]

    if isinstance(brief, RepBrief):
        lines += [f"### {words['risks']}", "", *risk_list(brief.risks, False)]
        lines += ["", f"### {words['opportunities']}", ""]
        lines += [
            f"- **{_md(_customer(note, language))}** "
            f"({words['opportunity'].format(id=_md(note.opportunity_id))}): "
            + _signal_items(note, language, _md)
            for note in brief.opportunities
        ] or [words["no_opportunities"]]
        lines += ["", f"### {words['keywords']}", ""]
        lines.append(
            " · ".join(_md(keyword) for keyword in brief.top_keywords) or words["no_signals"]
        )
    else:
        assert isinstance(brief, ManagerBrief)
        lines.append(_summary(brief, language))
        top = brief.top_risks
        lines += ["", f"### {words['top_risks'].format(count=brief.rules.manager_top_risks)}", ""]
        lines += risk_list(top, True)
        if len(brief.risks) > len(top):
            link = words["all_risks_link"].format(count=len(brief.risks))
            lines += ["", f"[{link} ↓](#{anchor(words['all_risks'])})"]
        if brief.team_keywords:
            lines += ["", f"### {words['team_keywords']}", ""]
            lines += [
                f"- {_md(team.team_name)} ({words['week'].format(week=team.week_start.isoformat())}): "
                + " · ".join(
                    f"{rank}. {_md(keyword)} ({mentions})"
                    for rank, keyword, mentions in team.keywords
                )
                for team in brief.team_keywords
            ]
    lines += ["", f"### {words['categories']}", ""]
    lines += [f"- {line}" for line in _category_lines(brief, language)] or [words["no_signals"]]
    if isinstance(brief, ManagerBrief) and len(brief.risks) > len(brief.top_risks):
        lines += ["", f"### {words['all_risks']}", "", *risk_list(brief.risks, True)]
    lines += ["", "---", "", f"*{_md(ranking_note(brief, language))}*"]
    return "\n".join(lines) + "\n"


def render_markdown(brief: Brief, language: str) -> str:
    """The brief in one language (``zh`` or ``en``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown brief language {language!r}")
    return _markdown(brief, language)


_CSS = """
html{font-size:16px;-webkit-text-size-adjust:100%}
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;font-size:16px;line-height:1.6;margin:0 auto;max-width:40rem;padding:0 1rem 2rem;color:#1f2328;overflow-wrap:anywhere}
h1{font-size:1.35rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}h3{font-size:1.05rem;margin-top:1.5rem}
ul,ol{padding-left:1.25rem}li{margin:.3rem 0}
ol.cards{list-style:none;padding:0}
.card{border:1px solid #d0d7de;border-radius:.5rem;padding:.6rem .8rem;margin:.6rem 0}
.card p{margin:.15rem 0}.customer{font-weight:600}.meta{color:#57606a}.risk{color:#9a3412}
.stale{background:#fff8c5;padding:.5rem}
footer{border-top:1px solid #d0d7de;margin-top:2rem;padding-top:.5rem;color:#57606a}
"""


def _risk_cards(
    brief: Brief, notes: Sequence[OpportunityNote], language: str, with_owner: bool
) -> str:
    words = TEXTS[language]
    if not notes:
        return f"<p>{_e(words['no_risks'])}</p>"
    items = []
    for rank, note in enumerate(notes, start=1):
        who = [words["opportunity"].format(id=note.opportunity_id)]
        if with_owner:
            who.insert(
                0, words["owner"].format(name=note.owner_name or note.owner_rep_id or words["none"])
            )
        risks = "; ".join(_risk_text(brief, risk, language, _e) for risk in note.risks)
        items.append(
            '<li class="card">'
            f'<p class="customer">{rank}. {_e(_customer(note, language))}</p>'
            f"<p>{' · '.join(_e(fact) for fact in _facts(note, language))}</p>"
            f'<p class="risk">{_e(words["risk"].format(risks="")) + risks}</p>'
            f"<p>{_e(_card(note, language) or words['no_card'])}</p>"
            f'<p class="meta">{_e(" · ".join(who))}</p>'
            "</li>"
        )
    return '<ol class="cards">' + "".join(items) + "</ol>"


def _html_body(brief: Brief, language: str) -> str:
    words = TEXTS[language]
    kind, subject = _title(brief, language)
    parts = [f"<h1>{_e(kind)}: {_e(subject)} · {brief.brief_date}</h1>"]
    header = _header(brief, language)
    parts.append(f"<p>{_e(header[0])}</p>")
    parts += [f'<p class="stale">{_e(line)}</p>' for line in header[1:]]
    if isinstance(brief, RepBrief):
        parts.append(
            f"<h2>{_e(words['risks'])}</h2>{_risk_cards(brief, brief.risks, language, False)}"
        )
        parts.append(f"<h2>{_e(words['opportunities'])}</h2>")
        if brief.opportunities:
            parts.append(
                "<ul>"
                + "".join(
                    f"<li><strong>{_e(_customer(note, language))}</strong> "
                    f"({_e(words['opportunity'].format(id=note.opportunity_id))}): "
                    f"{_signal_items(note, language, _e)}</li>"
                    for note in brief.opportunities
                )
                + "</ul>"
            )
        else:
            parts.append(f"<p>{_e(words['no_opportunities'])}</p>")
        parts.append(
            f"<h2>{_e(words['keywords'])}</h2><p>"
            + (" · ".join(_e(k) for k in brief.top_keywords) or _e(words["no_signals"]))
            + "</p>"
        )
    else:
        assert isinstance(brief, ManagerBrief)
        parts.append(f"<p>{_e(_summary(brief, language))}</p>")
        top = brief.top_risks
        parts.append(
            f"<h2>{_e(words['top_risks'].format(count=brief.rules.manager_top_risks))}</h2>"
            + _risk_cards(brief, top, language, True)
        )
        if len(brief.risks) > len(top):
            link = words["all_risks_link"].format(count=len(brief.risks))
            parts.append(f'<p><a href="#{ALL_RISKS_ID}">{_e(link)} ↓</a></p>')
        if brief.team_keywords:
            items = "".join(
                f"<li>{_e(team.team_name)} ({_e(words['week'].format(week=team.week_start))}): "
                + " · ".join(
                    f"{rank}. {_e(keyword)} ({mentions})"
                    for rank, keyword, mentions in team.keywords
                )
                + "</li>"
                for team in brief.team_keywords
            )
            parts.append(f"<h2>{_e(words['team_keywords'])}</h2><ul>{items}</ul>")
    parts.append(f"<h2>{_e(words['categories'])}</h2>")
    lines = _category_lines(brief, language)
    parts.append(
        "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"
        if lines
        else f"<p>{_e(words['no_signals'])}</p>"
    )
    if isinstance(brief, ManagerBrief) and len(brief.risks) > len(brief.top_risks):
        parts.append(
            f'<h2 id="{ALL_RISKS_ID}">{_e(words["all_risks"])}</h2>'
            + _risk_cards(brief, brief.risks, language, True)
        )
    parts.append(f"<footer><p>{_e(ranking_note(brief, language))}</p></footer>")
    return "\n".join(parts)


def _page(title: str, body: str, language: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def render_html(brief: Brief, language: str) -> str:
    """A self-contained page in one language (inline CSS, no scripts, no external links)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown brief language {language!r}")
    _, subject = _title(brief, language)
    title = f"{TEXTS[language]['title']} {brief.brief_date} · {subject}"
    return _page(title, _html_body(brief, language), language)


def index_html(brief_date: object, briefs: Sequence[Brief]) -> str:
    """The date's index: every brief, each in both languages (中文 · English)."""
    managers = [b for b in briefs if isinstance(b, ManagerBrief)]
    reps = [b for b in briefs if isinstance(b, RepBrief)]

    def links(brief: Brief) -> str:
        return " · ".join(
            f'<a href="{_e(quote(brief_file(brief.kind, brief.subject_id, language, ".html")))}">'
            f"{'中文' if language == 'zh' else 'English'}</a>"
            for language in LANGUAGES
        )

    zh, en = TEXTS["zh"], TEXTS["en"]
    body = [f"<h1>{_e(zh['index'])} / {_e(en['index'])} · {brief_date}</h1>"]
    body.append(f"<h2>{_e(zh['index.managers'])} / {_e(en['index.managers'])}</h2><ul>")
    body += [f"<li>{_e(b.name_path)} · {b.risk_opportunities} · {links(b)}</li>" for b in managers]
    body.append(f"</ul><h2>{_e(zh['index.reps'])} / {_e(en['index.reps'])}</h2><ul>")
    body += [f"<li>{_e(b.name)} · {len(b.risks)} · {links(b)}</li>" for b in reps]
    body.append("</ul>")
    return _page(f"{zh['index']} {brief_date}", "\n".join(body), "zh")
