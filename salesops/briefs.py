"""Daily communication brief 沟通洞察简报 (SPEC §5 "Chat signals"), per rep and per manager.

The brief for date D is read at the morning meeting 晨会 of D and covers the conversations
of D−1. It is built from the published snapshot only (read-only), in three steps that are
plain functions, testable without Dagster:

- :func:`load_brief_inputs` — the one place that reads the warehouse (repoint it here);
- :func:`compose_briefs` — the risk rules and roll-ups, pure Python on the loaded rows;
- :func:`render_markdown` / :func:`render_html` / :func:`write_briefs` — the files under
  ``$SALESOPS_HOME/briefs/<D>/``, swapped in with a rename so nobody reads half a folder.

Risk rules (each one a line in the brief, and scored for the managers' top-risk list):

- ``approval_pending`` 审批未批: the opportunity's latest *pending* approval signal (an
  approval signal that is negated or carries a pending term such as 领导还没批) within the
  last :data:`APPROVAL_LOOKBACK_DAYS` days up to D−1 has no *later* positive approval
  signal, and no next step was locked (visit node ``next_step_locked``) since it. A positive one on the same day does not clear it (the daily grain cannot order
  them), so the manager still sees it.
- ``budget_negative`` 预算受阻: a budget signal on D−1 that is negated or carries a
  negative budget term (预算冻结, 预算不够, …).
- ``competitor`` 竞品出现: a non-negated competitor signal on D−1.
- ``it_fit`` 系统适配疑虑: a non-negated IT-fit signal on D−1 (接口, 系统对接, 兼容) — the
  article's real loss driver (44 %).
- ``risk_words`` 风险词: a non-negated signal of the generic ``risk`` category on D−1.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import duckdb

from ml.chat_signals.dictionary import CATEGORIES
from salesops.config import Paths

APPROVAL_LOOKBACK_DAYS = 14
"""A pending approval older than this (with no signal since) has gone quiet; not listed."""
PENDING_APPROVAL_TERMS = frozenset({"领导还没批", "还没批", "没批", "未批", "待审批", "审批中"})
APPROVAL_GRANTED_TERMS = frozenset({"预算已批", "批了", "已批", "审批通过", "领导批了", "领导同意"})
"""What clears a pending approval: a later signal (approval or budget) with one of these.
A neutral approval mention (审批, 走流程) is the process being talked about, not a yes."""
NEGATIVE_BUDGET_TERMS = frozenset({"预算冻结", "预算砍", "预算不够", "没有预算", "预算取消"})
RISK_WEIGHTS = {
    "approval_pending": 3,
    "budget_negative": 3,
    "competitor": 2,
    "it_fit": 2,
    "risk_words": 1,
}
"""Order of the managers' top-risk list: the sum of an opportunity's risk weights."""
TOP_RISKS = 5
TOP_KEYWORDS = 5

# The marts the brief reads. fct_* are the chat-signal marts; dim_reps and
# dim_opportunities are optional (reps' names/teams, opportunities' owners) until the
# warehouse publishes them — without them reps roll up to the top unit only.
OPPORTUNITY_SIGNALS = "fct_opportunity_signals_daily"
REP_SIGNALS = "fct_rep_signals_daily"
TEAM_KEYWORDS = "fct_team_top_keywords_weekly"
ORG_UNITS = "dim_org_units"
REPS = "dim_reps"
OPPORTUNITIES = "dim_opportunities"
OWNER_COLUMNS = ("owner_rep_id", "rep_id")
"""Columns of the opportunity-signal mart that name the owner, if it carries one."""

LANGUAGES = ("zh", "en")
_SECTION_MARK = "<!-- lang:{} -->"


# ---------------------------------------------------------------- the brief's shape


@dataclass(frozen=True)
class Signal:
    category: str
    negated: bool
    mentions: int
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Risk:
    kind: str
    keywords: tuple[str, ...] = ()
    since: dt.date | None = None
    """First day of a still-pending approval."""


@dataclass(frozen=True)
class OpportunityNote:
    opportunity_id: str
    owner_rep_id: str | None
    owner_name: str | None
    signals: tuple[Signal, ...]
    """Signals of the conversation day (empty for a standing risk with no new signal)."""
    risks: tuple[Risk, ...]

    @property
    def risk_score(self) -> int:
        return sum(RISK_WEIGHTS[risk.kind] for risk in self.risks)


@dataclass(frozen=True)
class CategoryCount:
    category: str
    mentions: int
    negated_mentions: int


@dataclass(frozen=True)
class TeamKeywords:
    team_id: str
    team_name: str
    week_start: dt.date
    keywords: tuple[tuple[int, str, int], ...]
    """(rank, keyword, mentions), rank 1 first."""


@dataclass(frozen=True, kw_only=True)
class Brief:
    brief_date: dt.date
    as_of: dt.date | None
    """The snapshot's as_of; older than the conversation day = the day is not loaded yet."""
    category_counts: tuple[CategoryCount, ...]

    @property
    def conversation_date(self) -> dt.date:
        return self.brief_date - dt.timedelta(days=1)

    @property
    def is_stale(self) -> bool:
        return self.as_of is None or self.as_of < self.conversation_date


