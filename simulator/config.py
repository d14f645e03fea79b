"""Every parameter of the simulator, with its default, in one tree of dataclasses.

A YAML file and ``dotted.key=value`` overrides replace defaults; a key that names no
parameter is an error. Mapping-valued parameters (reason mixes, keyword effects, …) are
data: their entries are merged and new entries are allowed.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml


@dataclass
class TimeConfig:
    end_date: date = date(2026, 10, 31)
    """The extract date: nothing happens after end_date 23:59:59."""
    months: int = 24
    warmup_months: int = 4
    """Opportunities may be created up to this many months before the window (already in flight);
    only their CRM records reach back that far, activities and chat start with the window."""


@dataclass
class VolumeConfig:
    """Volumes at scale factor 1; everything below scales linearly with ``scale``."""

    reps: int = 200
    teams: int = 25
    customers: int = 12000
    opportunities: int = 30000
    extra_lead_ratio: float = 0.6
    """Leads that never became an opportunity, per opportunity."""
    activities_per_opportunity: float = 21.0
    unlinked_activity_share: float = 0.05
    chat_messages_per_opportunity: float = 37.0
    unlinked_conversation_share: float = 0.08
    payments_per_contract_weights: list = field(default_factory=lambda: [0.03, 0.17, 0.8])


@dataclass
class OrgConfig:
    regions: dict = field(
        default_factory=lambda: {
            "华东": ["上海", "杭州", "南京"],
            "华北": ["北京", "天津", "济南"],
            "华南": ["广州", "深圳", "厦门"],
            "华中": ["武汉", "长沙"],
            "西南": ["成都", "重庆"],
        }
    )
    structured_adoption_month: dict = field(
        default_factory=lambda: {"华东": 12, "华南": 12, "华北": 18, "华中": None, "西南": None}
    )
    """Region → month index (0 = first simulated month) when it adopts; None = never."""
    tenured_monthly_attrition: float = 0.02


@dataclass
class AdoptionConfig:
    """Traditional vs structured effects (the article's efficiency table)."""

    lead_to_sign_days: dict = field(
        default_factory=lambda: {"traditional": 86.0, "structured": 62.0}
    )
    retention_90d: dict = field(default_factory=lambda: {"traditional": 0.41, "structured": 0.69})
    attainment_volatility_pp: dict = field(
        default_factory=lambda: {"traditional": 17.0, "structured": 5.0}
    )
    """Spread (pp) of attainment in rep-months with bookings. Months without any signed contract
    (≈7% at scale 1) add to the realised volatility and deviation, so these sit below the
    article's ±22 / ±7 to land near them; truth.json reports both."""
    attainment_mean_shortfall: dict = field(
        default_factory=lambda: {"traditional": 0.2, "structured": 0.05}
    )
    """Mean (committed − bookings) ÷ committed; with the volatility it sets the deviation rate."""
    target_deviation_rate: dict = field(
        default_factory=lambda: {"traditional": 0.286, "structured": 0.092}
    )
    """Article figure, for reference: realised through shortfall and volatility."""
    win_rate: dict = field(default_factory=lambda: {"traditional": 0.55, "structured": 0.63})
    mot_compliance: dict = field(default_factory=lambda: {"traditional": 0.35, "structured": 0.95})
    visit_complete_share_range: dict = field(
        default_factory=lambda: {"traditional": [0.3, 0.5], "structured": [0.55, 0.75]}
    )
    """Per-rep probability that a week's visits record all 5 nodes (else they stop after 4)."""
    lead_response_hours_range: dict = field(
        default_factory=lambda: {"traditional": [3.0, 9.0], "structured": [1.0, 3.0]}
    )
    requirement_doc_share: dict = field(
        default_factory=lambda: {"traditional": 0.4, "structured": 0.9}
    )
    legal_draft_share: dict = field(default_factory=lambda: {"traditional": 0.4, "structured": 0.9})
    deviation_report_week_share: dict = field(
        default_factory=lambda: {"traditional": 0.3, "structured": 0.95}
    )
    adjustment_request_share: dict = field(
        default_factory=lambda: {"traditional": 0.03, "structured": 0.12}
    )


@dataclass
class CascadeConfig:
    region_over_hq: float = 0.92
    city_over_region: float = 85 / 92
    rep_over_city: float = 76 / 85
    period_noise: float = 0.01
    team_targets: bool = False
    team_over_city: float = 80 / 85
    """Used only with team_targets: Σteam ÷ Σcity; Σrep ÷ Σteam then absorbs the rest."""


@dataclass
class LossConfig:
    true_mix: dict = field(
        default_factory=lambda: {
            "it_fit": 0.44,
            "price": 0.15,
            "competitor": 0.12,
            "requirement_mismatch": 0.09,
            "budget": 0.08,
            "timing": 0.06,
            "relationship": 0.04,
            "other": 0.02,
        }
    )
    stated_as_price: dict = field(
        default_factory=lambda: {
            "it_fit": 0.25,
            "competitor": 0.12,
            "requirement_mismatch": 0.12,
            "budget": 0.12,
            "timing": 0.12,
            "relationship": 0.12,
            "other": 0.12,
        }
    )
    """Probability a rep states ``price`` when the true reason is another one."""
    reason_code_share: dict = field(
        default_factory=lambda: {"traditional": 0.55, "structured": 0.97}
    )
    evidence_share: dict = field(default_factory=lambda: {"traditional": 0.60, "structured": 0.92})
    lost_stage_weights: dict = field(
        default_factory=lambda: {
            "lead": 0.12,
            "qualified": 0.30,
            "quote": 0.30,
            "negotiation": 0.20,
            "contract_approval": 0.08,
        }
    )


@dataclass
class SopConfig:
    cards: int = 40
    reuse_rate: dict = field(default_factory=lambda: {"traditional": 0.15, "structured": 0.74})
    feedback_share: dict = field(default_factory=lambda: {"traditional": 0.55, "structured": 0.92})
    feedback_within_48h_share: float = 0.88
    retirement_candidates: int = 2
    positive_uplift_cards: int = 5
    negative_uplift_cards: int = 2
    positive_uplift: float = 0.7
    negative_uplift: float = -0.5
    """Log-odds effects of using a card on the win probability."""
    retirement_usage_threshold: float = 0.15
    retirement_negative_threshold: float = 0.40


@dataclass
class ForecastConfig:
    lock_days: list = field(default_factory=lambda: [1, 8, 15, 22])
    new_rep_months: int = 6
    new_rep_bias: float = 0.8
    tenured_bias: float = 0.1
    noise_sd_by_lock: list = field(default_factory=lambda: [0.30, 0.20, 0.12, 0.05])


@dataclass
class HygieneConfig:
    bad_close_date_share: dict = field(
        default_factory=lambda: {"traditional": 0.73, "structured": 0.10}
    )
    empty_share_of_bad: float = 0.5
    close_date_words: list = field(
        default_factory=lambda: ["尽快", "月底前", "待定", "ASAP", "下个月", "年底前", "看客户"]
    )
    flat_probability: float = 0.5
    stage_probability: dict = field(
        default_factory=lambda: {
            "lead": 0.1,
            "qualified": 0.2,
            "quote": 0.4,
            "negotiation": 0.6,
            "contract_approval": 0.75,
            "won": 1.0,
            "lost": 0.0,
        }
    )
    legal_draft_probability: float = 0.9
    forecast_inflation_range: list = field(default_factory=lambda: [0.15, 0.5])
    structured_forecast_noise: float = 0.03
    stage_regression_share: float = 0.06


@dataclass
class SyncConfig:
    lag_hours_min: float = 48.0
    lag_hours_max: float = 72.0
    unsynced_share: float = 0.03
    finance_record_hours_max: float = 30.0


@dataclass
class OutlierConfig:
    """Process-health outliers (SPEC §5): rep-weeks pushed far from their same-region peers."""

    share_of_rep_weeks: float = 0.005
    sigma_multiple: float = 6.0
    """Planted value = mean of the k other reps ± this many σ·√(1 + 1/k), the spread of a
    leave-one-out deviation (σ: RMS of the standardised leave-one-out deviations of the region's
    rep-weeks in the same process regime, the estimator the marts use)."""
    min_peers: int = 5
    """Only rep-weeks with at least this many other reps in the region-week are planted (the
    marts' default minimum peer sample)."""
    warmup_weeks: int = 13
    """No planting in the window's first weeks, nor in a region's first weeks of the structured
    process: the marts' σ is trailing (13 weeks) within a regime, and deals in flight when the
    window opens have no activity history before it."""
    metrics: list = field(
        default_factory=lambda: [
            "lead_first_response_hours",
            "visit_node_completion_rate",
            "contract_negotiation_rounds",
        ]
    )
    negotiation_rounds_range: list = field(default_factory=lambda: [2, 4])
    """Natural negotiation rounds per opportunity, integers in this range: uniform, except for
    deals entering contract_approval, whose rep-week is a short or a long one (half of the
    region's reps each week): the range's low or high end, one round nearer the middle for a
    quarter of the deals."""


@dataclass
class KeywordConfig:
    effects: dict = field(
        default_factory=lambda: {
            "预算已批": 0.9,
            "招标": 0.3,
            "领导还没批": -0.7,
            "竞品": -0.5,
            "兼容": -0.6,
        }
    )
    presence: dict = field(
        default_factory=lambda: {
            "预算已批": 0.20,
            "招标": 0.15,
            "领导还没批": 0.18,
            "竞品": 0.15,
            "兼容": 0.12,
        }
    )


@dataclass
class EmergingConfig:
    term: str = "防水等级"
    week_start: date = date(2026, 9, 7)
    team_index: int = 0
    """Index into the sorted team ids."""
    rate: float = 0.35
    requirement_mention_share: float = 0.02


@dataclass
class PiiConfig:
    share: float = 0.015
    kind_weights: dict = field(
        default_factory=lambda: {
            "mobile": 0.40,
            "landline": 0.12,
            "email": 0.18,
            "wechat": 0.15,
            "id_card": 0.08,
            "bank_card": 0.07,
        }
    )


@dataclass
class EventsConfig:
    seasonality: dict = field(
        default_factory=lambda: {
            1: 0.9,
            2: 0.6,
            3: 1.0,
            4: 1.0,
            5: 1.0,
            6: 1.05,
            7: 0.95,
            8: 0.95,
            9: 1.05,
            10: 1.15,
            11: 1.25,
            12: 1.3,
        }
    )
    """Month → relative intensity of new opportunities (春节 dip, Q4 high)."""
    competitor_events_per_region_month: float = 1.5
    competitors: list = field(
        default_factory=lambda: ["鼎新科技", "恒远智能", "华拓信息", "云启软件", "科瑞达"]
    )
    deviation_reason_mix: dict = field(
        default_factory=lambda: {"A": 0.32, "B": 0.26, "C": 0.22, "D": 0.20}
    )
    adjustment_status_mix: dict = field(
        default_factory=lambda: {"adopted": 0.5, "rejected": 0.32, "pending": 0.18}
    )


@dataclass
class FieldConfig:
    """The field world (issue 11): a business that behaves like a real B2B one and was not
    written against the product. Off by default (``enabled: false``): with it off, nothing
    below is read and every other table is drawn exactly as before. Every behaviour it turns
    on draws from random streams of its own (see ``generate._Simulation.field_rng``)."""

    enabled: bool = False
    amount_sigma: float = 0.55
    """σ of log deal size (the default world's 0.55 gives a light tail; a real B2B book is
    dominated by a few large deals: σ ≈ 1.5 puts half of won value in the top tenth)."""
    cycle_median_days: dict = field(
        default_factory=lambda: {"traditional": 80.0, "structured": 60.0}
    )
    """Median created → close cycle; cycles are lognormal around it (long right tail)."""
    cycle_sigma: float = 0.75
    year_end_rush_share: float = 0.0
    """Share of the won deals due to close between mid-November and mid-January that the
    customer's year-end budget pulls into the last two weeks of December."""
    midquarter_departure_share: float = 0.0
    """Share of seats whose tenured rep resigns in the middle month of a quarter (deals go to
    the successor, who starts the next day)."""
    reassignment_share: float = 0.0
    """Share of opportunities handed to another rep of the same team while open (territory or
    account rebalancing); the change shows in later extracts and in stage history changed_by."""
    lexicon: bool = False
    """Chat, activity notes and evidence phrasings come from ``simulator.field_lexicon``."""
    price_talk_in_won_share: float = 0.3
    """Won deals with a customer message haggling over price."""
    negated_mention_share: float = 0.15
    """Opportunities with a message that names a loss topic only to deny it (不是价格的问题)."""
    typo_share: float = 0.08
    traditional_share: float = 0.06
    small_talk_share: float = 0.25
    """Customer and rep messages replaced by small talk (greetings, logistics, holidays)."""
    natural_process_variation: bool = False
    """Lead response, visit completion and negotiation rounds vary naturally (lognormal,
    per-visit Bernoulli, negative binomial) instead of two balanced levels."""
    outlier_quantile: float = 0.999
    outlier_factor: float = 1.6
    """Planted rep-week value = this factor × the given quantile of the natural rep-week values
    of the metric (the generating distribution's own tail; low metrics: 1 node of 5)."""
    vendor_profile: str | None = None
    """Write opportunities, leads and customers as a 国产 CRM CSV export (Chinese headers,
    Chinese stage names, ¥ amounts, 2026/03/05 dates) to be read with this mapping profile."""
    dirty_rows: dict = field(default_factory=dict)
    """Per vendor table (opportunities, leads, customers): planted dirty rows per kind
    (bad_date, unknown_stage, missing_key), which ingest must quarantine."""


@dataclass
class SimulatorConfig:
    seed: int = 42
    scale: float = 1.0
    time: TimeConfig = field(default_factory=TimeConfig)
    volume: VolumeConfig = field(default_factory=VolumeConfig)
    org: OrgConfig = field(default_factory=OrgConfig)
    adoption: AdoptionConfig = field(default_factory=AdoptionConfig)
    cascade: CascadeConfig = field(default_factory=CascadeConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    sop: SopConfig = field(default_factory=SopConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    hygiene: HygieneConfig = field(default_factory=HygieneConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    outliers: OutlierConfig = field(default_factory=OutlierConfig)
    keywords: KeywordConfig = field(default_factory=KeywordConfig)
    emerging: EmergingConfig = field(default_factory=EmergingConfig)
    pii: PiiConfig = field(default_factory=PiiConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    field_world: FieldConfig = field(default_factory=FieldConfig)

    def to_dict(self) -> dict:
        out = _plain(dataclasses.asdict(self))
        if not self.field_world.enabled:  # worlds without it keep the manifest they always had
            out.pop("field_world")
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


class ConfigError(ValueError):
    pass


def _coerce(current: Any, new: Any, key: str) -> Any:
    if isinstance(current, date) and isinstance(new, str):
        try:
            return date.fromisoformat(new)
        except ValueError:
            raise ConfigError(f"config key {key!r}: {new!r} is not a YYYY-MM-DD date") from None
    if isinstance(current, bool) and not isinstance(new, bool):
        raise ConfigError(f"config key {key!r}: expected true/false, got {new!r}")
    if isinstance(current, float) and isinstance(new, int) and not isinstance(new, bool):
        return float(new)
    return new


def _apply(target: Any, key_path: list[str], value: Any, full_key: str) -> None:
    head, rest = key_path[0], key_path[1:]
    if dataclasses.is_dataclass(target):
        names = {f.name for f in dataclasses.fields(target)}
        if head not in names:
            raise ConfigError(
                f"unknown config key {full_key!r} ({head!r} is not one of: {', '.join(sorted(names))})"
            )
        current = getattr(target, head)
        if rest:
            if not (dataclasses.is_dataclass(current) or isinstance(current, dict)):
                raise ConfigError(f"unknown config key {full_key!r} ({head!r} has no sub-keys)")
            _apply(current, rest, value, full_key)
        elif dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"config key {full_key!r} is a section: give a mapping")
            for k, v in value.items():
                _apply(current, [str(k)], v, f"{full_key}.{k}")
        elif isinstance(current, dict) and isinstance(value, dict):
            for k, v in value.items():
                _apply(current, [k], v, f"{full_key}.{k}")
        else:
            setattr(target, head, _coerce(current, value, full_key))
    else:  # a data mapping: entries merge, new entries are allowed
        existing_key = next((k for k in target if str(k) == str(head)), head)
        if isinstance(head, str) and head.lstrip("-").isdigit() and existing_key == head:
            existing_key = int(head)
        if rest:
            sub = target.setdefault(existing_key, {})
            if not isinstance(sub, dict):
                raise ConfigError(f"unknown config key {full_key!r}")
            _apply(sub, rest, value, full_key)
        else:
            target[existing_key] = _coerce(target.get(existing_key), value, full_key)


def load_config(path: Path | None = None, overrides: Sequence[str] = ()) -> SimulatorConfig:
    """Defaults, replaced by the YAML file at ``path`` and then by ``dotted.key=value`` overrides."""
    config = SimulatorConfig()
    if path is not None:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the config file must be a mapping")
        for k, v in data.items():
            _apply(config, [str(k)], v, str(k))
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like dotted.key=value")
        key, raw = item.split("=", 1)
        key = key.strip()
        _apply(config, key.split("."), yaml.safe_load(raw), key)
    _validate(config)
    return config


def _validate(config: SimulatorConfig) -> None:
    if config.scale <= 0:
        raise ConfigError("scale must be positive")
    if config.time.months < 3:
        raise ConfigError("time.months must be at least 3")
    unknown = set(config.org.structured_adoption_month) - set(config.org.regions)
    if unknown:
        raise ConfigError(f"org.structured_adoption_month names unknown regions: {sorted(unknown)}")
    if len(config.forecast.noise_sd_by_lock) != len(config.forecast.lock_days):
        raise ConfigError("forecast.noise_sd_by_lock needs one value per lock day")
