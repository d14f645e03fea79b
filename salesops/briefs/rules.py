"""The risk rules and roll-ups: pure Python on the rows :mod:`salesops.briefs.load` read.

Risk rules (each one a line in the brief); weights, labels, terms and the look-back are the
seeds ``briefs_risk_kinds``, ``briefs_terms`` and ``briefs_settings``:

- ``approval_pending`` 审批未批: the opportunity's latest *pending* approval signal (an
  approval signal that is negated or carries a pending term such as 领导还没批) within the
  last ``approval_lookback_days`` days up to D−1 has no *later* signal carrying an
  approval-granted term, and no next step was locked (visit node ``next_step_locked``)
  since it. A positive one on the same day does not clear it (the daily grain cannot order
  them), so the manager still sees it.
- ``budget_negative`` 预算受阻: a budget signal on D−1 that is negated or carries a
  negative budget term (预算冻结, 预算不够, …).
- ``competitor`` 竞品出现: a non-negated competitor signal on D−1.
- ``it_fit`` 系统适配疑虑: a non-negated IT-fit signal on D−1 (接口, 系统对接, 兼容) — the
  article's real loss driver (44 %).
- ``risk_words`` 风险词: a non-negated signal of the generic ``risk`` category on D−1.

Risks are ranked by **amount at risk** 风险金额 = amount × the sum of the opportunity's
risk weights, then by that sum, then by opportunity id. Each risky opportunity carries the
suggested SOP card (:func:`suggested_card`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from salesops.briefs.model import (
    Brief,
    BriefInputs,
    BriefRules,
    CategoryCount,
    ManagerBrief,
    Opportunity,
    OpportunityNote,
    RepBrief,
    Risk,
    Signal,
    SopCard,
    TeamKeywords,
)
from salesops.chat_categories import CATEGORIES


def _keywords(value: str | None) -> tuple[str, ...]:
    return tuple(k for k in (part.strip() for part in (value or "").split(",")) if k)


def _signal(row: dict) -> Signal:
    return Signal(
        row["category"], bool(row["negated"]), int(row["mentions"]), _keywords(row["keywords"])
    )


def _is_pending_approval(signal: Signal, rules: BriefRules) -> bool:
    return signal.category == "approval" and (
        signal.negated or bool(rules.pending_approval_terms & set(signal.keywords))
    )


def _is_granted_approval(signal: Signal, rules: BriefRules) -> bool:
    return not signal.negated and bool(rules.approval_granted_terms & set(signal.keywords))


def day_risks(signals: Iterable[Signal], rules: BriefRules) -> list[Risk]:
    """The risks raised by the signals of the conversation day (all but the approval one)."""
    risks = []
    for signal in signals:
        if signal.category == "budget" and (
            signal.negated or rules.negative_budget_terms & set(signal.keywords)
        ):
            risks.append(Risk("budget_negative", signal.keywords))
        elif not signal.negated and signal.category == "competitor":
            risks.append(Risk("competitor", signal.keywords))
        elif not signal.negated and signal.category == "it_fit":
            risks.append(Risk("it_fit", signal.keywords))
        elif not signal.negated and signal.category == "risk":
            risks.append(Risk("risk_words", signal.keywords))
    return risks


def approval_risk(
    history: list[tuple[dt.date, Signal]],
    rules: BriefRules,
    next_step_at: dt.datetime | None = None,
) -> Risk | None:
    """Pending since the first pending day not followed by a granted approval on a later day,
    and no next step locked (visit node ``next_step_locked``) on or after that day."""
    days: dict[dt.date, list[Signal]] = defaultdict(list)
    for day, signal in history:
        days[day].append(signal)
    pending_since: dt.date | None = None
    keywords: tuple[str, ...] = ()
    for day in sorted(days):
        pending = [signal for signal in days[day] if _is_pending_approval(signal, rules)]
        if pending_since is not None and any(
            _is_granted_approval(signal, rules) for signal in days[day]
        ):
            pending_since = None
        if pending and pending_since is None:
            pending_since = day
        if pending:
            keywords = pending[-1].keywords
    if pending_since is None or (next_step_at is not None and next_step_at.date() >= pending_since):
        return None
    return Risk("approval_pending", keywords, pending_since)


def suggested_card(
    opportunity: Opportunity, team_id: str | None, recommendations: Sequence[dict]
) -> SopCard | None:
    """The rank-1 card of fct_sop_recommendations for the customer's industry and the
    opportunity's stage: the owner's team's, else the one ranked first by most teams (ties:
    card_id). None without an industry or an open stage, or when no card fits."""
    if not opportunity.industry or not opportunity.stage:
        return None
    scenario = [
        row
        for row in recommendations
        if row["industry"] == opportunity.industry and row["stage"] == opportunity.stage
    ]
    own = next((row for row in scenario if team_id and row["unit_id"] == team_id), None)
    if own is not None:
        return SopCard(own["card_id"], own["title"])
    if not scenario:
        return None
    teams = Counter(row["card_id"] for row in scenario)
    card_id = min(teams, key=lambda card: (-teams[card], card))
    title = next(row["title"] for row in scenario if row["card_id"] == card_id)
    return SopCard(card_id, title)


def rank_by_amount_at_risk(notes: Iterable[OpportunityNote]) -> list[OpportunityNote]:
    """Opportunities with a risk, highest amount at risk first (then risk weight, id)."""
    return sorted(
        (note for note in notes if note.risks),
        key=lambda note: (-note.amount_at_risk, -note.risk_weight, note.opportunity_id),
    )


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


def _top_keywords(rows: Iterable[dict], count: int) -> tuple[str, ...]:
    """Keywords by the mentions of the signal rows that carry them (the mart has no
    per-keyword count), then alphabetically."""
    weight: Counter[str] = Counter()
    for row in rows:
        for keyword in _keywords(row["keywords"]):
            weight[keyword] += int(row["mentions"])
    ranked = sorted(weight.items(), key=lambda item: (-item[1], item[0]))
    return tuple(keyword for keyword, _ in ranked[:count])


def compose_briefs(inputs: BriefInputs, brief_date: dt.date) -> list[Brief]:
    """The rules on loaded rows: rep briefs (by rep_id), then manager briefs (tree order)."""
    day = brief_date - dt.timedelta(days=1)
    rules = inputs.rules
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
                approval_risk(
                    [
                        (row["signal_date"], _signal(row))
                        for row in rows
                        if row["category"] in ("approval", "budget")
                    ],
                    rules,
                    inputs.next_steps.get(opportunity_id),
                ),
                *day_risks(today, rules),
            ]
            if risk is not None
        ]
        if not today and not risks:
            continue
        owner = next((row["owner_rep_id"] for row in rows if row["owner_rep_id"]), None)
        opportunity = inputs.opportunities.get(opportunity_id, Opportunity())
        team_id = opportunity.team_id or reps.get(owner, {}).get("team_id")
        notes[opportunity_id] = OpportunityNote(
            opportunity_id,
            owner,
            reps.get(owner, {}).get("name") if owner else None,
            tuple(today),
            tuple(risks),
            opportunity,
            suggested_card(opportunity, team_id, inputs.recommendations) if risks else None,
            sum(rules.risk_weights[risk.kind] for risk in risks),
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
    common = {"brief_date": brief_date, "as_of": inputs.as_of, "rules": rules}
    rep_briefs = [
        RepBrief(
            **common,
            rep_id=rep_id,
            name=reps.get(rep_id, {}).get("name") or rep_id,
            team_id=reps.get(rep_id, {}).get("team_id")
            or next((row["team_id"] for row in rows_by_rep[rep_id] if row.get("team_id")), None),
            category_counts=_category_counts(rows_by_rep[rep_id]),
            top_keywords=_top_keywords(rows_by_rep[rep_id], rules.rep_top_keywords),
            opportunities=tuple(
                sorted(
                    (note for note in notes_by_rep[rep_id] if note.signals),
                    key=lambda note: note.opportunity_id,
                )
            ),
            risks=tuple(rank_by_amount_at_risk(notes_by_rep[rep_id])),
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
    unowned = list(notes_by_rep[None])
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
                risks=tuple(rank_by_amount_at_risk(unit_notes)),
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