@dataclass(frozen=True, kw_only=True)
class RepBrief(Brief):
    rep_id: str
    name: str
    team_id: str | None
    top_keywords: tuple[str, ...]
    opportunities: tuple[OpportunityNote, ...]
    """Opportunities with signals on the conversation day."""
    risks: tuple[OpportunityNote, ...]
    """Opportunities with at least one risk, highest score first."""

    kind = "rep"

    @property
    def subject_id(self) -> str:
        return self.rep_id


@dataclass(frozen=True, kw_only=True)
class ManagerBrief(Brief):
    unit_id: str
    level: str
    name: str
    name_path: str
    rep_ids: tuple[str, ...]
    reps_with_signals: int
    opportunities_with_signals: int
    top_risks: tuple[OpportunityNote, ...]
    risk_opportunities: int
    team_keywords: tuple[TeamKeywords, ...] = field(default=())

    kind = "manager"

    @property
    def subject_id(self) -> str:
        return self.unit_id


# ---------------------------------------------------------------- reading the snapshot


@dataclass(frozen=True)
class BriefInputs:
    """What :func:`load_brief_inputs` reads; rows as plain tuples/dicts, no database handle."""

    as_of: dt.date | None
    opportunity_signals: list[dict]
    """opportunity_id, owner_rep_id (may be None), signal_date, category, negated, mentions,
    keywords — the conversation day, plus approval and budget rows of the approval
    look-back window."""
    rep_signals: list[dict]
    """rep_id, team_id (may be None), category, negated, mentions, keywords — the
    conversation day."""
    team_keywords: list[dict]
    """team_id, week_start, rank, keyword, mentions — per team its latest week ≤ the day."""
    org_units: list[dict]
    """unit_id, level, parent_id, name, name_path."""
    reps: list[dict] = field(default_factory=list)
    """rep_id, name, team_id, role, termination_date — empty without a reps mart."""
    next_steps: dict[str, dt.datetime] = field(default_factory=dict)
    """opportunity_id → latest ``next_step_locked`` visit node (dim_opportunities)."""


def load_brief_inputs(snapshot: Path, conversation_date: dt.date) -> BriefInputs:
    """Read every row the brief needs from the published snapshot, read-only.

    The file is attached to a private in-memory database (as the dashboards do), so a
    snapshot swapped in by a publish is always the one read.
    """
    if not snapshot.exists():
        raise FileNotFoundError(f"{snapshot}: nothing published yet; run `make run` first")
    window_start = conversation_date - dt.timedelta(days=APPROVAL_LOOKBACK_DAYS - 1)
    with duckdb.connect(":memory:") as con:
        con.execute("attach ? as snapshot (read_only)", [str(snapshot)])
        con.execute("use snapshot")
        tables = {
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where database_name = 'snapshot' "
                "and schema_name = 'marts'"
            ).fetchall()
        }
        missing = {OPPORTUNITY_SIGNALS, REP_SIGNALS, TEAM_KEYWORDS, ORG_UNITS} - tables
        if missing:
            raise BriefInputError(
                f"{snapshot}: the snapshot lacks {', '.join(sorted(missing))}; "
                "publish a warehouse with the chat-signal marts"
            )
        as_of = _snapshot_as_of(con)
        owner = _owner_expression(con, tables)
        opportunity_signals = _rows(
            con,
            f"""
            select
                signals.opportunity_id, {owner} as owner_rep_id, signals.signal_date,
                signals.category, signals.negated, signals.mentions, signals.keywords
            from marts.{OPPORTUNITY_SIGNALS} as signals
            {"left join marts." + OPPORTUNITIES + " as opportunities using (opportunity_id)" if owner.startswith("opportunities.") else ""}
            where signals.signal_date = ?
               or (signals.category in ('approval', 'budget') and signals.signal_date between ? and ?)
            order by signals.opportunity_id, signals.signal_date, signals.category, signals.negated
            """,
            [conversation_date, window_start, conversation_date],
        )
        team = _first_column(con, REP_SIGNALS, ("team_id",)) or "cast(null as varchar)"
        rep_signals = _rows(
            con,
            f"""
            select rep_id, {team} as team_id, category, negated, mentions, keywords
            from marts.{REP_SIGNALS}
            where signal_date = ?
            order by rep_id, category, negated
            """,
            [conversation_date],
        )
        rank = _first_column(con, TEAM_KEYWORDS, ("keyword_rank", "rank"))
        # the mart's team is its unit_id (one unit key across marts); team_id before that
        team_key = _first_column(con, TEAM_KEYWORDS, ("unit_id", "team_id"))
        team_keywords = _rows(
            con,
            f"""
            select {team_key} as team_id, week_start, {rank} as rank, keyword, mentions
            from marts.{TEAM_KEYWORDS}
            where week_start <= ?
            qualify week_start = max(week_start) over (partition by {team_key})
            order by team_id, rank
            """,
            [conversation_date],
        )
        org_units = _rows(
            con,
            f"select unit_id, level, parent_id, name, name_path from marts.{ORG_UNITS} "
            "order by name_path, unit_id",
        )
        reps = (
            _rows(
                con,
                f"select rep_id, name, team_id, role, termination_date from marts.{REPS} "
                "order by rep_id",
            )
            if REPS in tables
            else []
        )
        next_steps = {}
        if OPPORTUNITIES in tables and _first_column(con, OPPORTUNITIES, ("next_step_locked_at",)):
            next_steps = dict(
                con.execute(
                    f"select opportunity_id, next_step_locked_at from marts.{OPPORTUNITIES} "
                    "where next_step_locked_at is not null"
                ).fetchall()
            )
    return BriefInputs(
        as_of, opportunity_signals, rep_signals, team_keywords, org_units, reps, next_steps
    )


