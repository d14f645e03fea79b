"""The brief's shape: what the loader reads, what the rules produce, what the renderers show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

RISK_KINDS = ("approval_pending", "budget_negative", "competitor", "it_fit", "risk_words")
"""The risk rules of :mod:`salesops.briefs.rules`; their weights and labels are in the seed
``briefs_risk_kinds``."""
TERM_SETS = ("pending_approval", "approval_granted", "negative_budget")
SETTINGS = ("approval_lookback_days", "manager_top_risks", "rep_top_keywords")


@dataclass(frozen=True)
class BriefRules:
    """The rules' parameters, from the seeds ``briefs_risk_kinds``, ``briefs_terms`` and
    ``briefs_settings`` of the published snapshot."""

    risk_weights: Mapping[str, float]
    risk_labels: Mapping[str, Mapping[str, str]]
    """language → risk kind → label."""
    pending_approval_terms: frozenset[str]
    approval_granted_terms: frozenset[str]
    negative_budget_terms: frozenset[str]
    approval_lookback_days: int
    manager_top_risks: int
    rep_top_keywords: int


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
class SopCard:
    card_id: str
    title: str


@dataclass(frozen=True)
class Opportunity:
    """What a risk line says about the deal (dim_opportunities, the daily snapshot)."""

    customer_name: str | None = None
    amount: float | None = None
    stage: str | None = None
    expected_close_on: dt.date | None = None
    expected_close_raw: str | None = None
    """The expected close as entered, when it is no date (尽快, 待定)."""
    industry: str | None = None
    team_id: str | None = None


@dataclass(frozen=True)
class OpportunityNote:
    opportunity_id: str
    owner_rep_id: str | None
    owner_name: str | None
    signals: tuple[Signal, ...]
    """Signals of the conversation day (empty for a standing risk with no new signal)."""
    risks: tuple[Risk, ...]
    opportunity: Opportunity = field(default_factory=Opportunity)
    card: SopCard | None = None
    """The suggested SOP card 建议打法卡 for the customer's industry and the stage."""
    risk_weight: float = 0.0
    """The sum of the weights of its risks (seed briefs_risk_kinds)."""

    @property
    def amount_at_risk(self) -> float:
        """Amount × the sum of the risk weights: the managers' ranking (0 without an amount)."""
        return (self.opportunity.amount or 0.0) * self.risk_weight


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
    rules: BriefRules

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
    """Opportunities with at least one risk, highest amount at risk first."""

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
    risks: tuple[OpportunityNote, ...]
    """Every opportunity at risk under the unit, highest amount at risk first."""
    team_keywords: tuple[TeamKeywords, ...] = ()

    kind = "manager"

    @property
    def subject_id(self) -> str:
        return self.unit_id

    @property
    def top_risks(self) -> tuple[OpportunityNote, ...]:
        """The first ``manager_top_risks`` (seed briefs_settings) of :attr:`risks`."""
        return self.risks[: self.rules.manager_top_risks]

    @property
    def risk_opportunities(self) -> int:
        return len(self.risks)


@dataclass(frozen=True)
class BriefInputs:
    """What :func:`salesops.briefs.load.load_brief_inputs` reads; plain rows, no handle."""

    as_of: dt.date | None
    rules: BriefRules
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
    opportunities: dict[str, Opportunity] = field(default_factory=dict)
    """opportunity_id → customer, amount, stage, expected close, industry, team."""
    recommendations: list[dict] = field(default_factory=list)
    """Rank-1 rows of fct_sop_recommendations: unit_id, industry, stage, card_id, title."""