class BriefInputError(RuntimeError):
    """The snapshot lacks a mart the brief reads."""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence = ()) -> list[dict]:
    result = con.execute(sql, list(params))
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _snapshot_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    has_info = con.execute(
        "select count(*) from duckdb_tables() where database_name = 'snapshot' "
        "and schema_name = 'main' and table_name = 'publish_info'"
    ).fetchone()[0]
    if has_info:
        row = con.execute(
            "select as_of from main.publish_info order by published_at desc limit 1"
        ).fetchone()
        if row and row[0] is not None:
            return row[0]
    return con.execute(f"select max(as_of) from marts.{OPPORTUNITY_SIGNALS}").fetchone()[0]


def _first_column(
    con: duckdb.DuckDBPyConnection, table: str, candidates: Sequence[str]
) -> str | None:
    """The first of ``candidates`` that ``marts.<table>`` has (marts rename columns)."""
    columns = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where database_name = 'snapshot' "
            "and schema_name = 'marts' and table_name = ?",
            [table],
        ).fetchall()
    }
    return next((column for column in candidates if column in columns), None)


def _owner_expression(con: duckdb.DuckDBPyConnection, tables: set[str]) -> str:
    """Where the opportunity's owner comes from: the signal mart, else dim_opportunities."""
    column = _first_column(con, OPPORTUNITY_SIGNALS, OWNER_COLUMNS)
    if column:
        return f"signals.{column}"
    if OPPORTUNITIES in tables:
        return "opportunities.owner_rep_id"
    return "cast(null as varchar)"


# ---------------------------------------------------------------- the rules


def build_briefs(snapshot: Path, brief_date: dt.date) -> list[Brief]:
    """Every rep's and every manager's brief for the morning of ``brief_date``."""
    conversation_date = brief_date - dt.timedelta(days=1)
    return compose_briefs(load_brief_inputs(snapshot, conversation_date), brief_date)


def _keywords(value: str | None) -> tuple[str, ...]:
    return tuple(k for k in (part.strip() for part in (value or "").split(",")) if k)


def _signal(row: dict) -> Signal:
    return Signal(
        row["category"], bool(row["negated"]), int(row["mentions"]), _keywords(row["keywords"])
    )


def _is_pending_approval(signal: Signal) -> bool:
    return signal.category == "approval" and (
        signal.negated or bool(PENDING_APPROVAL_TERMS & set(signal.keywords))
    )


def _day_risks(signals: Iterable[Signal]) -> list[Risk]:
    risks = []
    for signal in signals:
        if signal.category == "budget" and (
            signal.negated or NEGATIVE_BUDGET_TERMS & set(signal.keywords)
        ):
            risks.append(Risk("budget_negative", signal.keywords))
        elif not signal.negated and signal.category == "competitor":
            risks.append(Risk("competitor", signal.keywords))
        elif not signal.negated and signal.category == "it_fit":
            risks.append(Risk("it_fit", signal.keywords))
        elif not signal.negated and signal.category == "risk":
            risks.append(Risk("risk_words", signal.keywords))
    return risks


def _is_granted_approval(signal: Signal) -> bool:
    return not signal.negated and bool(APPROVAL_GRANTED_TERMS & set(signal.keywords))


def _approval_risk(
    history: list[tuple[dt.date, Signal]], next_step_at: dt.datetime | None = None
) -> Risk | None:
    """Pending since the first pending day not followed by a granted approval on a later day,
    and no next step locked (visit node ``next_step_locked``) on or after that day."""
    days: dict[dt.date, list[Signal]] = defaultdict(list)
    for day, signal in history:
        days[day].append(signal)
    pending_since: dt.date | None = None
    keywords: tuple[str, ...] = ()
    for day in sorted(days):
        pending = [signal for signal in days[day] if _is_pending_approval(signal)]
        if pending_since is not None and any(map(_is_granted_approval, days[day])):
            pending_since = None
        if pending and pending_since is None:
            pending_since = day
        if pending:
            keywords = pending[-1].keywords
    if pending_since is None or (next_step_at is not None and next_step_at.date() >= pending_since):
        return None
    return Risk("approval_pending", keywords, pending_since)


def _category_counts(rows: Iterable[dict]) -> tuple[CategoryCount, ...]:
    mentions: Counter[str] = Counter()
    negated: Counter[str] = Counter()
    for row in rows:
        (negated if row["negated"] else mentions)[row["category"]] += int(row["mentions"])
    return tuple(
        CategoryCount(category, mentions[category], negated[category])
        for category in CATEGORIES
        if mentions[category] or negated[category]
    )


def _top_keywords(rows: Iterable[dict]) -> tuple[str, ...]:
    """Keywords by the mentions of the signal rows that carry them (the mart has no
    per-keyword count), then alphabetically."""
    weight: Counter[str] = Counter()
    for row in rows:
        for keyword in _keywords(row["keywords"]):
            weight[keyword] += int(row["mentions"])
    ranked = sorted(weight.items(), key=lambda item: (-item[1], item[0]))
    return tuple(keyword for keyword, _ in ranked[:TOP_KEYWORDS])


def _by_risk(notes: Iterable[OpportunityNote]) -> list[OpportunityNote]:
    return sorted(
        (note for note in notes if note.risks),
        key=lambda note: (-note.risk_score, -len(note.risks), note.opportunity_id),
    )


def compose_briefs(inputs: BriefInputs, brief_date: dt.date) -> list[Brief]:
    """The rules on loaded rows: rep briefs (by rep_id), then manager briefs (tree order)."""
    day = brief_date - dt.timedelta(days=1)
    reps = {rep["rep_id"]: rep for rep in inputs.reps}

    by_opportunity: dict[str, list[dict]] = defaultdict(list)
    for row in inputs.opportunity_signals:
        by_opportunity[row["opportunity_id"]].append(row)
    notes: dict[str, OpportunityNote] = {}
    for opportunity_id, rows in by_opportunity.items():
        today = [_signal(row) for row in rows if row["signal_date"] == day]
        risks = [
            risk
            for risk in [
                _approval_risk(
                    [
                        (row["signal_date"], _signal(row))
                        for row in rows
                        if row["category"] in ("approval", "budget")
                    ],
                    inputs.next_steps.get(opportunity_id),
                ),
                *_day_risks(today),
            ]
            if risk is not None
        ]
        if not today and not risks:
            continue
        owner = next((row["owner_rep_id"] for row in rows if row["owner_rep_id"]), None)
        notes[opportunity_id] = OpportunityNote(
            opportunity_id,
            owner,
            reps.get(owner, {}).get("name") if owner else None,
            tuple(today),
            tuple(risks),
        )

    notes_by_rep: dict[str | None, list[OpportunityNote]] = defaultdict(list)
    for note in notes.values():
        notes_by_rep[note.owner_rep_id].append(note)
    rows_by_rep: dict[str, list[dict]] = defaultdict(list)
    for row in inputs.rep_signals:
        rows_by_rep[row["rep_id"]].append(row)

    def active(rep: dict) -> bool:
        ended = rep.get("termination_date")
        return rep.get("role", "rep") == "rep" and (ended is None or ended >= day)

    rep_ids = sorted(
        {rep_id for rep_id, rep in reps.items() if active(rep)}
        | set(rows_by_rep)
        | {owner for owner in notes_by_rep if owner}
    )
    common = {"brief_date": brief_date, "as_of": inputs.as_of}
    rep_briefs = [
        RepBrief(
            **common,
            rep_id=rep_id,
            name=reps.get(rep_id, {}).get("name") or rep_id,
            team_id=reps.get(rep_id, {}).get("team_id")
            or next((row["team_id"] for row in rows_by_rep[rep_id] if row.get("team_id")), None),
            category_counts=_category_counts(rows_by_rep[rep_id]),
            top_keywords=_top_keywords(rows_by_rep[rep_id]),
            opportunities=tuple(
                sorted(
                    (note for note in notes_by_rep[rep_id] if note.signals),
                    key=lambda note: note.opportunity_id,
                )
            ),
            risks=tuple(_by_risk(notes_by_rep[rep_id])),
        )
        for rep_id in rep_ids
    ]

    units = {unit["unit_id"]: unit for unit in inputs.org_units}
    roots = [unit_id for unit_id, unit in units.items() if unit["parent_id"] not in units]

    def chain(unit_id: str | None) -> list[str]:
        """The unit and its ancestors; an unknown team rolls up to the top unit(s) only."""
        if unit_id not in units:
            return list(roots)
        path, seen = [], set()
        while unit_id in units and unit_id not in seen:
            seen.add(unit_id)
            path.append(unit_id)
            unit_id = units[unit_id]["parent_id"]
        return path

    reps_under: dict[str, list[RepBrief]] = defaultdict(list)
    for brief in rep_briefs:
        for unit_id in chain(brief.team_id):
            reps_under[unit_id].append(brief)
    unowned = [note for note in notes_by_rep[None]]
    team_words: dict[str, list[dict]] = defaultdict(list)
    for row in inputs.team_keywords:
        team_words[row["team_id"]].append(row)
    teams_under: dict[str, list[str]] = defaultdict(list)
    for team_id in sorted(team_words, key=lambda t: (units.get(t, {}).get("name_path", t), t)):
        for unit_id in chain(team_id) if team_id in units else []:
            teams_under[unit_id].append(team_id)

    manager_briefs = []
    for unit_id, unit in units.items():
        members = reps_under.get(unit_id, [])
        if not members:
            continue
        member_ids = {brief.rep_id for brief in members}
        unit_notes = [note for rep_id in member_ids for note in notes_by_rep[rep_id]] + (
            unowned if unit_id in roots else []
        )
        ranked = _by_risk(unit_notes)
        manager_briefs.append(
            ManagerBrief(
                **common,
                unit_id=unit_id,
                level=unit["level"],
                name=unit["name"] or unit_id,
                name_path=unit["name_path"] or unit_id,
                rep_ids=tuple(sorted(member_ids)),
                reps_with_signals=sum(1 for rep_id in member_ids if rows_by_rep.get(rep_id)),
                opportunities_with_signals=sum(1 for note in unit_notes if note.signals),
                category_counts=_category_counts(
                    row for rep_id in member_ids for row in rows_by_rep[rep_id]
                ),
                top_risks=tuple(ranked[:TOP_RISKS]),
                risk_opportunities=len(ranked),
                team_keywords=tuple(
                    TeamKeywords(
                        team_id,
                        units[team_id]["name"] or team_id,
                        team_words[team_id][0]["week_start"],
                        tuple(
                            (int(row["rank"]), row["keyword"], int(row["mentions"]))
                            for row in sorted(team_words[team_id], key=lambda r: r["rank"])
                        ),
                    )
                    for team_id in teams_under.get(unit_id, [])
                ),
            )
        )
    return [*rep_briefs, *manager_briefs]


# ---------------------------------------------------------------- rendering

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
RISK_LABELS = {
    "zh": {
        "approval_pending": "审批未批",
        "budget_negative": "预算受阻",
        "competitor": "竞品出现",
        "it_fit": "系统适配疑虑",
        "risk_words": "风险词",
    },
    "en": {
        "approval_pending": "Approval pending",
        "budget_negative": "Budget blocked",
        "competitor": "Competitor in play",
        "it_fit": "IT-fit concern",
        "risk_words": "Risk words",
    },
}
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
        "risks": "风险商机",
        "no_risks": "无",
        "opportunities": "有新信号的商机",
        "no_opportunities": "昨日对话中没有商机信号。",
        "keywords": "我的高频关键词",
        "categories": "信号分类",
        "no_signals": "昨日没有捕捉到关键词。",
        "since": "自 {since} 起",
        "negated": "否定",
        "col.opportunity": "商机",
        "col.category": "类别",
        "col.keywords": "关键词",
        "col.mentions": "提及",
        "col.negated": "否定提及",
        "reps": "下属销售 {reps} 人，昨日有信号 {active} 人；有信号商机 {opportunities} 个；风险商机 {risky} 个。",
        "top_risks": "重点风险商机（前 {count}）",
        "team_keywords": "团队本周高频关键词（前 3）",
        "week": "{week} 起一周",
        "owner": "负责人",
        "index": "沟通洞察简报索引",
        "index.managers": "主管简报",
        "index.reps": "销售简报",
        "none": "—",
    },
    "en": {
        "title": "Daily communication brief",
        "rep": "Rep",
        "manager": "Manager",
        "covers": "Conversations of {day} · data as of {as_of}",
        "stale": "⚠ The data snapshot is as of {as_of}, before the conversation day {day}: yesterday's conversations are not loaded yet; this brief has only the signals already there.",
        "risks": "Opportunities at risk",
        "no_risks": "None",
        "opportunities": "Opportunities with new signals",
        "no_opportunities": "No opportunity signals in yesterday's conversations.",
        "keywords": "My top keywords",
        "categories": "Signals by category",
        "no_signals": "No keywords captured yesterday.",
        "since": "since {since}",
        "negated": "negated",
        "col.opportunity": "Opportunity",
        "col.category": "Category",
        "col.keywords": "Keywords",
        "col.mentions": "Mentions",
        "col.negated": "Negated mentions",
        "reps": "{reps} reps, {active} with signals yesterday; {opportunities} opportunities with signals; {risky} at risk.",
        "top_risks": "Top risk opportunities (top {count})",
        "team_keywords": "Teams' top-3 keywords this week",
        "week": "week of {week}",
        "owner": "owner",
        "index": "Daily communication briefs",
        "index.managers": "Manager briefs",
        "index.reps": "Rep briefs",
        "none": "—",
    },
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def _md(text: object) -> str:
    """User text (names, keywords) as literal Markdown: no formatting, no HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


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


def _risk_text(risk: Risk, language: str, escape: Callable[[object], str]) -> str:
    """The risk's label, then when it started and the keywords that raised it (escaped)."""
    text = RISK_LABELS[language][risk.kind]
    details = []
    if risk.since:
        details.append(TEXTS[language]["since"].format(since=risk.since.isoformat()))
    if risk.keywords:
        details.append(("、" if language == "zh" else ", ").join(map(escape, risk.keywords)))
    return f"{text} ({'; '.join(details)})" if details else text


def _signal_text(signal: Signal, language: str) -> str:
    label = CATEGORY_LABELS[language].get(signal.category, signal.category)
    return f"{label} ({TEXTS[language]['negated']})" if signal.negated else label


def _markdown_body(brief: Brief, language: str) -> str:
    words = TEXTS[language]
    kind, subject = _title(brief, language)
    lines = [f"## {kind}: {_md(subject)} · {brief.brief_date.isoformat()}", ""]
    lines += [f"{line}  " for line in _header(brief, language)] + [""]
    if isinstance(brief, RepBrief):
        lines += [f"### {words['risks']}", ""]
        lines += [
            f"- **{_md(note.opportunity_id)}**: "
            + "; ".join(_risk_text(risk, language, _md) for risk in note.risks)
            for note in brief.risks
        ] or [words["no_risks"]]
        lines += ["", f"### {words['opportunities']}", ""]
        if brief.opportunities:
            lines += [
                f"| {words['col.opportunity']} | {words['col.category']} | {words['col.keywords']} | {words['col.mentions']} |",
                "|---|---|---|---:|",
            ]
            lines += [
                f"| {_md(note.opportunity_id)} | {_md(_signal_text(signal, language))} | "
                f"{_md(', '.join(signal.keywords))} | {signal.mentions} |"
                for note in brief.opportunities
                for signal in note.signals
            ]
        else:
            lines.append(words["no_opportunities"])
        lines += ["", f"### {words['keywords']}", ""]
        lines.append(
            " · ".join(_md(keyword) for keyword in brief.top_keywords) or words["no_signals"]
        )
    else:
        assert isinstance(brief, ManagerBrief)
        lines.append(
            words["reps"].format(
                reps=len(brief.rep_ids),
                active=brief.reps_with_signals,
                opportunities=brief.opportunities_with_signals,
                risky=brief.risk_opportunities,
            )
        )
        lines += ["", f"### {words['top_risks'].format(count=TOP_RISKS)}", ""]
        lines += [
            f"- **{_md(note.opportunity_id)}** ({words['owner']} {_md(note.owner_name or note.owner_rep_id or words['none'])}): "
            + "; ".join(_risk_text(risk, language, _md) for risk in note.risks)
            for note in brief.top_risks
        ] or [words["no_risks"]]
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
    if brief.category_counts:
        lines += [
            f"| {words['col.category']} | {words['col.mentions']} | {words['col.negated']} |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {CATEGORY_LABELS[language].get(count.category, _md(count.category))} | "
            f"{count.mentions} | {count.negated_mentions} |"
            for count in brief.category_counts
        ]
    else:
        lines.append(words["no_signals"])
    return "\n".join(lines) + "\n"


def render_markdown(brief: Brief, language: str | None = None) -> str:
    """One language's brief, or (``language=None``) both, Chinese first, each section
    opened by an invisible ``<!-- lang:xx -->`` line that :func:`markdown_section` finds."""
    if language is not None:
        return _markdown_body(brief, language)
    return "\n".join(
        f"{_SECTION_MARK.format(lang)}\n\n{_markdown_body(brief, lang)}" for lang in LANGUAGES
    )


def markdown_section(markdown: str, language: str) -> str:
    """The ``language`` section of a bilingual brief written by :func:`write_briefs`."""
    marks = {lang: markdown.find(_SECTION_MARK.format(lang)) for lang in LANGUAGES}
    start = marks.get(language, -1)
    if start < 0:
        return markdown
    start += len(_SECTION_MARK.format(language))
    ends = [position for position in marks.values() if position > start]
    return markdown[start : min(ends) if ends else len(markdown)].strip() + "\n"


_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}h3{font-size:1rem}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.25rem .6rem}td.n{text-align:right}
.stale{background:#fff8c5;padding:.5rem}.risk{color:#9a3412}section+section{margin-top:2.5rem}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_section(brief: Brief, language: str) -> str:
    words = TEXTS[language]
    kind, subject = _title(brief, language)
    parts = [
        f'<section lang="{language}">',
        f"<h2>{_e(kind)}: {_e(subject)} · {brief.brief_date}</h2>",
    ]
    header = _header(brief, language)
    parts.append(f"<p>{_e(header[0])}</p>")
    parts += [f'<p class="stale">{_e(line)}</p>' for line in header[1:]]

    def risk_items(notes: Sequence[OpportunityNote], with_owner: bool) -> str:
        if not notes:
            return f"<p>{_e(words['no_risks'])}</p>"
        items = []
        for note in notes:
            owner = (
                f" ({_e(words['owner'])} {_e(note.owner_name or note.owner_rep_id or words['none'])})"
                if with_owner
                else ""
            )
            risks = "; ".join(_risk_text(risk, language, _e) for risk in note.risks)
            items.append(
                f'<li><strong>{_e(note.opportunity_id)}</strong>{owner}: <span class="risk">{risks}</span></li>'
            )
        return "<ul>" + "".join(items) + "</ul>"

    if isinstance(brief, RepBrief):
        parts.append(f"<h3>{_e(words['risks'])}</h3>{risk_items(brief.risks, False)}")
        parts.append(f"<h3>{_e(words['opportunities'])}</h3>")
        if brief.opportunities:
            rows = "".join(
                f"<tr><td>{_e(note.opportunity_id)}</td><td>{_e(_signal_text(signal, language))}</td>"
                f"<td>{_e(', '.join(signal.keywords))}</td><td class=n>{signal.mentions}</td></tr>"
                for note in brief.opportunities
                for signal in note.signals
            )
            parts.append(
                f"<table><tr><th>{_e(words['col.opportunity'])}</th><th>{_e(words['col.category'])}</th>"
                f"<th>{_e(words['col.keywords'])}</th><th>{_e(words['col.mentions'])}</th></tr>{rows}</table>"
            )
        else:
            parts.append(f"<p>{_e(words['no_opportunities'])}</p>")
        parts.append(
            f"<h3>{_e(words['keywords'])}</h3><p>"
            + (" · ".join(_e(k) for k in brief.top_keywords) or _e(words["no_signals"]))
            + "</p>"
        )
    else:
        assert isinstance(brief, ManagerBrief)
        parts.append(
            "<p>"
            + _e(
                words["reps"].format(
                    reps=len(brief.rep_ids),
                    active=brief.reps_with_signals,
                    opportunities=brief.opportunities_with_signals,
                    risky=brief.risk_opportunities,
                )
            )
            + "</p>"
        )
        parts.append(
            f"<h3>{_e(words['top_risks'].format(count=TOP_RISKS))}</h3>{risk_items(brief.top_risks, True)}"
        )
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
            parts.append(f"<h3>{_e(words['team_keywords'])}</h3><ul>{items}</ul>")
    parts.append(f"<h3>{_e(words['categories'])}</h3>")
    if brief.category_counts:
        rows = "".join(
            f"<tr><td>{_e(CATEGORY_LABELS[language].get(c.category, c.category))}</td>"
            f"<td class=n>{c.mentions}</td><td class=n>{c.negated_mentions}</td></tr>"
            for c in brief.category_counts
        )
        parts.append(
            f"<table><tr><th>{_e(words['col.category'])}</th><th>{_e(words['col.mentions'])}</th>"
            f"<th>{_e(words['col.negated'])}</th></tr>{rows}</table>"
        )
    else:
        parts.append(f"<p>{_e(words['no_signals'])}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def render_html(brief: Brief) -> str:
    """A self-contained page (inline CSS, no scripts, no external links): Chinese, then English."""
    _, subject = _title(brief, "zh")
    title = f"{TEXTS['zh']['title']} {brief.brief_date} · {subject}"
    return _page(title, "\n".join(_html_section(brief, lang) for lang in LANGUAGES))


def _index_html(brief_date: dt.date, briefs: Sequence[Brief]) -> str:
    managers = [b for b in briefs if isinstance(b, ManagerBrief)]
    reps = [b for b in briefs if isinstance(b, RepBrief)]
    body = [f"<h1>{_e(TEXTS['zh']['index'])} / {_e(TEXTS['en']['index'])} · {brief_date}</h1>"]
    body.append(
        f"<h2>{_e(TEXTS['zh']['index.managers'])} / {_e(TEXTS['en']['index.managers'])}</h2><ul>"
    )
    body += [
        f'<li><a href="manager/{_e(quote(_file_stem(b.unit_id)))}.html">{_e(b.name_path)}</a> · {b.risk_opportunities}</li>'
        for b in managers
    ]
    body.append(
        f"</ul><h2>{_e(TEXTS['zh']['index.reps'])} / {_e(TEXTS['en']['index.reps'])}</h2><ul>"
    )
    body += [
        f'<li><a href="rep/{_e(quote(_file_stem(b.rep_id)))}.html">{_e(b.name)}</a> · {len(b.risks)}</li>'
        for b in reps
    ]
    body.append("</ul>")
    return _page(f"{TEXTS['zh']['index']} {brief_date}", "\n".join(body))


# ---------------------------------------------------------------- writing

_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INDEX_JSON = "index.json"


def briefs_dir(paths: Paths) -> Path:
    """``$SALESOPS_HOME/briefs``: one folder per brief date."""
    return paths.home / "briefs"


def _file_stem(identifier: str) -> str:
    """A file name for an id: ids are opaque text, so anything but [A-Za-z0-9._-] is
    percent-encoded (``t/1`` → ``t%2F1``), which also rules out ``..``."""
    stem = "".join(
        char if char.isascii() and (char.isalnum() or char in "-_") else f"%{ord(char):02X}"
        for char in identifier
    )
    return stem or "%00"


@dataclass(frozen=True)
class WrittenBriefs:
    folder: Path
    index: Path
    reps: int
    managers: int


def write_briefs(
    briefs: Sequence[Brief], folder: Path, brief_date: dt.date | None = None
) -> WrittenBriefs:
    """Write ``<folder>/<D>/{rep,manager}/<id>.md|.html``, ``index.html`` and ``index.json``.

    Built in a hidden temporary folder beside the target, then renamed into place: a reader
    sees the previous complete folder or the new complete one, never half of one (a rerun
    moves the old folder aside first; between the two renames the date is briefly absent).
    """
    dates = {brief.brief_date for brief in briefs} | ({brief_date} if brief_date else set())
    if len(dates) != 1:
        raise ValueError(
            f"write_briefs needs the briefs of one date, got {sorted(dates) or 'none'}"
        )
    (day,) = dates
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / day.isoformat()
    token = uuid.uuid4().hex
    staging = folder / f".{day.isoformat()}.{token}.tmp"
    try:
        for kind in ("rep", "manager"):
            (staging / kind).mkdir(parents=True)
        index = {"brief_date": day.isoformat(), "reps": [], "managers": []}
        for brief in briefs:
            markdown = brief_file(brief.kind, brief.subject_id)
            (staging / markdown).write_text(render_markdown(brief), encoding="utf-8")
            (staging / brief_file(brief.kind, brief.subject_id, ".html")).write_text(
                render_html(brief), encoding="utf-8"
            )
            if isinstance(brief, RepBrief):
                index["reps"].append(
                    {
                        "rep_id": brief.rep_id,
                        "name": brief.name,
                        "team_id": brief.team_id,
                        "file": markdown,
                        "risks": len(brief.risks),
                    }
                )
            else:
                assert isinstance(brief, ManagerBrief)
                index["managers"].append(
                    {
                        "unit_id": brief.unit_id,
                        "name_path": brief.name_path,
                        "rep_ids": list(brief.rep_ids),
                        "file": markdown,
                        "risks": brief.risk_opportunities,
                    }
                )
        if briefs:
            index["as_of"] = briefs[0].as_of.isoformat() if briefs[0].as_of else None
            index["stale"] = briefs[0].is_stale
        (staging / INDEX_JSON).write_text(
            json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        (staging / "index.html").write_text(_index_html(day, briefs), encoding="utf-8")
        retired = folder / f".{day.isoformat()}.{token}.old"
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return WrittenBriefs(
        target,
        target / "index.html",
        sum(isinstance(b, RepBrief) for b in briefs),
        sum(isinstance(b, ManagerBrief) for b in briefs),
    )


def brief_file(kind: str, subject_id: str, suffix: str = ".md") -> str:
    """Where a brief sits inside its date folder: ``rep/<id>.md`` or ``manager/<id>.md``."""
    if kind not in ("rep", "manager"):
        raise ValueError(f"unknown brief kind {kind!r}")
    return f"{kind}/{_file_stem(subject_id)}{suffix}"


def brief_dates(folder: Path) -> list[dt.date]:
    """Dates with a complete brief folder (it has its index), newest first."""
    if not folder.is_dir():
        return []
    return sorted(
        (
            dt.date.fromisoformat(child.name)
            for child in folder.iterdir()
            if _DATE_FOLDER.match(child.name) and (child / INDEX_JSON).is_file()
        ),
        reverse=True,
    )


def default_brief_date(snapshot: Path) -> dt.date:
    """The morning after the snapshot's as_of: the brief of the data just published."""
    if not snapshot.exists():
        raise FileNotFoundError(f"{snapshot}: nothing published yet; run `make run` first")
    with duckdb.connect(":memory:") as con:
        con.execute("attach ? as snapshot (read_only)", [str(snapshot)])
        as_of = _snapshot_as_of_safe(con)
    if as_of is None:
        raise BriefInputError(f"{snapshot}: the snapshot has no as_of; pass --date")
    return as_of + dt.timedelta(days=1)


def _snapshot_as_of_safe(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    con.execute("use snapshot")
    try:
        return _snapshot_as_of(con)
    except duckdb.CatalogException:
        return None
