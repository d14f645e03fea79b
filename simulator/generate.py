"""Generate a landing zone (SPEC §3) with planted, documented behaviours.

Time is handled as float days since the first simulated month's first day (00:00,
naive Asia/Shanghai) and turned into timestamps only when the tables are written.
Everything is vectorised with numpy/pandas; Python loops run over org units, seats and
cards only. One ``numpy.random.Generator`` seeded from the config is threaded through.
"""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from faker import Faker
from tqdm import tqdm

from salesops import contract
from simulator import field_lexicon, vocab
from simulator.config import SimulatorConfig
from simulator.truth import compute_realised, pipeline_history

GROUPS = ("traditional", "structured")
OPEN_STAGE_COUNT = 5  # lead .. contract_approval
SEC = 86400.0
# Monthly opportunity extracts (``crm/opportunities_YYYY-MM-DD.csv`` at each month end): how an
# open opportunity's values drift between one month's extract and the next, as reps revise
# them. Drawn from a generator of their own, so the other tables do not change with them.
NOT_SIMULATED = frozenset({"external_contacts"})
"""Contract tables the simulated CRM does not export: its chat already carries opportunity
ids, so it needs no chat-tool contact list to link messages (a real 企业微信 archive does)."""

EXTRACT_DRIFT = {
    "amount_revision_share": 0.18,  # open opportunities whose amount is revised in a month
    "amount_revision_factor": (0.8, 1.25),
    "close_push_share": 0.22,  # open opportunities whose expected close date moves out
    "close_push_days": (7, 45),
    "close_pull_share": 0.06,  # ... or moves in
    "close_pull_days": (5, 25),
}


def _month_start(d: date, add: int) -> date:
    m = d.month - 1 + add
    return date(d.year + m // 12, m % 12 + 1, 1)


class _Clock:
    def __init__(self, end_date: date, months: int):
        self.start = _month_start(end_date, -(months - 1))
        self.end_date = end_date
        self.base = np.datetime64(self.start.isoformat(), "s")
        self.end_t = (end_date - self.start).days + (SEC - 1) / SEC
        self.month_starts = np.array(
            [(_month_start(self.start, i) - self.start).days for i in range(months + 1)],
            dtype=float,
        )
        self.periods = [_month_start(self.start, i).strftime("%Y-%m") for i in range(months)]
        self.start_weekday = self.start.weekday()

    def ts(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        out = np.full(t.shape, np.datetime64("NaT"), dtype="datetime64[s]")
        ok = np.isfinite(t)
        out[ok] = self.base + np.round(t[ok] * SEC).astype("int64").astype("timedelta64[s]")
        return out

    def day_of(self, d: date) -> float:
        return float((d - self.start).days)

    def week_start(self, t) -> np.ndarray:
        day = np.floor(np.asarray(t, dtype=float)).astype("int64")
        return day - (day + self.start_weekday) % 7

    def month_index(self, t) -> np.ndarray:
        return np.searchsorted(self.month_starts, np.asarray(t, dtype=float), side="right") - 1

    def date_str(self, day) -> np.ndarray:
        return (self.base.astype("datetime64[D]") + np.asarray(day, dtype="int64")).astype(str)


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


def _pick(rng: np.random.Generator, options, weights, size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=w / w.sum())]


def _sample_in(rng, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    return lows + rng.random(len(lows)) * np.maximum(highs - lows, 0)


def _work_time(rng, t: np.ndarray) -> np.ndarray:
    """Move times to office hours (08:30–19:00) of their day."""
    return np.floor(t) + (8.5 + rng.random(len(t)) * 10.5) / 24


def _ids(prefix: str, n: int, width: int = 6) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


class _Simulation:
    def __init__(self, config: SimulatorConfig, progress: bool = False):
        self.cfg = config
        self.rng = np.random.default_rng(config.seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(config.seed)
        self.clock = _Clock(config.time.end_date, config.time.months)
        self.scale = config.scale
        self.tables: dict[str, pd.DataFrame] = {}
        self.truth_tables: dict[str, pd.DataFrame] = {}
        self.planted: dict = {}
        self.progress = progress
        self.fw = config.field_world

    def field_rng(self, salt: int) -> np.random.Generator:
        """A stream of the field world's own per behaviour, so that the default and alt worlds
        (field_world off) draw exactly what they always drew."""
        return np.random.default_rng([self.cfg.seed, 0xF1E1D, salt])

    # ------------------------------------------------------------------ org and people
    def build_org(self) -> None:
        cfg, rng, clock = self.cfg, self.rng, self.clock
        rows = [("HQ", "hq", None, "总部", None)]
        region_names = list(cfg.org.regions)
        region_ids, region_since, cities = [], [], []
        for i, name in enumerate(region_names, 1):
            rid = f"R{i}"
            month = cfg.org.structured_adoption_month.get(name)
            since = _month_start(clock.start, int(month)) if month is not None else None
            if since is not None and since > clock.end_date:
                since = None
            rows.append((rid, "region", "HQ", f"{name}大区", since))
            region_ids.append(rid)
            region_since.append(since)
            for city in cfg.org.regions[name]:
                cities.append((f"C{len(cities) + 1:02d}", city, rid, since))
        for cid, cname, rid, since in cities:
            rows.append((cid, "city", rid, cname, since))
        n_teams = max(len(cities), round(cfg.volume.teams * self.scale))
        per_city = 1 + _largest_remainder(n_teams - len(cities), np.ones(len(cities)))
        teams = []
        for (cid, cname, rid, since), k in zip(cities, per_city, strict=True):
            for j in range(k):
                tid = f"T{len(teams) + 1:03d}"
                teams.append((tid, cid, rid, since))
                rows.append((tid, "team", cid, f"{cname}销售{vocab.TEAM_ORDINALS[j % 8]}", since))
        self.tables["org_units"] = pd.DataFrame(
            rows, columns=list(contract.TABLES["org_units"].column_names)
        )
        self.region_ids = region_ids
        self.region_names = region_names
        self.region_since_day = np.array(
            [clock.day_of(s) if s else np.inf for s in region_since], dtype=float
        )
        self.city_ids = [c[0] for c in cities]
        self.city_names = [c[1] for c in cities]
        self.city_region = np.array([region_ids.index(c[2]) for c in cities])
        self.team_ids = [t[0] for t in teams]
        self.team_city = np.array([self.city_ids.index(t[1]) for t in teams])
        self.team_region = self.city_region[self.team_city]

        n_seats = max(2 * n_teams, round(cfg.volume.reps * self.scale))
        per_team = 2 + _largest_remainder(n_seats - 2 * n_teams, np.ones(n_teams))
        self.seat_team = np.repeat(np.arange(n_teams), per_team)
        self.seat_weight = rng.lognormal(0, 0.25, n_seats)
        self._build_people()

    def _build_people(self) -> None:
        cfg, rng, clock = self.cfg, self.rng, self.clock
        hazard = cfg.org.tenured_monthly_attrition
        ret = cfg.adoption.retention_90d
        occ = []  # seat, hire_day, term_day (inclusive) or inf
        for seat, team in enumerate(self.seat_team):
            since = self.region_since_day[self.team_region[team]]
            hire = -float(rng.integers(60, 1800))
            term = float(np.floor(rng.exponential(30 / hazard)))
            initial = True
            while True:
                if not initial:
                    group = 1 if hire >= since else 0
                    if rng.random() < ret[GROUPS[group]]:
                        term = hire + 90 + float(np.floor(rng.exponential(30 / hazard)))
                    else:
                        term = hire + float(rng.integers(20, 90))
                if term > clock.end_t:
                    occ.append((seat, hire, np.inf))
                    break
                occ.append((seat, hire, term))
                hire, initial = term + 1, False
        if self.fw.enabled and self.fw.midquarter_departure_share > 0:
            occ = self._midquarter_departures(occ)
        occ_arr = np.array(occ, dtype=float)
        self.rep_seat = occ_arr[:, 0].astype(int)
        self.rep_hire = occ_arr[:, 1]
        self.rep_term = occ_arr[:, 2]
        n = len(occ_arr)
        self.rep_ids = _ids("S", n, 4)
        self.rep_team = self.seat_team[self.rep_seat]
        self.rep_region = self.team_region[self.rep_team]
        self.rep_city = self.team_city[self.rep_team]
        self._seat_keys = self.rep_seat * 100000.0 + self.rep_hire + 5000
        # behaviour bases (bounded, light-tailed)
        a = cfg.adoption
        self.rep_resp = {
            g: _sample_in(
                rng,
                np.full(n, a.lead_response_hours_range[g][0]),
                np.full(n, a.lead_response_hours_range[g][1]),
            )
            for g in GROUPS
        }
        self.rep_visit = {
            g: _sample_in(
                rng,
                np.full(n, a.visit_complete_share_range[g][0]),
                np.full(n, a.visit_complete_share_range[g][1]),
            )
            for g in GROUPS
        }

        names = [self.faker.name() for _ in range(n)]
        hire_dates = clock.date_str(self.rep_hire)
        term_dates = np.where(
            np.isfinite(self.rep_term),
            clock.date_str(np.where(np.isfinite(self.rep_term), self.rep_term, 0)),
            None,
        )
        reps = pd.DataFrame(
            {
                "rep_id": self.rep_ids,
                "name": names,
                "team_id": np.array(self.team_ids, dtype=object)[self.rep_team],
                "role": "rep",
                "hire_date": hire_dates,
                "termination_date": term_dates,
            }
        )
        managers = []
        k = 1
        for unit, role in (
            [("HQ", "hq")]
            + [(r, "region_manager") for r in self.region_ids]
            + [(c, "city_manager") for c in self.city_ids]
        ):
            managers.append(
                (
                    f"M{k:03d}",
                    self.faker.name(),
                    unit,
                    role,
                    clock.date_str([-int(rng.integers(400, 3000))])[0],
                    None,
                )
            )
            k += 1
        reps = pd.concat([reps, pd.DataFrame(managers, columns=reps.columns)], ignore_index=True)
        self.tables["reps"] = reps

    def _midquarter_departures(self, occ: list) -> list:
        """Field world: a share of seats whose rep (hired ≥ 180 days before, still there) resigns
        in the middle month of a quarter; the successor starts the next day and inherits the
        seat's deals."""
        frng, clock = self.field_rng(1), self.clock
        mids = [
            i
            for i in range(3, len(clock.periods))
            if _month_start(clock.start, i).month in (2, 5, 8, 11)
        ]
        last = {}
        for i, (seat, _, _) in enumerate(occ):
            last[seat] = i
        out, self.departure_keys = list(occ), []
        for seat in sorted(last):
            pick, m, offset = (
                frng.random(),
                mids[int(frng.integers(len(mids)))],
                frng.integers(5, 25),
            )
            i = last[seat]
            _, hire, term = occ[i]
            day = float(clock.month_starts[m] + offset)
            if pick >= self.fw.midquarter_departure_share or np.isfinite(term) or hire > day - 180:
                continue
            out[i] = (seat, hire, day)
            out.append((seat, day + 1, np.inf))
            self.departure_keys.append((seat, day))
        return sorted(out, key=lambda r: (r[0], r[1]))

    def opp_rep(self, opp: np.ndarray, t) -> np.ndarray:
        """The rep working opportunity ``opp`` at time ``t``: the occupant of its seat, or of the
        seat it was reassigned to (field world) from the reassignment on."""
        o = self.opp
        seat = o["seat"][opp]
        if "reassign_t" in o:
            seat = np.where(np.asarray(t) >= o["reassign_t"][opp], o["seat2"][opp], seat)
        return self.occupant(seat, t)

    def occupant(self, seat: np.ndarray, t: np.ndarray) -> np.ndarray:
        key = np.asarray(seat) * 100000.0 + np.asarray(t) + 5000
        return np.searchsorted(self._seat_keys, key, side="right") - 1

    def group_at(self, region: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (np.asarray(t) >= self.region_since_day[region]).astype(int)

    # ------------------------------------------------------------------ customers, opportunities
    def build_customers(self) -> None:
        rng = self.rng
        n = max(5 * len(self.city_ids), round(self.cfg.volume.customers * self.scale))
        city = np.sort(rng.integers(0, len(self.city_ids), n))
        industry = _pick(rng, vocab.INDUSTRIES, vocab.INDUSTRY_WEIGHTS, n)
        size = rng.choice(len(vocab.SIZE_BANDS), n, p=vocab.SIZE_WEIGHTS)
        noun = np.array(
            [
                vocab.INDUSTRY_NOUNS[i][j % len(vocab.INDUSTRY_NOUNS[i])]
                for i, j in zip(industry, rng.integers(0, 12, n), strict=True)
            ],
            dtype=object,
        )
        brand = _pick(rng, vocab.BRAND_FIRST, np.ones(len(vocab.BRAND_FIRST)), n) + _pick(
            rng, vocab.BRAND_SECOND, np.ones(len(vocab.BRAND_SECOND)), n
        )
        suffix = _pick(rng, vocab.COMPANY_SUFFIXES, [0.55, 0.2, 0.1, 0.15], n)
        name = np.array(self.city_names, dtype=object)[city] + brand + noun + suffix
        self.cust_city, self.cust_industry, self.cust_size, self.cust_name = (
            city,
            industry,
            size,
            name,
        )
        self.cust_ids = _ids("CU", n, 6)
        self.cust_city_start = np.searchsorted(city, np.arange(len(self.city_ids)))
        self.cust_city_count = np.bincount(city, minlength=len(self.city_ids))

    def build_opportunities(self) -> None:
        cfg, rng, clock = self.cfg, self.rng, self.clock
        n = max(20, round(cfg.volume.opportunities * self.scale))
        months = cfg.time.months
        season = np.array(
            [
                cfg.events.seasonality.get(
                    _month_start(clock.start, m).month,
                    cfg.events.seasonality.get(str(_month_start(clock.start, m).month), 1.0),
                )
                for m in range(months)
            ],
            dtype=float,
        )
        lengths = np.diff(clock.month_starts)
        m_idx = rng.choice(months, n, p=season * lengths / (season * lengths).sum())
        created = _work_time(
            rng, clock.month_starts[m_idx] + np.floor(rng.random(n) * lengths[m_idx])
        )
        # a share of the opportunities was already in flight when the extract window opened, so the
        # first months have closings; their activities and chat before the window are not exported
        warm_days = cfg.time.warmup_months * 30.44
        warm = rng.random(n) < warm_days / (warm_days + clock.month_starts[-1])
        created = np.where(warm, _work_time(rng, -np.ceil(rng.random(n) * warm_days)), created)
        order = np.argsort(created, kind="stable")
        created = created[order]
        seat = rng.choice(len(self.seat_team), n, p=self.seat_weight / self.seat_weight.sum())
        team = self.seat_team[seat]
        city = self.team_city[team]
        region = self.team_region[team]
        cust = self.cust_city_start[city] + np.floor(
            rng.random(n) * self.cust_city_count[city]
        ).astype(int)
        group = self.group_at(region, created)
        product = _pick(rng, vocab.PRODUCT_LINES, np.ones(len(vocab.PRODUCT_LINES)), n)
        size_factor = np.array(vocab.SIZE_AMOUNT_FACTOR)[self.cust_size[cust]]
        amount = np.round(
            rng.lognormal(np.log(120000), cfg.field_world.amount_sigma, n) * size_factor, -2
        )

        # keyword presence and card use are drawn before the outcome
        kw_names = list(cfg.keywords.effects)
        kw = (
            np.column_stack([rng.random(n) < cfg.keywords.presence.get(k, 0.0) for k in kw_names])
            if kw_names
            else np.zeros((n, 0), bool)
        )
        kw_effect = np.array([cfg.keywords.effects[k] for k in kw_names], dtype=float)
        reuse = rng.random(n) < np.where(
            group == 1, cfg.sop.reuse_rate["structured"], cfg.sop.reuse_rate["traditional"]
        )
        self.opp = dict(
            n=n,
            created=created,
            seat=seat,
            team=team,
            city=city,
            region=region,
            cust=cust,
            group=group,
            product=product,
            amount=amount,
            kw=kw,
            kw_names=kw_names,
            reuse=reuse,
        )
        self.build_sop_cards()
        card_uplift = self._assign_cards()

        base = np.where(
            group == 1, cfg.adoption.win_rate["structured"], cfg.adoption.win_rate["traditional"]
        )
        logit = np.log(base / (1 - base)) + kw.astype(float) @ kw_effect + card_uplift
        p_win = 1 / (1 + np.exp(-logit))
        won = rng.random(n) < p_win
        lost_stage = rng.choice(
            OPEN_STAGE_COUNT,
            n,
            p=np.array(list(cfg.loss.lost_stage_weights.values()))
            / sum(cfg.loss.lost_stage_weights.values()),
        )
        cycle_mean = np.where(
            group == 1,
            cfg.adoption.lead_to_sign_days["structured"],
            cfg.adoption.lead_to_sign_days["traditional"],
        )
        total = rng.gamma(6.0, cycle_mean / 6.0)
        if self.fw.enabled:  # lognormal cycles: most deals close in months, some take a year
            median = np.where(
                group == 1,
                self.fw.cycle_median_days["structured"],
                self.fw.cycle_median_days["traditional"],
            )
            total = median * np.exp(self.field_rng(2).normal(0, self.fw.cycle_sigma, n))
        frac = np.array([0.14, 0.22, 0.26, 0.24, 0.14]) * rng.uniform(0.7, 1.3, (n, 5))
        dwell = np.maximum(frac / frac.sum(1, keepdims=True) * total[:, None], 0.3)
        entry = created[:, None] + np.concatenate(
            [np.zeros((n, 1)), np.cumsum(dwell, 1)[:, :-1]], 1
        )
        terminal = np.where(
            won,
            created + dwell.sum(1),
            entry[np.arange(n), lost_stage]
            + dwell[np.arange(n), lost_stage] * rng.uniform(0.3, 1.0, n),
        )
        reached_plan = np.where(won[:, None], True, np.arange(5)[None, :] <= lost_stage[:, None])
        terminal = _work_time(rng, terminal)
        terminal = np.maximum(terminal, np.max(np.where(reached_plan, entry, -np.inf), 1) + 0.05)
        rushed = np.zeros(n, bool)
        if self.fw.enabled and self.fw.year_end_rush_share > 0:
            terminal, rushed = self._year_end_rush(terminal, won, entry)
        closed = terminal <= clock.end_t
        reached = reached_plan & (entry <= clock.end_t)
        status = np.where(closed, np.where(won, "won", "lost"), "open")
        cur_idx = reached.sum(1) - 1
        stage = np.where(closed, status, np.array(contract.STAGES)[cur_idx])
        end_or_close = np.where(closed, terminal, clock.end_t)
        o = self.opp
        if self.fw.enabled:
            o["rushed"] = rushed
            if self.fw.reassignment_share > 0:
                self._reassign(end_or_close)
        owner = self.opp_rep(np.arange(n), np.minimum(end_or_close, clock.end_t))
        o.update(
            won=won,
            p_win=p_win,
            logit=logit,
            entry=entry,
            dwell=dwell,
            terminal=terminal,
            closed=closed,
            reached=reached,
            status=status,
            stage=stage,
            owner=owner,
            span_end=end_or_close,
        )
        self._loss_reasons()

    def _year_end_rush(self, terminal: np.ndarray, won: np.ndarray, entry: np.ndarray):
        """Field world: won deals due to close between mid-November and mid-January are signed
        in the last two weeks of December (the customer's budget year ends) with the configured
        share, when contract approval was reached by then."""
        frng, clock = self.field_rng(3), self.clock
        n = len(terminal)
        out, rushed = terminal.copy(), np.zeros(n, bool)
        for year in range(clock.start.year - 1, clock.end_date.year + 1):
            dec15, jan1 = clock.day_of(date(year, 12, 15)), clock.day_of(date(year + 1, 1, 1))
            lo, hi = clock.day_of(date(year, 11, 15)), clock.day_of(date(year + 1, 1, 20))
            due = (
                won
                & (terminal >= lo)
                & (terminal < hi)
                & ~((terminal >= dec15) & (terminal < jan1))
            )
            new_t = _work_time(frng, dec15 + np.floor(frng.random(n) * 16.0))
            ok = (
                due
                & (frng.random(n) < self.fw.year_end_rush_share)
                & (new_t > entry[:, 4] + 0.05)
                & (new_t <= clock.end_t)
            )
            out = np.where(ok, new_t, out)
            rushed |= ok
        return out, rushed

    def _reassign(self, span_end: np.ndarray) -> None:
        """Field world: a share of opportunities open for three weeks or more move to another
        seat of the same team at a time within their life (rebalancing, a key account handed to
        a senior rep)."""
        frng, o = self.field_rng(4), self.opp
        n, seat = o["n"], o["seat"]
        first = np.searchsorted(self.seat_team, self.seat_team[seat])
        count = np.bincount(self.seat_team)[self.seat_team[seat]]
        life = span_end - np.maximum(o["created"], 0.0)
        pick = (life > 21) & (frng.random(n) < self.fw.reassignment_share) & (count > 1)
        t = _work_time(frng, np.maximum(o["created"], 0.0) + life * frng.uniform(0.2, 0.8, n))
        step = 1 + np.floor(frng.random(n) * np.maximum(count - 1, 1)).astype(int)
        o["seat2"] = np.where(pick, first + (seat - first + step) % count, seat)
        o["reassign_t"] = np.where(pick, t, np.inf)

    def build_sop_cards(self) -> None:
        cfg, rng, clock = self.cfg, self.rng, self.clock
        titles = vocab.SOP_TITLES
        k = cfg.sop.cards
        rows, uplift = [], np.zeros(k)
        planned_status = np.array(
            ["retired" if i % 13 == 7 else "draft" if i % 10 == 9 else "active" for i in range(k)]
        )
        active_cards = np.flatnonzero(planned_status == "active")
        perm = active_cards[rng.permutation(len(active_cards))]
        n_pos, n_neg, n_ret = (
            cfg.sop.positive_uplift_cards,
            cfg.sop.negative_uplift_cards,
            cfg.sop.retirement_candidates,
        )
        uplift[perm[:n_pos]] = cfg.sop.positive_uplift * rng.uniform(0.8, 1.2, min(n_pos, k))
        uplift[perm[n_pos : n_pos + n_neg]] = cfg.sop.negative_uplift * rng.uniform(
            0.8, 1.2, len(perm[n_pos : n_pos + n_neg])
        )
        candidates = perm[n_pos + n_neg : n_pos + n_neg + n_ret]
        structured_reps = np.flatnonzero(np.isfinite(self.region_since_day[self.rep_region]))
        status, created_day, popularity, neg_share = [], [], np.ones(k), np.full(k, 0.12)
        popularity[candidates] = 0.15
        neg_share[candidates] = 0.6
        for i in range(k):
            title, stage = titles[i % len(titles)]
            if i >= len(titles):
                title = f"{title}(进阶版)"
            industry = vocab.INDUSTRIES[i % 8] if i % 3 == 1 else None
            co_created = (i % 5 == 4 or planned_status[i] == "draft") and len(structured_reps) > 0
            st = planned_status[i]
            cday = (
                float(rng.integers(-400, -30))
                if not co_created
                else float(rng.integers(360, clock.end_t - 30))
            )
            author = (
                self.rep_ids[structured_reps[rng.integers(len(structured_reps))]]
                if co_created
                else None
            )
            must = "；".join(rng.choice(vocab.SOP_MUST_DO, 3, replace=False))
            taboo = "；".join(rng.choice(vocab.SOP_TABOOS, 2, replace=False))
            valid = "；".join(rng.choice(vocab.SOP_VALIDATION, 2, replace=False))
            scenario = f"{industry or '各行业'}客户处于{contract.STAGE_LABELS_ZH[stage]}阶段,遇到「{title}」场景时使用"
            rows.append(
                (
                    f"SOP{i + 1:03d}",
                    title,
                    scenario,
                    must,
                    taboo,
                    valid,
                    industry,
                    stage,
                    vocab.PERMISSION_LEVELS[i % 3],
                    "co-created" if co_created else "ops",
                    author,
                    st,
                    cday,
                )
            )
            status.append(st)
            created_day.append(cday)
        cols = list(contract.TABLES["sop_cards"].column_names)
        df = pd.DataFrame(rows, columns=cols)
        df["created_at"] = clock.ts(_work_time(rng, np.array(created_day)))
        self.tables["sop_cards"] = df
        self.card_uplift = uplift
        self.card_status = np.array(status)
        self.card_created = np.array(created_day)
        self.card_industry = df["industry"].to_numpy()
        self.card_popularity = popularity
        self.card_neg_share = neg_share
        self.card_candidates = candidates

    def _assign_cards(self) -> np.ndarray:
        """Cards used on opportunities with a use; returns the summed uplift per opportunity."""
        rng, o = self.rng, self.opp
        n = o["n"]
        usable = self.card_status != "draft"
        ind = self.cust_industry[o["cust"]]
        n_uses = np.where(o["reuse"], 1 + (rng.random(n) < 0.4), 0)
        opp_idx = np.repeat(np.arange(n), n_uses)
        card = np.zeros(len(opp_idx), int)
        for industry in vocab.INDUSTRIES:
            sel = ind[opp_idx] == industry
            ok = usable & ((self.card_industry == industry) | pd.isna(self.card_industry))
            w = self.card_popularity * ok
            card[sel] = rng.choice(len(w), sel.sum(), p=w / w.sum())
        pair = pd.DataFrame({"opp": opp_idx, "card": card}).drop_duplicates()
        uplift = np.zeros(n)
        np.add.at(uplift, pair["opp"].to_numpy(), self.card_uplift[pair["card"].to_numpy()])
        self.card_use = pair.reset_index(drop=True)
        return uplift

    def _loss_reasons(self) -> None:
        cfg, rng, o = self.cfg, self.rng, self.opp
        n = o["n"]
        reasons = list(cfg.loss.true_mix)
        w = np.array([cfg.loss.true_mix[r] for r in reasons], float)
        true = np.array(reasons, dtype=object)[rng.choice(len(reasons), n, p=w / w.sum())]
        lost = o["status"] == "lost"
        true = np.where(lost, true, None)
        g = o["group"]
        has_code = lost & (
            rng.random(n)
            < np.where(
                g == 1,
                cfg.loss.reason_code_share["structured"],
                cfg.loss.reason_code_share["traditional"],
            )
        )
        has_evidence = lost & (
            rng.random(n)
            < np.where(
                g == 1,
                cfg.loss.evidence_share["structured"],
                cfg.loss.evidence_share["traditional"],
            )
        )
        p_price = np.array(
            [cfg.loss.stated_as_price.get(t, 0.0) if t is not None else 0.0 for t in true]
        )
        stated = np.where(rng.random(n) < p_price, "price", true)
        stated = np.where(has_code, stated, None)
        text_idx = rng.integers(0, 3, n)
        stated_text = np.array(
            [
                vocab.STATED_REASON_TEXT[s][i % len(vocab.STATED_REASON_TEXT[s])]
                if s is not None
                else None
                for s, i in zip(stated, text_idx, strict=True)
            ],
            dtype=object,
        )
        o.update(
            true_reason=true,
            has_code=has_code,
            has_evidence=has_evidence,
            stated=stated,
            stated_text=stated_text,
        )

    # ------------------------------------------------------------------ leads, stage history, qualification
    def build_leads_and_history(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        n = o["n"]
        lead_created = o["created"] - rng.uniform(0, 3, n)
        n_extra = round(n * cfg.volume.extra_lead_ratio)
        ex_t = _work_time(rng, rng.uniform(0, clock.end_t - 1, n_extra))
        ex_seat = rng.choice(
            len(self.seat_team), n_extra, p=self.seat_weight / self.seat_weight.sum()
        )
        ex_city = self.team_city[self.seat_team[ex_seat]]
        ex_cust = self.cust_city_start[ex_city] + np.floor(
            rng.random(n_extra) * self.cust_city_count[ex_city]
        ).astype(int)
        t = np.concatenate([lead_created, ex_t])
        seat = np.concatenate([o["seat"], ex_seat])
        cust = np.concatenate([o["cust"], ex_cust])
        rep = self.occupant(seat, t)
        region = self.rep_region[rep]
        g = self.group_at(region, t)
        base = np.where(g == 1, self.rep_resp["structured"][rep], self.rep_resp["traditional"][rep])
        lo = np.where(
            g == 1,
            cfg.adoption.lead_response_hours_range["structured"][0],
            cfg.adoption.lead_response_hours_range["traditional"][0],
        )
        hi = np.where(
            g == 1,
            cfg.adoption.lead_response_hours_range["structured"][1],
            cfg.adoption.lead_response_hours_range["traditional"][1],
        )
        jitter = rng.uniform(0.96, 1.04, len(t))
        if self.fw.enabled and self.fw.natural_process_variation:
            hours = self._natural_response_hours(base, len(t))
        else:
            hours = self._balanced_response_hours(region, t, rep, base, lo, hi, jitter)
        order = np.argsort(t, kind="stable")
        lead_ids = np.empty(len(t), dtype=object)
        lead_ids[order] = _ids("L", len(t), 7)
        o["lead_id"] = lead_ids[:n]
        self.leads = dict(
            t=t,
            rep=rep,
            cust=cust,
            hours=hours,
            region=region,
            ids=lead_ids,
            source=_pick(rng, vocab.LEAD_SOURCES, vocab.LEAD_SOURCE_WEIGHTS, len(t)),
            quality=np.round(
                np.clip(rng.normal(np.where(np.arange(len(t)) < n, 65, 45), 15), 0, 100), 1
            ),
        )
        # opportunity ids by creation order (created is sorted already)
        o["ids"] = _ids("OPP", n, 6)

    def _balanced_response_hours(self, region, t, rep, base, lo, hi, jitter) -> np.ndarray:
        # A rep-week is a busy or a calm one (half of a region's reps each week, balanced draw),
        # around the group's mid-range, shifted a little by the rep's own level, ±2% per lead:
        # light tails, so natural rep-weeks stay inside ±2σ of their peers (outliers are planted).
        busy = self._balanced_draw(region, self.clock.week_start(t), rep, np.full(len(t), 0.5))
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        level = (base - mid) / np.maximum(half, 1e-9)
        hours = mid + half * (np.where(busy, 0.5, -0.5) + 0.15 * level)
        return np.clip(hours * (1 + (jitter - 1) / 2), lo, hi)

    def _natural_response_hours(self, base: np.ndarray, n: int) -> np.ndarray:
        """Field world: each lead's wait is lognormal around the rep's own level, and a few
        leads wait out a weekend or a trade fair (no balancing: busy weeks pile up as they do)."""
        frng = self.field_rng(5)
        hours = base * np.exp(frng.normal(0.0, 0.6, n))
        stranded = frng.random(n) < 0.03
        return np.round(np.where(stranded, hours + frng.uniform(20, 70, n), hours), 4)

    def _history(self) -> None:
        cfg, rng, o = self.cfg, self.rng, self.opp
        n = o["n"]
        entry, reached = o["entry"], o["reached"]
        rows_opp, rows_stage, rows_t = [], [], []
        for s in range(OPEN_STAGE_COUNT):
            m = reached[:, s]
            rows_opp.append(np.flatnonzero(m))
            rows_stage.append(np.full(m.sum(), s))
            rows_t.append(entry[m, s])
        closed = o["closed"]
        rows_opp.append(np.flatnonzero(closed))
        rows_stage.append(np.where(o["won"][closed], 5, 6))
        rows_t.append(o["terminal"][closed])
        # planted regressions: negotiation -> quote -> negotiation
        neg = reached[:, 3]
        nxt = np.where(reached[:, 4], entry[:, 4], o["span_end"])
        reg = neg & (rng.random(n) < cfg.hygiene.stage_regression_share) & (nxt - entry[:, 3] > 2)
        d = (nxt - entry[:, 3])[reg]
        rows_opp += [np.flatnonzero(reg), np.flatnonzero(reg)]
        rows_stage += [np.full(reg.sum(), 2), np.full(reg.sum(), 3)]
        rows_t += [entry[reg, 3] + 0.35 * d, entry[reg, 3] + 0.65 * d]
        opp = np.concatenate(rows_opp)
        stg = np.concatenate(rows_stage)
        t = np.concatenate(rows_t)
        # probabilities: bound to stage in structured units, flat in traditional
        rule = np.array([cfg.hygiene.stage_probability[s] for s in contract.STAGES])
        g = o["group"][opp]
        prob = np.where((g == 1) | (stg >= 5), rule[stg], cfg.hygiene.flat_probability)
        legal_before = self.legal_t[opp] <= t
        prob = np.where(
            (g == 1) & (stg == 4) & legal_before, cfg.hygiene.legal_draft_probability, prob
        )
        hist = pd.DataFrame({"opp": opp, "stage": stg, "t": t, "prob": prob})
        hist = hist.sort_values(["opp", "t"], kind="stable").reset_index(drop=True)
        last = hist.groupby("opp", sort=True).tail(1)
        o["probability"] = np.full(n, np.nan)
        o["probability"][last["opp"].to_numpy()] = last["prob"].to_numpy()
        o["regressed"] = reg
        self.history = hist

    def _qualification(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        n = o["n"]
        entry, reached, g = o["entry"], o["reached"], o["group"]
        comp = np.where(
            g == 1,
            cfg.adoption.mot_compliance["structured"],
            cfg.adoption.mot_compliance["traditional"],
        )
        compliant = rng.random(n) < comp
        q_start, q_end = entry[:, 1], np.where(reached[:, 2], entry[:, 2], o["span_end"])
        rows = []
        viol_kind = rng.integers(0, 3, n)
        for k, kind in enumerate(contract.MOT_FACTS):
            has = reached[:, 1] & ((rng.random(n) < 0.9) | reached[:, 2])
            t = q_start + (q_end - q_start) * rng.uniform(0.1, 0.95, n)
            late = reached[:, 2] & ~compliant & (viol_kind == k)
            t = np.where(late, entry[:, 2] + rng.uniform(0.5, 10, n), t)
            missing = late & (rng.random(n) < 0.4)
            keep = has & ~missing & (t <= clock.end_t) & (t <= o["span_end"] + 1e-9)
            rows.append(pd.DataFrame({"opp": np.flatnonzero(keep), "kind": kind, "t": t[keep]}))
        req_share = np.where(
            g == 1,
            cfg.adoption.requirement_doc_share["structured"],
            cfg.adoption.requirement_doc_share["traditional"],
        )
        req = reached[:, 1] & (rng.random(n) < req_share)
        req_t = entry[:, 1] + rng.uniform(0.05, 0.6, n) * o["dwell"][:, 1]
        req &= req_t <= np.minimum(o["span_end"], clock.end_t)
        rows.append(
            pd.DataFrame(
                {"opp": np.flatnonzero(req), "kind": "requirement_doc_uploaded", "t": req_t[req]}
            )
        )
        legal_share = np.where(
            g == 1,
            cfg.adoption.legal_draft_share["structured"],
            cfg.adoption.legal_draft_share["traditional"],
        )
        legal = reached[:, 4] & (rng.random(n) < legal_share)
        legal_t = np.where(
            g == 1,
            entry[:, 4] - rng.uniform(0.05, 1.0, n),
            entry[:, 4] + rng.uniform(0.1, 0.8, n) * o["dwell"][:, 4],
        )
        legal &= legal_t <= np.minimum(o["span_end"], clock.end_t)
        rows.append(
            pd.DataFrame(
                {"opp": np.flatnonzero(legal), "kind": "legal_draft_uploaded", "t": legal_t[legal]}
            )
        )
        self.legal_t = np.where(legal, legal_t, np.inf)
        self.req_doc = req
        self.qual = pd.concat(rows, ignore_index=True)

    # ------------------------------------------------------------------ activities
    def build_activities(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        n = o["n"]
        start, stop = o["created"], np.minimum(o["span_end"], clock.end_t)
        span = np.maximum(stop - start, 0.2)
        # visits
        n_vis = 1 + rng.poisson(np.where(o["reached"][:, 2], 1.6, 0.8))
        v_opp = np.repeat(np.arange(n), n_vis)
        v_t0 = _work_time(rng, start[v_opp] + rng.random(len(v_opp)) * span[v_opp] * 0.9)
        v_t0 = np.minimum(v_t0, stop[v_opp] - 0.01)
        v_t0 = np.maximum(v_t0, start[v_opp])
        in_window = v_t0 >= 0
        v_opp, v_t0 = v_opp[in_window], v_t0[in_window]
        v_rep = self.opp_rep(v_opp, v_t0)
        v_g = self.group_at(self.rep_region[v_rep], v_t0)
        rate = np.where(
            v_g == 1, self.rep_visit["structured"][v_rep], self.rep_visit["traditional"][v_rep]
        )
        v_week = clock.week_start(v_t0)
        vis = pd.DataFrame({"opp": v_opp, "t0": v_t0, "rep": v_rep, "week": v_week, "rate": rate})
        vis = vis.sort_values(["rep", "week", "t0"], kind="stable").reset_index(drop=True)
        # A rep's visits of one week are all complete (5 nodes) with the rep's probability, or
        # all stop before next_step_locked: rep-week completion rates are 0.8 or 1.0. The draw is
        # balanced within the region-week (systematic sampling: as many complete rep-weeks as the
        # reps' probabilities add up to), so no rep-week is alone against all its peers by chance
        # and natural rates stay inside ±2σ of the peers (light tails; outliers are planted).
        rng.random(len(vis))  # the former per-visit draw, kept so the main stream is unchanged
        if self.fw.enabled and self.fw.natural_process_variation:
            # field world: each visit on its own, and an incomplete one stops after 3 or 4 nodes
            frng = self.field_rng(6)
            complete = frng.random(len(vis)) < vis["rate"].to_numpy()
            vis["nodes"] = np.where(complete, 5, np.where(frng.random(len(vis)) < 0.7, 4, 3))
        else:
            complete = self._balanced_draw(
                self.rep_region[vis["rep"].to_numpy()],
                vis["week"].to_numpy(),
                vis["rep"].to_numpy(),
                vis["rate"].to_numpy(),
            )
            vis["nodes"] = np.where(complete, 5, 4)
        self.visits = vis
        self.activity_parts = []
        # other activities
        mean_span = span.mean()
        other_n = rng.poisson(
            np.maximum(cfg.volume.activities_per_opportunity - 13.0, 1.0) * span / mean_span
        )
        a_opp = np.repeat(np.arange(n), other_n)
        a_t = _work_time(rng, start[a_opp] + rng.random(len(a_opp)) * span[a_opp])
        a_t = np.clip(a_t, start[a_opp], stop[a_opp])
        self._add_acts(a_opp, a_t, _pick(rng, vocab.ACTIVITY_KINDS, np.ones(5), len(a_opp)))
        # demo for opportunities that reached quote
        d_opp = np.flatnonzero(o["reached"][:, 2])
        d_t = o["entry"][d_opp, 2] - rng.uniform(0.5, 3, len(d_opp))
        self._add_acts(
            d_opp, np.maximum(d_t, start[d_opp]), np.full(len(d_opp), "demo", dtype=object)
        )
        # negotiation rounds (bounded): uniform in the range; for opportunities entering
        # contract_approval (the metric's rep-week), the rep-week is a short or a long one
        # (balanced draw within the region-week) and each deal takes the range's end or one
        # round less, so rep-week means stay inside ±2σ of the peers (outliers are planted)
        ng = np.flatnonzero(o["reached"][:, 3])
        lo_r, hi_r = (int(x) for x in cfg.outliers.negotiation_rounds_range)
        rounds = rng.integers(lo_r, hi_r + 1, len(ng))
        to_ca = o["reached"][ng, 4]
        if self.fw.enabled and self.fw.natural_process_variation:
            # field world: rounds per deal are 1 + negative binomial (mean ≈ 3.4, long right tail)
            rounds = 1 + self.field_rng(7).negative_binomial(2, 0.45, len(ng))
            self.neg_rounds = pd.DataFrame({"opp": ng, "rounds": rounds})
            return
        t_ca = o["entry"][ng[to_ca], 4]
        rep_ca = self.opp_rep(ng[to_ca], t_ca)
        long_week = self._balanced_draw(
            self.rep_region[rep_ca], clock.week_start(t_ca), rep_ca, np.full(len(t_ca), 0.5)
        )
        one_off = (self._variation_rng().random(len(t_ca)) < 0.25) & (hi_r > lo_r)
        rounds[to_ca] = np.where(long_week, hi_r - one_off, lo_r + one_off)
        self.neg_rounds = pd.DataFrame({"opp": ng, "rounds": rounds})

    def _add_acts(self, opp, t, kind, node=None, visit=None, rep=None):
        if rep is None:
            rep = self.opp_rep(opp, t) if opp is not None else None
        self.activity_parts.append(
            pd.DataFrame(
                {
                    "opp": opp,
                    "t": t,
                    "kind": kind,
                    "rep": rep,
                    "node": node if node is not None else None,
                    "visit": visit if visit is not None else None,
                }
            )
        )

    def finish_activities(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        vis = self.visits
        # visit node rows
        v_rep_rows = np.repeat(np.arange(len(vis)), vis["nodes"].to_numpy())
        node_idx = (
            np.concatenate([np.arange(k) for k in vis["nodes"].to_numpy()])
            if len(vis)
            else np.array([], int)
        )
        gaps = rng.uniform(0.3, 6, len(v_rep_rows)) / 24
        gaps[node_idx == 0] = 0
        t_nodes = (
            vis["t0"].to_numpy()[v_rep_rows]
            + pd.Series(gaps).groupby(v_rep_rows).cumsum().to_numpy()
        )
        visit_order = np.argsort(vis["t0"].to_numpy(), kind="stable")
        visit_ids = np.empty(len(vis), dtype=object)
        visit_ids[visit_order] = _ids("V", len(vis), 7)
        node_rep = vis["rep"].to_numpy()[v_rep_rows]
        keep = (t_nodes <= clock.end_t) & (t_nodes < self.rep_term[node_rep] + 1)
        nodes = np.array(contract.VISIT_NODES, dtype=object)[node_idx]
        self._add_acts(
            vis["opp"].to_numpy()[v_rep_rows][keep],
            t_nodes[keep],
            np.full(keep.sum(), "visit", dtype=object),
            node=nodes[keep],
            visit=visit_ids[v_rep_rows][keep],
            rep=vis["rep"].to_numpy()[v_rep_rows][keep],
        )
        # negotiation activities
        nr = self.neg_rounds
        r_opp = np.repeat(nr["opp"].to_numpy(), nr["rounds"].to_numpy())
        lo = o["entry"][r_opp, 3]
        hi = np.where(
            o["reached"][r_opp, 4],
            o["entry"][r_opp, 4],
            np.minimum(o["span_end"][r_opp], clock.end_t),
        )
        r_t = np.clip(lo + rng.random(len(r_opp)) * (hi - lo), lo, hi)
        self._add_acts(r_opp, r_t, np.full(len(r_opp), "negotiation", dtype=object))
        # prospecting calls without opportunity
        n_un = round(
            cfg.volume.unlinked_activity_share * cfg.volume.activities_per_opportunity * o["n"]
        )
        u_t = _work_time(rng, rng.uniform(0, clock.end_t - 1, n_un))
        u_seat = rng.choice(len(self.seat_team), n_un)
        part = pd.DataFrame(
            {
                "opp": -1,
                "t": u_t,
                "kind": "call",
                "rep": self.occupant(u_seat, u_t),
                "node": None,
                "visit": None,
            }
        )
        acts = pd.concat(self.activity_parts + [part], ignore_index=True)
        acts = acts[acts["t"] >= 0]
        acts = acts.sort_values(["t", "rep"], kind="stable").reset_index(drop=True)
        # notes
        note = pd.Series(None, index=acts.index, dtype=object)
        prod = pd.Series(
            np.where(acts["opp"] >= 0, o["product"][acts["opp"].clip(lower=0)], "方案"),
            index=acts.index,
        )
        for kind, pool in vocab.NOTES_BY_KIND.items():
            m = (acts["kind"] == kind) & acts["node"].isna()
            note[m] = _pick(rng, pool, np.ones(len(pool)), int(m.sum()))
        for node, pool in vocab.NOTES_BY_NODE.items():
            m = acts["node"] == node
            note[m] = _pick(rng, pool, np.ones(len(pool)), int(m.sum()))
        note = pd.Series(
            [
                s.replace("{p}", p) if isinstance(s, str) else None
                for s, p in zip(note, prod, strict=True)
            ],
            index=acts.index,
        )
        # evidence notes for lost opportunities (demo node / demo activity)
        ev = o["has_evidence"] & ((o["true_reason"] == "it_fit") | (rng.random(o["n"]) < 0.5))
        cand = acts[
            (acts["opp"] >= 0)
            & ((acts["kind"] == "demo") | (acts["node"] == "demo_recording_uploaded"))
        ]
        cand = cand[ev[cand["opp"].to_numpy()]]
        first = cand.groupby("opp").head(1)
        reasons = o["true_reason"][first["opp"].to_numpy()]
        if self.fw.lexicon:
            frng = self.field_rng(8)
            note[first.index] = [
                self._noisy(frng, self._one(frng, field_lexicon.LOSS_NOTE[r])) for r in reasons
            ]
        else:
            note[first.index] = [vocab.EVIDENCE_NOTE[r] for r in reasons]
        acts["note"] = note
        acts["id"] = _ids("A", len(acts), 8)
        self.acts = acts
        self.note_plants = pd.DataFrame(
            {"activity_id": acts.loc[first.index, "id"].to_numpy(), "label": reasons}
        )

    # ------------------------------------------------------------------ field-world text
    @staticmethod
    def _one(frng: np.random.Generator, pool: list[str]) -> str:
        return pool[int(frng.integers(len(pool)))]

    def _noisy(self, frng: np.random.Generator, text: str) -> str:
        """A pinyin slip and/or traditional characters, at the field world's rates."""
        if frng.random() < self.fw.typo_share:
            text = field_lexicon.add_typos(text, frng)
        if frng.random() < self.fw.traditional_share:
            text = field_lexicon.to_traditional(text)
        return text

    def _field_base_text(self, is_customer: np.ndarray, phone: np.ndarray) -> pd.Series:
        """Field world: customer and rep messages from the lexicon's business talk, a share of
        them small talk."""
        frng = self.field_rng(9)
        nm = len(is_customer)
        cust = np.array(field_lexicon.CUSTOMER_BUSINESS, dtype=object)
        reps = np.array(field_lexicon.REP_BUSINESS, dtype=object)
        small = np.array(field_lexicon.SMALL_TALK, dtype=object)
        text = np.where(
            is_customer,
            cust[frng.integers(0, len(cust), nm)],
            reps[frng.integers(0, len(reps), nm)],
        )
        text = np.where(
            frng.random(nm) < self.fw.small_talk_share,
            small[frng.integers(0, len(small), nm)],
            text,
        )
        prefix = _pick(frng, vocab.TRANSCRIPT_PREFIX, np.ones(len(vocab.TRANSCRIPT_PREFIX)), nm)
        return pd.Series(np.where(phone, prefix + text, text), dtype=object)

    # ------------------------------------------------------------------ chat
    def build_chat(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        n = o["n"]
        per_opp = cfg.volume.chat_messages_per_opportunity
        start, stop = o["created"], np.minimum(o["span_end"], clock.end_t)
        n_conv = 1 + rng.poisson(max(per_opp / 11.0 - 1, 0.1), n)
        c_opp = np.repeat(np.arange(n), n_conv)
        c_seat, c_cust = o["seat"][c_opp], o["cust"][c_opp]
        n_un = round(len(c_opp) * cfg.volume.unlinked_conversation_share)
        un_t = rng.uniform(0, clock.end_t - 1, n_un)
        un_seat = rng.choice(len(self.seat_team), n_un)
        un_city = self.team_city[self.seat_team[un_seat]]
        un_cust = self.cust_city_start[un_city] + np.floor(
            rng.random(n_un) * self.cust_city_count[un_city]
        ).astype(int)
        c_t0 = np.concatenate(
            [start[c_opp] + rng.random(len(c_opp)) * (stop - start)[c_opp] * 0.95, un_t]
        )
        c_t0 = _work_time(rng, c_t0)
        c_t0 = np.concatenate(
            [np.clip(c_t0[: len(c_opp)], start[c_opp], stop[c_opp]), c_t0[len(c_opp) :]]
        )
        c_opp = np.concatenate([c_opp, np.full(n_un, -1)])
        c_seat = np.concatenate([c_seat, un_seat])
        c_cust = np.concatenate([c_cust, un_cust])
        nc = len(c_opp)
        channel = _pick(rng, ["wecom", "dingtalk", "phone_transcript"], [0.55, 0.2, 0.25], nc)
        n_msg = 2 + rng.poisson(9, nc)
        m_conv = np.repeat(np.arange(nc), n_msg)
        pos = np.concatenate([np.arange(k) for k in n_msg])
        phone = channel[m_conv] == "phone_transcript"
        gap = np.where(
            phone, rng.uniform(5, 40, len(m_conv)) / SEC, rng.exponential(8, len(m_conv)) / 1440
        )
        gap[pos == 0] = 0
        sent = c_t0[m_conv] + pd.Series(gap).groupby(m_conv).cumsum().to_numpy()
        first_sender = rng.integers(0, 2, nc)
        is_customer = ((pos + first_sender[m_conv]) % 2 == 1) | (
            (rng.random(len(m_conv)) < 0.15) & (pos > 0)
        )
        keep = (sent <= clock.end_t) & (sent >= 0)
        m_conv, pos, sent, is_customer = m_conv[keep], pos[keep], sent[keep], is_customer[keep]
        m_opp = c_opp[m_conv]
        rep = self.occupant(c_seat[m_conv], sent)
        if "reassign_t" in o:
            linked = m_opp >= 0
            rep[linked] = self.opp_rep(m_opp[linked], sent[linked])
        prod = np.where(m_opp >= 0, o["product"][np.maximum(m_opp, 0)], "产品")
        nm = len(m_conv)
        r_idx = rng.integers(0, len(vocab.REP_TEMPLATES), nm)
        c_idx = rng.integers(0, len(vocab.CUSTOMER_TEMPLATES), nm)
        tmpl = np.where(
            is_customer,
            np.array(vocab.CUSTOMER_TEMPLATES, dtype=object)[c_idx],
            np.array(vocab.REP_TEMPLATES, dtype=object)[r_idx],
        )
        text = _fill(tmpl, prod)
        ph = channel[m_conv] == "phone_transcript"
        prefix = _pick(rng, vocab.TRANSCRIPT_PREFIX, np.ones(len(vocab.TRANSCRIPT_PREFIX)), nm)
        text = np.where(ph, prefix + text, text)
        text = pd.Series(text, dtype=object)
        lex = self.fw.enabled and self.fw.lexicon
        frng = self.field_rng(10)
        plant_kind = np.full(nm, None, dtype=object)
        plant_label = np.full(nm, None, dtype=object)
        if lex:
            text = self._field_base_text(is_customer, ph)
        chat = pd.DataFrame(
            {
                "conv": m_conv,
                "opp": m_opp,
                "sent": sent,
                "customer": is_customer,
                "rep": rep,
                "channel": channel[m_conv],
                "cust": c_cust[m_conv],
            }
        )
        # requirement mentions per product line
        req = (
            chat["customer"]
            & (chat["opp"] >= 0)
            & (rng.random(nm) < cfg.emerging.requirement_mention_share)
        ).to_numpy()
        terms = np.array(
            [
                vocab.REQUIREMENT_TERMS[p][i % 3]
                for p, i in zip(prod[req], rng.integers(0, 3, req.sum()), strict=True)
            ],
            dtype=object,
        )
        tt = _pick(rng, vocab.TERM_TEMPLATES, np.ones(3), int(req.sum()))
        text[req] = _fill(tt, terms, "{t}")
        # emerging term for one team in one week
        team_sorted = sorted(self.team_ids)
        em_team = team_sorted[cfg.emerging.team_index % len(team_sorted)]
        em_team_idx = self.team_ids.index(em_team)
        wk0 = clock.day_of(cfg.emerging.week_start)
        em = (
            chat["customer"].to_numpy()
            & (self.rep_team[rep] == em_team_idx)
            & (sent >= wk0)
            & (sent < wk0 + 7)
            & (rng.random(nm) < cfg.emerging.rate)
        )
        em_templates = field_lexicon.EMERGING_TEMPLATES if lex else vocab.EMERGING_TEMPLATES
        text[em] = _fill(
            _pick(frng if lex else rng, em_templates, np.ones(len(em_templates)), int(em.sum())),
            np.full(em.sum(), cfg.emerging.term, dtype=object),
            "{t}",
        )
        plant_kind[em], plant_label[em] = "emerging_term", cfg.emerging.term
        self.planted["emerging_term"] = {
            "term": cfg.emerging.term,
            "team_id": em_team,
            "week_start": cfg.emerging.week_start.isoformat(),
            "rate": cfg.emerging.rate,
            "messages_planted": int(em.sum()),
        }
        # keyword and evidence messages: ranked customer messages of each opportunity
        cm = chat.index[(chat["customer"]) & (chat["opp"] >= 0)].to_numpy()
        rk = pd.DataFrame({"i": cm, "opp": chat["opp"].to_numpy()[cm], "r": rng.random(len(cm))})
        rk = rk.sort_values(["opp", "r"], kind="stable")
        rk["rank"] = rk.groupby("opp").cumcount()
        kw_names = o["kw_names"]
        for j, k in enumerate(kw_names):
            sel = rk[(rk["rank"] == j)]
            sel = sel[o["kw"][sel["opp"].to_numpy(), j]]
            if lex:
                pool = field_lexicon.SIGNALS[field_lexicon.SIGNAL_OF_KEYWORD[k]]
                text[sel["i"].to_numpy()] = [self._one(frng, pool) for _ in range(len(sel))]
                plant_kind[sel["i"].to_numpy()], plant_label[sel["i"].to_numpy()] = "signal", k
                continue
            text[sel["i"].to_numpy()] = _pick(
                rng, vocab.KEYWORD_TEMPLATES[k], np.ones(len(vocab.KEYWORD_TEMPLATES[k])), len(sel)
            )
        for j in (len(kw_names), len(kw_names) + 1):
            sel = rk[rk["rank"] == j]
            sel = sel[o["has_evidence"][sel["opp"].to_numpy()]]
            reasons = o["true_reason"][sel["opp"].to_numpy()]
            if lex:
                text[sel["i"].to_numpy()] = [
                    self._one(frng, field_lexicon.LOSS_CHAT[r]) for r in reasons
                ]
                plant_kind[sel["i"].to_numpy()] = "loss_evidence"
                plant_label[sel["i"].to_numpy()] = reasons
                continue
            text[sel["i"].to_numpy()] = [
                vocab.EVIDENCE_CHAT[r][j % len(vocab.EVIDENCE_CHAT[r])] for r in reasons
            ]
        if lex:  # price haggling in deals that were won, and topics named only to deny them
            for j, pool, share, kind in (
                (
                    len(kw_names) + 2,
                    field_lexicon.WON_PRICE_TALK,
                    self.fw.price_talk_in_won_share,
                    "won_price_talk",
                ),
                (
                    len(kw_names) + 3,
                    field_lexicon.NEGATED_MENTIONS,
                    self.fw.negated_mention_share,
                    "negated_mention",
                ),
            ):
                sel = rk[rk["rank"] == j]
                hit = frng.random(n) < share
                if kind == "won_price_talk":
                    hit &= o["status"] == "won"
                sel = sel[hit[sel["opp"].to_numpy()]]
                text[sel["i"].to_numpy()] = [self._one(frng, pool) for _ in range(len(sel))]
                plant_kind[sel["i"].to_numpy()], plant_label[sel["i"].to_numpy()] = kind, kind
        # opportunities with evidence but too few customer messages get one appended
        counts = rk.groupby("opp").size()
        short = np.flatnonzero(
            o["has_evidence"]
            & (counts.reindex(np.arange(n), fill_value=0).to_numpy() <= len(kw_names))
            & (stop >= 0)
        )
        if len(short):
            last_conv = (
                pd.DataFrame({"conv": m_conv, "opp": m_opp, "sent": sent})
                .groupby("opp")["sent"]
                .max()
            )
            lo, hi = np.maximum(start[short], 0.0), np.minimum(stop[short], clock.end_t)
            last = last_conv.reindex(short).to_numpy()
            t_new = np.where(np.isnan(last), lo + rng.random(len(short)) * (hi - lo), last + 0.01)
            t_new = np.clip(t_new, lo, hi)
            conv_of = chat.groupby("opp")["conv"].first().reindex(short).to_numpy()
            add = pd.DataFrame(
                {
                    "conv": conv_of,
                    "opp": short,
                    "sent": t_new,
                    "customer": True,
                    "rep": self.opp_rep(short, t_new),
                    "channel": None,
                    "cust": o["cust"][short],
                }
            )
            add["conv"] = np.where(pd.isna(add["conv"]), -1, add["conv"]).astype(int)
            if lex:
                add_text = [
                    self._one(frng, field_lexicon.LOSS_CHAT[r]) for r in o["true_reason"][short]
                ]
                plant_kind = np.concatenate(
                    [plant_kind, np.full(len(short), "loss_evidence", dtype=object)]
                )
                plant_label = np.concatenate([plant_label, o["true_reason"][short]])
            else:
                add_text = [vocab.EVIDENCE_CHAT[r][0] for r in o["true_reason"][short]]
            chat = pd.concat([chat, add], ignore_index=True)
            text = pd.concat([text, pd.Series(add_text, dtype=object)], ignore_index=True)
        if lex:
            text = pd.Series([self._noisy(frng, x) for x in text], dtype=object)
            chat["plant_kind"], chat["plant_label"] = plant_kind, plant_label
        chat["text"] = text.to_numpy()
        chat = self._plant_pii(chat)
        # conversations and ids
        chat = chat.sort_values(["sent", "conv"], kind="stable").reset_index(drop=True)
        conv_codes = chat["conv"].astype(int)
        new_conv = conv_codes < 0
        if new_conv.any():
            conv_codes = conv_codes.where(~new_conv, nc + chat.index.to_series())
        _, conv_seq = np.unique(conv_codes.to_numpy(), return_inverse=True)
        chan_map = pd.Series(channel, index=np.arange(nc))
        chat["channel"] = chat["channel"].where(
            chat["channel"].notna(),
            np.where(
                chat["conv"] >= 0, chan_map.reindex(chat["conv"].clip(lower=0)).to_numpy(), "wecom"
            ),
        )
        chat["conversation_id"] = np.char.add("CV", np.char.zfill(conv_seq.astype(str), 7)).astype(
            object
        )
        chat["message_id"] = _ids("MSG", len(chat), 8)
        contact_k = (chat["cust"].to_numpy() * 7 + chat["rep"].to_numpy()) % 3 + 1
        chat["contact_id"] = np.char.add(
            np.char.add(self.cust_ids[chat["cust"].to_numpy()].astype(str), "-"),
            contact_k.astype(str),
        ).astype(object)
        self.chat = chat

    def _plant_pii(self, chat: pd.DataFrame) -> pd.DataFrame:
        cfg, rng = self.cfg, self.rng
        m = rng.random(len(chat)) < cfg.pii.share
        kinds = list(cfg.pii.kind_weights)
        kind = _pick(rng, kinds, [cfg.pii.kind_weights[k] for k in kinds], int(m.sum()))
        k = len(kind)

        def digits(width):
            return (
                pd.Series(rng.integers(0, 10**width, k))
                .astype(str)
                .str.zfill(width)
                .to_numpy(dtype=object)
            )

        mob = "1" + _pick(rng, list("3456789"), np.ones(7), k) + digits(9)
        style = rng.integers(0, 4, k)
        s = pd.Series(mob)
        mob_fmt = np.select(
            [style == 0, style == 1, style == 2],
            [s, "+86 " + s, (s.str[:3] + " " + s.str[3:7] + " " + s.str[7:])],
            default=(s.str[:3] + "-" + s.str[3:7] + "-" + s.str[7:]),
        )
        land = _pick(rng, vocab.AREA_CODES, np.ones(len(vocab.AREA_CODES)), k) + "-" + digits(8)
        email = (
            _pick(rng, list("abcdefghijklmnopqrstuvwxyz"), np.ones(26), k)
            + digits(6)
            + "@"
            + _pick(rng, vocab.EMAIL_DOMAINS, np.ones(5), k)
        )
        wechat = "wxid_" + _pick(rng, list("abcdefghjkmnpqrstuvwxyz"), np.ones(23), k) + digits(8)
        idc = (
            _pick(rng, ["310", "110", "440", "420", "510", "500", "330", "320"], np.ones(8), k)
            + digits(3)
            + (1960 + rng.integers(0, 45, k)).astype(str).astype(object)
            + digits(2)
            + digits(2)
            + digits(3)
            + _pick(rng, list("0123456789X"), np.ones(11), k)
        )
        bank = "62" + digits(8) + digits(9)
        value = np.select(
            [kind == x for x in kinds],
            [
                {
                    "mobile": mob_fmt,
                    "landline": land,
                    "email": email,
                    "wechat": wechat,
                    "id_card": idc,
                    "bank_card": bank,
                }[x]
                for x in kinds
            ],
        )
        prefix = np.array([vocab.PII_PREFIX[x] for x in kind], dtype=object)
        chat.loc[m, "text"] = (
            chat.loc[m, "text"].to_numpy() + "," + prefix + " " + value.astype(object)
        )
        counts = pd.Series(kind).value_counts()
        self.planted["pii"] = {
            "share": cfg.pii.share,
            "counts": {x: int(counts.get(x, 0)) for x in kinds},
        }
        return chat

    # ------------------------------------------------------------------ finance, targets, forecasts
    def build_finance(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        won = np.flatnonzero(o["status"] == "won")
        self.contract_opp = won
        signed = o["terminal"][won]
        amount = o["amount"][won]
        w = np.array(cfg.volume.payments_per_contract_weights, float)
        k = 1 + rng.choice(len(w), len(won), p=w / w.sum())
        c_idx = np.repeat(np.arange(len(won)), k)
        pos = np.concatenate([np.arange(x) for x in k]) if len(k) else np.array([], int)
        shares = rng.uniform(0.6, 1.4, len(c_idx))
        shares = shares / pd.Series(shares).groupby(c_idx).transform("sum").to_numpy()
        pay_amt = np.round(amount[c_idx] * shares, 2)
        # the last payment takes the rounding remainder
        last = np.r_[c_idx[1:] != c_idx[:-1], True] if len(c_idx) else np.array([], bool)
        paid_before = pd.Series(pay_amt).groupby(c_idx).transform("sum").to_numpy() - pay_amt
        pay_amt = np.where(last, np.round(amount[c_idx] - paid_before, 2), pay_amt)
        delay = np.where(pos == 0, rng.uniform(3, 45, len(c_idx)), rng.uniform(25, 120, len(c_idx)))
        received = _work_time(
            rng, signed[c_idx] + pd.Series(delay).groupby(c_idx).cumsum().to_numpy()
        )
        received = np.maximum(received, signed[c_idx])
        recorded = received + rng.uniform(0.5, cfg.sync.finance_record_hours_max, len(c_idx)) / 24
        lag = rng.uniform(cfg.sync.lag_hours_min, cfg.sync.lag_hours_max, len(c_idx))
        synced = recorded + lag / 24
        unsynced = rng.random(len(c_idx)) < cfg.sync.unsynced_share
        synced = np.where(unsynced | (synced > clock.end_t), np.nan, synced)
        keep = recorded <= clock.end_t
        self.payments = pd.DataFrame(
            {
                "c": c_idx[keep],
                "amount": pay_amt[keep],
                "received": received[keep],
                "recorded": recorded[keep],
                "synced": synced[keep],
            }
        )

    def build_targets(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        months = cfg.time.months
        won = self.contract_opp
        m_sign = clock.month_index(o["terminal"][won])
        book = np.zeros((len(self.rep_ids), months))
        in_window = m_sign >= 0
        np.add.at(
            book, (o["owner"][won][in_window], m_sign[in_window]), o["amount"][won][in_window]
        )
        self.bookings = book
        ms = clock.month_starts
        active = (self.rep_hire[:, None] <= ms[None, :-1] + 14) & (
            self.rep_term[:, None] >= ms[None, 1:] - 14
        )
        rep_i, m_i = np.nonzero(active)
        A = book[rep_i, m_i]
        g = self.group_at(self.rep_region[rep_i], ms[m_i])
        mean_short = np.where(
            g == 1,
            cfg.adoption.attainment_mean_shortfall["structured"],
            cfg.adoption.attainment_mean_shortfall["traditional"],
        )
        vol = (
            np.where(
                g == 1,
                cfg.adoption.attainment_volatility_pp["structured"],
                cfg.adoption.attainment_volatility_pp["traditional"],
            )
            / 100
        )
        att = np.clip(1 - mean_short + rng.normal(0, 1, len(A)) * vol, 0.25, None)
        nz = A > 0
        rep_mean = pd.Series(A[nz]).groupby(rep_i[nz]).mean().reindex(np.arange(len(self.rep_ids)))
        fallback = float(np.median(A[nz])) if nz.any() else 100000.0
        base = rep_mean.fillna(fallback * 0.6).to_numpy()[rep_i]
        committed = np.round(np.where(nz, A / att, base), -3)
        committed = np.maximum(committed, 1000.0)
        signed = np.maximum(ms[m_i] - rng.uniform(1, 5, len(m_i)), self.rep_hire[rep_i] + 1)
        signed = _work_time(rng, signed)
        periods = np.array(clock.periods, dtype=object)
        rows = [
            pd.DataFrame(
                {
                    "period": periods[m_i],
                    "unit_id": self.rep_ids[rep_i],
                    "level": "rep",
                    "kind": "committed",
                    "amount": committed,
                    "signed_at": signed,
                }
            )
        ]
        self.rep_targets = pd.DataFrame(
            {"rep": rep_i, "m": m_i, "committed": committed, "A": A, "group": g}
        )
        cas = cfg.cascade
        noise = lambda size: 1 + rng.normal(0, cas.period_noise, size)  # noqa: E731
        city_rep = (
            pd.DataFrame({"city": self.rep_city[rep_i], "m": m_i, "c": committed})
            .groupby(["city", "m"])["c"]
            .sum()
        )
        city_amt = np.round(city_rep / (cas.rep_over_city * noise(len(city_rep))), -4)
        if cas.team_targets:
            team_rep = (
                pd.DataFrame({"team": self.rep_team[rep_i], "m": m_i, "c": committed})
                .groupby(["team", "m"])["c"]
                .sum()
            )
            team_city = self.team_city[team_rep.index.get_level_values(0)]
            ratio = cas.rep_over_city / cas.team_over_city
            team_amt = np.round(team_rep / (ratio * noise(len(team_rep))), -3)
            rows.append(
                pd.DataFrame(
                    {
                        "period": periods[team_rep.index.get_level_values(1)],
                        "unit_id": np.array(self.team_ids, dtype=object)[
                            team_rep.index.get_level_values(0)
                        ],
                        "level": "team",
                        "kind": "assigned",
                        "amount": team_amt.to_numpy(),
                        "signed_at": np.nan,
                    }
                )
            )
            team_sum = (
                pd.Series(
                    team_amt.to_numpy(),
                    index=pd.MultiIndex.from_arrays(
                        [team_city, team_rep.index.get_level_values(1)]
                    ),
                )
                .groupby(level=[0, 1])
                .sum()
            )
            city_amt = np.round(
                team_sum.reindex(city_rep.index) / (cas.team_over_city * noise(len(city_rep))), -4
            )
        rows.append(
            pd.DataFrame(
                {
                    "period": periods[city_amt.index.get_level_values(1)],
                    "unit_id": np.array(self.city_ids, dtype=object)[
                        city_amt.index.get_level_values(0)
                    ],
                    "level": "city",
                    "kind": "assigned",
                    "amount": city_amt.to_numpy(),
                    "signed_at": np.nan,
                }
            )
        )
        reg = (
            pd.Series(
                city_amt.to_numpy(),
                index=pd.MultiIndex.from_arrays(
                    [
                        self.city_region[city_amt.index.get_level_values(0)],
                        city_amt.index.get_level_values(1),
                    ]
                ),
            )
            .groupby(level=[0, 1])
            .sum()
        )
        reg_amt = np.round(reg / (cas.city_over_region * noise(len(reg))), -4)
        rows.append(
            pd.DataFrame(
                {
                    "period": periods[reg_amt.index.get_level_values(1)],
                    "unit_id": np.array(self.region_ids, dtype=object)[
                        reg_amt.index.get_level_values(0)
                    ],
                    "level": "region",
                    "kind": "assigned",
                    "amount": reg_amt.to_numpy(),
                    "signed_at": np.nan,
                }
            )
        )
        hq = reg_amt.groupby(level=1).sum()
        hq_amt = np.round(hq / (cas.region_over_hq * noise(len(hq))), -4)
        rows.append(
            pd.DataFrame(
                {
                    "period": periods[hq_amt.index],
                    "unit_id": "HQ",
                    "level": "hq",
                    "kind": "assigned",
                    "amount": hq_amt.to_numpy(),
                    "signed_at": np.nan,
                }
            )
        )
        self.targets = pd.concat(rows, ignore_index=True)

    def build_forecasts_and_adjustments(self) -> None:
        cfg, rng, clock = self.cfg, self.rng, self.clock
        rt = self.rep_targets
        fc = cfg.forecast
        parts = []
        for li, day in enumerate(fc.lock_days):
            t = clock.month_starts[rt["m"].to_numpy()] + (day - 1)
            ok = (
                (self.rep_hire[rt["rep"]] <= t)
                & (self.rep_term[rt["rep"]] >= t)
                & (t <= clock.end_t)
            )
            sub = rt[ok.to_numpy() if hasattr(ok, "to_numpy") else ok]
            tenure_new = (
                self.rep_hire[sub["rep"]]
                > clock.month_starts[sub["m"].to_numpy()] - fc.new_rep_months * 30.44
            )
            bias = np.where(tenure_new, fc.new_rep_bias, fc.tenured_bias)
            factor = np.clip(
                1 + bias + rng.normal(0, fc.noise_sd_by_lock[li], len(sub)), 0.05, None
            )
            amt = np.where(
                sub["A"] > 0, sub["A"] * factor, sub["committed"] * rng.uniform(0.2, 0.6, len(sub))
            )
            ts = t[ok] + (9 + rng.uniform(0, 9, len(sub))) / 24
            parts.append(
                pd.DataFrame(
                    {
                        "rep": sub["rep"].to_numpy(),
                        "m": sub["m"].to_numpy(),
                        "t": ts,
                        "amount": np.round(amt, -2),
                        "new": tenure_new,
                        "A": sub["A"].to_numpy(),
                        "lock": day,
                    }
                )
            )
        self.forecasts = pd.concat(parts, ignore_index=True)
        # target adjustment requests
        share = np.where(
            rt["group"] == 1,
            cfg.adoption.adjustment_request_share["structured"],
            cfg.adoption.adjustment_request_share["traditional"],
        )
        req = rt[rng.random(len(rt)) < share].reset_index(drop=True)
        t = clock.month_starts[req["m"].to_numpy()] + rng.uniform(3, 20, len(req))
        t = _work_time(rng, np.minimum(t, clock.end_t - 1))
        stat = _pick(
            rng,
            list(cfg.events.adjustment_status_mix),
            list(cfg.events.adjustment_status_mix.values()),
            len(req),
        )
        decided = t + rng.uniform(0.2, 5, len(req))
        stat = np.where(decided > clock.end_t, "pending", stat)
        decided = np.where(stat == "pending", np.nan, decided)
        self.adjustments = pd.DataFrame(
            {
                "rep": req["rep"],
                "m": req["m"],
                "t": t,
                "old": req["committed"],
                "new": np.round(req["committed"] * rng.uniform(0.75, 1.2, len(req)), -3),
                "status": stat,
                "decided": decided,
            }
        )

    def build_reports_and_events(self) -> None:
        cfg, rng, clock = self.cfg, self.rng, self.clock
        weeks = np.arange(clock.week_start([0])[0] + 7, clock.end_t - 7, 7)
        c_idx, w_idx = np.meshgrid(np.arange(len(self.city_ids)), weeks, indexing="ij")
        c_idx, w_idx = c_idx.ravel(), w_idx.ravel()
        g = self.group_at(self.city_region[c_idx], w_idx)
        share = np.where(
            g == 1,
            cfg.adoption.deviation_report_week_share["structured"],
            cfg.adoption.deviation_report_week_share["traditional"],
        )
        m = rng.random(len(c_idx)) < share
        c_idx, w_idx = c_idx[m], w_idx[m]
        mix = cfg.events.deviation_reason_mix
        rtype = _pick(rng, list(mix), list(mix.values()), len(c_idx))
        # scenario from the main stream (as the text index was), the phrasing from a stream of
        # its own, so every other table is unchanged by the wording
        scenario = np.array(
            [
                vocab.DEVIATION_TYPE_SCENARIOS[t][(i % 4) // 2]
                for t, i in zip(rtype, rng.integers(0, 4, len(c_idx)), strict=True)
            ],
            dtype=object,
        )
        phrasing = np.random.default_rng([cfg.seed, 0xD5]).random(len(c_idx))
        texts = np.array(
            [
                vocab.DEVIATION_SCENARIOS[k][2][int(u * len(vocab.DEVIATION_SCENARIOS[k][2]))]
                for k, u in zip(scenario, phrasing, strict=True)
            ],
            dtype=object,
        )
        suffix = _pick(
            rng,
            ["", ",影响本周签约", ",预计下周恢复", ",需总部支持"],
            [0.4, 0.2, 0.2, 0.2],
            len(c_idx),
        )
        submitted = w_idx + 4 + (16 + rng.uniform(0, 1, len(c_idx))) / 24
        self.reports = pd.DataFrame(
            {
                "unit": np.array(self.city_ids, dtype=object)[c_idx],
                "week": w_idx,
                "t": np.minimum(submitted, clock.end_t),
                "type": rtype,
                "text": texts + suffix,
                "scenario": scenario,
                "amount": np.round(rng.lognormal(np.log(200000), 0.6, len(c_idx)), -2)
                * np.where(rng.random(len(c_idx)) < 0.85, 1, np.nan),
            }
        )
        # competitor events
        n_ce = rng.poisson(
            cfg.events.competitor_events_per_region_month * cfg.time.months, len(self.region_ids)
        )
        r = np.repeat(np.arange(len(self.region_ids)), n_ce)
        day = np.floor(rng.uniform(0, clock.end_t, len(r)))
        kind = _pick(rng, vocab.COMPETITOR_KINDS, vocab.COMPETITOR_KIND_WEIGHTS, len(r))
        self.comp = pd.DataFrame(
            {
                "region_id": np.array(self.region_ids, dtype=object)[r],
                "occurred_on": clock.date_str(day),
                "competitor": _pick(
                    rng, cfg.events.competitors, np.ones(len(cfg.events.competitors)), len(r)
                ),
                "kind": kind,
                "magnitude": np.where(
                    kind == "price_cut", np.round(rng.uniform(0.05, 0.3, len(r)), 2), np.nan
                ),
            }
        )
        self.comp = self.comp.drop_duplicates(["region_id", "occurred_on", "competitor", "kind"])
        rows = []
        for name, region, s, e, up in vocab.ADJUSTMENT_MARKET_EVENTS:
            if date.fromisoformat(s) > clock.end_date or date.fromisoformat(e) < clock.start:
                continue
            rid = (
                self.region_ids[self.region_names.index(region)]
                if region in self.region_names
                else None
            )
            label = f"{name}({s[:4]})" if region is None else f"{name}({region}{s[:4]})"
            rows.append((label, rid, s, e, up))
        self.market = pd.DataFrame(
            rows, columns=list(contract.TABLES["market_events"].column_names)
        )

    def build_sop_usage(self) -> None:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        cu = self.card_use
        opp = cu["opp"].to_numpy()
        card = cu["card"].to_numpy()
        lo = o["created"][opp]
        hi = np.minimum(o["span_end"][opp], clock.end_t)
        t = _work_time(rng, lo + rng.uniform(0.05, 0.7, len(opp)) * (hi - lo))
        t = np.clip(t, lo, hi)
        retired_late = (self.card_status[card] == "retired") & (t > clock.end_t - 180)
        too_early = (t < self.card_created[card]) | retired_late
        fallback = np.flatnonzero(
            (self.card_status == "active")
            & (self.card_created < 0)
            & pd.isna(self.card_industry)
            & ~np.isin(np.arange(len(self.card_status)), self.card_candidates)
        )
        card = np.where(
            too_early,
            fallback[rng.integers(0, len(fallback), len(card))] if len(fallback) else card,
            card,
        )
        rep = self.opp_rep(opp, t)
        uses = pd.DataFrame({"card": card, "opp": opp, "t": t, "rep": rep}).drop_duplicates(
            ["card", "opp"]
        )
        uses = uses.sort_values(["t", "card"], kind="stable").reset_index(drop=True)
        uses["usage_id"] = _ids("U", len(uses), 7)
        g = o["group"][uses["opp"].to_numpy()]
        fb = rng.random(len(uses)) < np.where(
            g == 1, cfg.sop.feedback_share["structured"], cfg.sop.feedback_share["traditional"]
        )
        within = rng.random(len(uses)) < cfg.sop.feedback_within_48h_share
        ft = uses["t"].to_numpy() + np.where(
            within, rng.uniform(0.05, 1.95, len(uses)), rng.uniform(2.1, 9, len(uses))
        )
        fb &= ft <= clock.end_t
        neg = self.card_neg_share[uses["card"].to_numpy()]
        u = rng.random(len(uses))
        verdict = np.where(
            u < neg, "not_applicable", np.where(u < neg + (1 - neg) * 0.35, "partially", "fully")
        )
        text = np.array(
            [
                vocab.FEEDBACK_TEXT[v][i % 3]
                for v, i in zip(verdict, rng.integers(0, 3, len(uses)), strict=True)
            ],
            dtype=object,
        )
        text = np.where(rng.random(len(uses)) < 0.8, text, None)
        self.sop_uses = uses
        self.sop_fb = pd.DataFrame(
            {
                "usage_id": uses["usage_id"][fb],
                "t": ft[fb],
                "verdict": verdict[fb],
                "text": text[fb],
            }
        )

    # ------------------------------------------------------------------ outliers
    def _variation_rng(self) -> np.random.Generator:
        """The stream for the planted metrics' natural variation and the planting itself, apart
        from the main one so that changing them leaves every other draw as it was."""
        if not hasattr(self, "_variation_stream"):
            self._variation_stream = np.random.default_rng([self.cfg.seed, 0x0D7])
        return self._variation_stream

    def _balanced_draw(self, region, week, rep, p) -> np.ndarray:
        """One Bernoulli(p) draw per (region, week, rep), returned per input row (p of the key's
        first row). Balanced within each region-week by systematic sampling: the reps are put in
        random order and one random comb of unit spacing crosses their stacked probabilities, so
        each rep keeps its own probability and the region-week's count of hits is floor or ceil
        of Σp."""
        vrng = self._variation_rng()
        rows = pd.DataFrame({"region": region, "week": week, "rep": rep, "p": p})
        keys = rows.drop_duplicates(["region", "week", "rep"]).copy()
        keys["order"] = vrng.random(len(keys))
        keys = keys.sort_values(["region", "week", "order"], kind="stable")
        group = keys.groupby(["region", "week"], sort=False)
        offset = vrng.random(group.ngroups)[group.ngroup().to_numpy()]
        upper = group["p"].cumsum().to_numpy() - offset
        keys["hit"] = np.ceil(upper) - np.ceil(upper - keys["p"].to_numpy()) >= 1
        hits = rows.merge(keys[["region", "week", "rep", "hit"]], on=["region", "week", "rep"])
        return hits["hit"].to_numpy().astype(bool)

    def plant_outliers(self) -> None:
        """Push a share of rep-weeks far from their peers on the planted metrics.

        Peers and σ are the ones the process-health marts use: the other reps of the same
        region in the same week (a rep's termination week is not scored, nor a peer);
        z = (x − m) ÷ (σ·√(1 + 1/k)) with m the mean of the k others and σ the root mean square of
        the standardised deviations (x − m)·√(k/(k+1)) over the region's rep-weeks (the marts pool
        a trailing window of the same process regime; here the larger of the region-regime's and
        the region's σ over the whole window). A planted rep-week is set to m ± ``sigma_multiple``·σ·√(1 + 1/k)
        (visit nodes: 1 of 5 per visit, further out still), on rep-weeks with ≥ ``min_peers``
        others, from ``warmup_weeks`` into the window on.
        """
        cfg, clock, o = self.cfg, self.clock, self.opp
        vrng = self._variation_rng()
        oc = cfg.outliers
        L = self.leads
        metrics = {}
        lw = pd.DataFrame({"rep": L["rep"], "week": clock.week_start(L["t"]), "v": L["hours"]})
        metrics["lead_first_response_hours"] = (lw, "high")
        vis = self.visits
        vw = pd.DataFrame({"rep": vis["rep"], "week": vis["week"], "v": vis["nodes"] / 5.0})
        metrics["visit_node_completion_rate"] = (vw, "low")
        nr = self.neg_rounds
        ng = nr["opp"].to_numpy()
        exit_t = np.where(o["reached"][ng, 4], o["entry"][ng, 4], np.nan)
        # deals whose negotiation began before the activity record are not counted (marts neither)
        ok = np.isfinite(exit_t) & (o["entry"][ng, 3] >= 0)
        nw = pd.DataFrame(
            {
                "rep": self.opp_rep(ng[ok], exit_t[ok]),
                "week": clock.week_start(exit_t[ok]),
                "v": nr["rounds"].to_numpy()[ok].astype(float),
                "row": np.flatnonzero(ok),
            }
        )
        metrics["contract_negotiation_rounds"] = (nw, "high")
        unknown = sorted(set(oc.metrics) - set(metrics))
        if unknown:
            raise ValueError(
                f"outliers.metrics: cannot plant {unknown}; plantable: {sorted(metrics)}"
            )
        active_weeks = self._active_rep_weeks()
        self.natural_quantiles = {}
        n_plant = max(len(oc.metrics), round(oc.share_of_rep_weeks * active_weeks))
        per_metric = _largest_remainder(n_plant, np.ones(len(oc.metrics)))
        taken: set = set()
        out_rows = []
        # a planted week is a full week, with room for its leads' responses before the extract date,
        # and comes after the warm-up, from the window's start and from its region's switch to the
        # structured process (the marts' σ is trailing, per regime; in-flight deals lack history)
        last_week = clock.week_start([clock.end_t])[0] - 7
        first_week = clock.week_start([0.0])[0] + 7 * oc.warmup_weeks
        for metric, k in zip(oc.metrics, per_metric, strict=True):
            df, direction = metrics[metric]
            rw = df.groupby(["rep", "week"], sort=True)["v"].mean().reset_index()
            term = self.rep_term[rw["rep"].to_numpy()]
            rw = rw[~((term >= rw["week"]) & (term < rw["week"] + 7))].reset_index(drop=True)
            rw["region"] = self.rep_region[rw["rep"].to_numpy()]
            rw["regime"] = self.group_at(rw["region"].to_numpy(), rw["week"].to_numpy())
            # weeks since the rep-week's regime began (the window's start for traditional)
            since = self.region_since_day[rw["region"].to_numpy()]
            regime_start = np.where(
                rw["regime"] == 1, clock.week_start(np.where(np.isfinite(since), since, 0.0)), 0
            )
            rw["regime_weeks"] = (
                rw["week"] - np.maximum(regime_start, first_week - 7 * oc.warmup_weeks)
            ) // 7
            peer = rw.groupby(["region", "week"])["v"]
            rw["others"] = peer.transform("size") - 1
            rw = rw[rw["others"] >= 1].copy()
            rw["others_mean"] = (peer.transform("sum").reindex(rw.index) - rw["v"]) / rw["others"]
            rw["dev"] = rw["v"] - rw["others_mean"]
            # σ: the larger of the region-regime's and the whole region's, so that a planted
            # rep-week is at least sigma_multiple σ out whichever of the two a test pools over
            std_sq = rw["dev"] ** 2 * rw["others"] / (rw["others"] + 1)
            by_regime = np.sqrt(std_sq.groupby([rw["region"], rw["regime"]]).mean())
            by_region = np.sqrt(std_sq.groupby(rw["region"]).mean())
            sigma = np.maximum(
                by_regime.reindex(pd.MultiIndex.from_frame(rw[["region", "regime"]])).to_numpy(),
                by_region.reindex(rw["region"]).to_numpy(),
            )
            rw["sigma"] = np.maximum(sigma, 1e-3) * np.sqrt(1 + 1 / rw["others"])
            key = rw["rep"].to_numpy() * 100000 + rw["week"].to_numpy()
            free = ~np.isin(key, np.array(sorted(taken), dtype="int64"))
            cand = rw[
                (rw["others"] >= oc.min_peers)
                & free
                & (rw["week"] >= first_week)
                & (rw["regime_weeks"] >= oc.warmup_weeks)
                & (rw["week"] <= last_week)
                & np.isfinite(rw["sigma"])
            ]
            # one planted rep per region-week and metric: outliers are rare and independent (a
            # region-week with half its reps planted would have no normal peers left)
            cand = cand.iloc[vrng.permutation(len(cand))].drop_duplicates(["region", "week"])
            cand = cand.sort_values(["rep", "week"], kind="stable")
            if len(cand) == 0:
                continue
            pick = cand.iloc[np.sort(vrng.choice(len(cand), min(k, len(cand)), replace=False))]
            natural_q = float(np.quantile(rw["v"], self.fw.outlier_quantile))
            self.natural_quantiles[metric] = round(natural_q, 4)
            for _, r in pick.iterrows():
                rep_i, week = int(r["rep"]), int(r["week"])
                taken.add(rep_i * 100000 + week)
                mean = r["others_mean"]
                sign = 1 if direction == "high" else -1
                target = mean + sign * oc.sigma_multiple * r["sigma"]
                if self.fw.enabled and self.fw.natural_process_variation:
                    # beyond the metric's own natural tail, whatever the peers' spread
                    target = self.fw.outlier_factor * natural_q
                mask = ((df["rep"] == rep_i) & (df["week"] == week)).to_numpy()
                if metric == "lead_first_response_hours":
                    planted = max(target, 0.5)
                    L["hours"][mask] = planted
                elif metric == "visit_node_completion_rate":
                    vis.loc[df.index[mask], "nodes"] = 1
                    planted = 0.2
                else:
                    rows = df.loc[mask, "row"].to_numpy()
                    planted = float(np.ceil(target))
                    nr.loc[nr.index[rows], "rounds"] = int(planted)
                out_rows.append(
                    {
                        "rep_id": self.rep_ids[rep_i],
                        "region_id": self.region_ids[self.rep_region[rep_i]],
                        "week_start": clock.date_str([week])[0],
                        "metric": metric,
                        "direction": direction,
                        "planted_value": round(float(planted), 4),
                        "peer_mean_before": round(float(mean), 4),
                        "peer_sigma_before": round(float(r["sigma"]), 4),
                        "peer_count": int(r["others"]),
                    }
                )
        out = pd.DataFrame(
            out_rows,
            columns=[
                "rep_id",
                "region_id",
                "week_start",
                "metric",
                "direction",
                "planted_value",
                "peer_mean_before",
                "peer_sigma_before",
                "peer_count",
            ],
        )
        self.truth_tables["outlier_rep_weeks"] = out.sort_values(
            ["rep_id", "week_start"]
        ).reset_index(drop=True)
        self.active_rep_weeks = active_weeks

    def _active_rep_weeks(self) -> int:
        weeks = np.arange(self.clock.week_start([0])[0], self.clock.end_t, 7)
        hire, term = self.rep_hire[:, None], self.rep_term[:, None]
        return int(((hire <= weeks[None, :] + 6) & (term >= weeks[None, :])).sum())

    # ------------------------------------------------------------------ assemble
    def assemble(self) -> None:
        clock, o, L = self.clock, self.opp, self.leads
        T = self.tables
        n_leads = len(L["t"])
        resp = L["t"] + L["hours"] / 24
        T["customers"] = self._customers_table()
        T["leads"] = pd.DataFrame(
            {
                "lead_id": L["ids"],
                "customer_id": self.cust_ids[L["cust"]],
                "source": L["source"],
                "created_at": clock.ts(L["t"]),
                "assigned_rep_id": self.rep_ids[L["rep"]],
                "first_response_at": clock.ts(np.where(resp <= clock.end_t, resp, np.nan)),
                "quality_score": L["quality"],
            }
        )
        assert n_leads == len(T["leads"])
        T["opportunities"] = self._opportunities_table()
        h = self.history
        T["opportunity_stage_history"] = pd.DataFrame(
            {
                "opportunity_id": o["ids"][h["opp"]],
                "stage": np.array(contract.STAGES, dtype=object)[h["stage"]],
                "entered_at": clock.ts(h["t"]),
                "probability": h["prob"],
                "changed_by": self.rep_ids[self.opp_rep(h["opp"], h["t"].to_numpy())],
            }
        )
        q = self.qual
        T["qualification_events"] = pd.DataFrame(
            {
                "opportunity_id": o["ids"][q["opp"]],
                "kind": q["kind"],
                "recorded_at": clock.ts(q["t"]),
            }
        )
        a = self.acts
        T["activities"] = pd.DataFrame(
            {
                "activity_id": a["id"],
                "rep_id": self.rep_ids[a["rep"]],
                "opportunity_id": np.where(a["opp"] >= 0, o["ids"][a["opp"].clip(lower=0)], None),
                "visit_id": a["visit"],
                "kind": a["kind"],
                "node": a["node"],
                "occurred_at": clock.ts(a["t"]),
                "note": a["note"],
            }
        )
        tg = self.targets
        T["targets"] = tg.assign(signed_at=clock.ts(tg["signed_at"].to_numpy(dtype=float)))
        ad = self.adjustments
        T["target_adjustments"] = pd.DataFrame(
            {
                "request_id": _ids("TA", len(ad), 6),
                "rep_id": self.rep_ids[ad["rep"]],
                "period": np.array(clock.periods, dtype=object)[ad["m"]],
                "requested_at": clock.ts(ad["t"]),
                "old_amount": ad["old"],
                "new_amount": ad["new"],
                "status": ad["status"],
                "decided_at": clock.ts(ad["decided"]),
            }
        ).sort_values("requested_at", kind="stable")
        T["target_adjustments"]["request_id"] = _ids("TA", len(ad), 6)
        rp = self.reports.sort_values(["t", "unit"], kind="stable")
        T["deviation_reports"] = pd.DataFrame(
            {
                "report_id": _ids("DR", len(rp), 6),
                "unit_id": rp["unit"].to_numpy(),
                "week": clock.date_str(rp["week"].to_numpy()),
                "submitted_at": clock.ts(rp["t"].to_numpy()),
                "reason_type": rp["type"].to_numpy(),
                "reason_text": rp["text"].to_numpy(),
                "deviation_amount": rp["amount"].to_numpy(),
            }
        )
        self.truth_tables["deviation_reports"] = pd.DataFrame(
            {
                "report_id": T["deviation_reports"]["report_id"].to_numpy(),
                "reason_type": rp["type"].to_numpy(),
                "scenario": rp["scenario"].to_numpy(),
                "sop_title": [vocab.DEVIATION_SCENARIOS[k][1] for k in rp["scenario"]],
            }
        )
        f = self.forecasts
        T["forecast_submissions"] = pd.DataFrame(
            {
                "rep_id": self.rep_ids[f["rep"]],
                "period": np.array(clock.periods, dtype=object)[f["m"]],
                "submitted_at": clock.ts(f["t"]),
                "amount": f["amount"],
            }
        )
        T["competitor_events"] = self.comp
        T["market_events"] = self.market
        u = self.sop_uses
        T["sop_usage"] = pd.DataFrame(
            {
                "usage_id": u["usage_id"],
                "card_id": T["sop_cards"]["card_id"].to_numpy()[u["card"]],
                "rep_id": self.rep_ids[u["rep"]],
                "opportunity_id": o["ids"][u["opp"]],
                "used_at": clock.ts(u["t"]),
            }
        )
        fb = self.sop_fb
        T["sop_feedback"] = pd.DataFrame(
            {
                "usage_id": fb["usage_id"],
                "submitted_at": clock.ts(fb["t"]),
                "verdict": fb["verdict"],
                "reason_text": fb["text"],
            }
        )
        c = self.chat
        T["chat_messages"] = pd.DataFrame(
            {
                "message_id": c["message_id"],
                "conversation_id": c["conversation_id"],
                "channel": c["channel"],
                "opportunity_id": np.where(c["opp"] >= 0, o["ids"][c["opp"].clip(lower=0)], None),
                "rep_id": self.rep_ids[c["rep"]],
                "contact_id": c["contact_id"],
                "sender": np.where(c["customer"], "customer", "rep"),
                "sent_at": clock.ts(c["sent"]),
                "text": c["text"],
            }
        )
        won = self.contract_opp
        contract_ids = _ids("HT", len(won), 6)
        T["contracts"] = pd.DataFrame(
            {
                "contract_id": contract_ids,
                "opportunity_id": o["ids"][won],
                "signed_at": clock.ts(o["terminal"][won]),
                "amount": o["amount"][won],
            }
        )
        p = self.payments.sort_values(["received", "c"], kind="stable")
        T["payments"] = pd.DataFrame(
            {
                "payment_id": _ids("PM", len(p), 6),
                "contract_id": contract_ids[p["c"].to_numpy()],
                "amount": p["amount"].to_numpy(),
                "received_at": clock.ts(p["received"].to_numpy()),
                "recorded_in_finance_at": clock.ts(p["recorded"].to_numpy()),
                "synced_to_crm_at": clock.ts(p["synced"].to_numpy()),
            }
        )
        self._truth_tables()

    def _customers_table(self) -> pd.DataFrame:
        rng, clock, L = self.rng, self.clock, self.leads
        n = len(self.cust_ids)
        first = pd.Series(L["t"]).groupby(L["cust"]).min().reindex(np.arange(n))
        created = first.to_numpy() - rng.uniform(0, 30, n)
        created = np.where(np.isnan(created), rng.uniform(-700, clock.end_t - 1, n), created)
        return pd.DataFrame(
            {
                "customer_id": self.cust_ids,
                "name": self.cust_name,
                "industry": self.cust_industry,
                "city_id": np.array(self.city_ids, dtype=object)[self.cust_city],
                "size_band": np.array(vocab.SIZE_BANDS, dtype=object)[self.cust_size],
                "created_at": self.clock.ts(
                    _work_time(rng, np.minimum(created, first.fillna(np.inf).to_numpy()))
                ),
            }
        )

    def _opportunities_table(self) -> pd.DataFrame:
        cfg, rng, clock, o = self.cfg, self.rng, self.clock, self.opp
        n = o["n"]
        g = o["group"]
        amount = o["amount"]
        req_amt = np.where(self.req_doc, np.round(amount * rng.uniform(0.97, 1.03, n), -2), np.nan)
        lo, hi = cfg.hygiene.forecast_inflation_range
        fc = np.where(
            g == 1,
            np.round(amount * (1 + rng.normal(0, cfg.hygiene.structured_forecast_noise, n)), -2),
            np.round(amount * (1 + rng.uniform(lo, hi, n)), -2),
        )
        fc = np.where(rng.random(n) < 0.05, np.nan, fc)
        est = np.where(
            o["closed"],
            o["terminal"],
            o["created"] + np.where(g == 1, 62, 86) * rng.uniform(0.7, 1.5, n),
        )
        est = np.maximum(est + rng.normal(0, 10, n), o["created"] + 7)
        date_txt = clock.date_str(np.floor(est))
        bad_share = np.where(
            g == 1,
            cfg.hygiene.bad_close_date_share["structured"],
            cfg.hygiene.bad_close_date_share["traditional"],
        )
        bad = rng.random(n) < bad_share
        empty = bad & (rng.random(n) < cfg.hygiene.empty_share_of_bad)
        words = _pick(
            rng, cfg.hygiene.close_date_words, np.ones(len(cfg.hygiene.close_date_words)), n
        )
        ecd = np.where(empty, None, np.where(bad, words, date_txt))
        closed_at = np.where(o["closed"], o["terminal"], np.nan)
        return pd.DataFrame(
            {
                "opportunity_id": o["ids"],
                "lead_id": o["lead_id"],
                "customer_id": self.cust_ids[o["cust"]],
                "owner_rep_id": self.rep_ids[o["owner"]],
                "product_line": o["product"],
                "created_at": clock.ts(o["created"]),
                "stage": o["stage"],
                "status": o["status"],
                "amount": amount,
                "forecast_amount": fc,
                "expected_close_date": ecd,
                "probability": o["probability"],
                "requirement_doc_amount": req_amt,
                "closed_at": clock.ts(closed_at),
                "loss_reason_code": o["stated"],
                "loss_reason_text": o["stated_text"],
            }
        )

    def _field_phrasings(self) -> None:
        """Field world: every planted phrasing as written, with what it was planted for
        (``truth/field_phrasings.csv``), and the opportunities with loss evidence."""
        o, c, a = self.opp, self.chat, self.acts
        m = c["plant_kind"].notna().to_numpy()
        chat_rows = pd.DataFrame(
            {
                "source": "chat",
                "record_id": c["message_id"].to_numpy()[m],
                "opportunity_id": np.where(
                    c["opp"].to_numpy()[m] >= 0,
                    o["ids"][c["opp"].clip(lower=0).to_numpy()[m]],
                    None,
                ),
                "kind": c["plant_kind"].to_numpy()[m],
                "label": c["plant_label"].to_numpy()[m],
                "text": c["text"].to_numpy()[m],
            }
        )
        notes = a.set_index("id").loc[self.note_plants["activity_id"]]
        note_rows = pd.DataFrame(
            {
                "source": "activity_note",
                "record_id": self.note_plants["activity_id"].to_numpy(),
                "opportunity_id": o["ids"][notes["opp"].to_numpy()],
                "kind": "loss_evidence",
                "label": self.note_plants["label"].to_numpy(),
                "text": notes["note"].to_numpy(),
            }
        )
        rows = pd.concat([chat_rows, note_rows], ignore_index=True)
        self.truth_tables["field_phrasings"] = rows.sort_values(
            ["source", "record_id"], kind="stable"
        ).reset_index(drop=True)
        self.field_evidence_opps = set(
            rows.loc[rows["kind"] == "loss_evidence", "opportunity_id"].dropna()
        )

    def opportunity_extracts(self) -> list[tuple[str, pd.DataFrame]]:
        """The monthly CRM extracts before the final one: ``(YYYY-MM-DD, table)`` for each month
        end before the end date. The first is a full export; each later one holds the
        opportunities open at some time in its month (created by its end, not closed before it
        began). Every row is the opportunity as it stood at the month's end: stage,
        status, closed_at, probability and loss reason from the history up to then; owner the
        seat's occupant then; amount, forecast and expected close date walked back from the
        final extract through the revisions of :data:`EXTRACT_DRIFT`, so the last extract of
        each opportunity leads to its final values."""
        clock, o = self.clock, self.opp
        final = self.tables["opportunities"]
        rng = np.random.default_rng([self.cfg.seed, 20260331])
        d = EXTRACT_DRIFT
        cuts, opps = [], []
        for m in range(len(clock.periods) - 1):
            cut = clock.month_starts[m + 1] - 1 / SEC
            # the first extract is a full one; later ones hold what was open in their month
            active = (o["created"] <= cut) & (
                ~o["closed"] | (o["terminal"] >= clock.month_starts[m]) | (m == 0)
            )
            opps.append(np.flatnonzero(active))
            cuts.append(np.full(active.sum(), cut))
        if not opps:
            return []
        rows = pd.DataFrame({"opp": np.concatenate(opps), "cut": np.concatenate(cuts)})
        rows["order"] = np.arange(len(rows))
        hist = self.history[["opp", "stage", "t", "prob"]].sort_values("t", kind="stable")
        at_cut = pd.merge_asof(
            rows.sort_values("cut", kind="stable"),
            hist,
            left_on="cut",
            right_on="t",
            by="opp",
            direction="backward",
        ).sort_values("order")
        opp = rows["opp"].to_numpy()
        cut = rows["cut"].to_numpy()
        stage = at_cut["stage"].fillna(0).astype(int).to_numpy()
        is_open = stage < OPEN_STAGE_COUNT
        # revisions between this extract and the opportunity's next one, applied backwards
        n = len(rows)
        factor = np.where(
            is_open & (rng.random(n) < d["amount_revision_share"]),
            rng.uniform(*d["amount_revision_factor"], n),
            1.0,
        )
        u = rng.random(n)
        shift = np.where(
            is_open & (u < d["close_push_share"]),
            -rng.integers(*d["close_push_days"], n, endpoint=True),
            np.where(
                is_open & (u > 1 - d["close_pull_share"]),
                rng.integers(*d["close_pull_days"], n, endpoint=True),
                0,
            ),
        )
        backwards = pd.DataFrame({"opp": opp, "factor": factor, "shift": shift})[::-1]
        scale = backwards.groupby("opp")["factor"].cumprod()[::-1].to_numpy()
        days = backwards.groupby("opp")["shift"].cumsum()[::-1].to_numpy()
        amount = np.round(final["amount"].to_numpy(float)[opp] / scale, -2)
        forecast = np.round(final["forecast_amount"].to_numpy(float)[opp] / scale, -2)
        final_close = final["expected_close_date"].to_numpy(object)[opp]
        close_day = pd.to_datetime(pd.Series(final_close), format="%Y-%m-%d", errors="coerce")
        moved = (close_day + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d")
        close_text = np.where(close_day.notna(), moved.to_numpy(object), final_close)
        status = np.where(stage == 5, "won", np.where(stage == 6, "lost", "open"))
        lost = status == "lost"
        closed_by_cut = o["closed"][opp] & (o["terminal"][opp] <= cut)
        table = pd.DataFrame(
            {
                "opportunity_id": o["ids"][opp],
                "lead_id": o["lead_id"][opp],
                "customer_id": self.cust_ids[o["cust"][opp]],
                "owner_rep_id": self.rep_ids[
                    self.opp_rep(opp, np.minimum(cut, o["span_end"][opp]))
                ],
                "product_line": o["product"][opp],
                "created_at": clock.ts(o["created"][opp]),
                "stage": np.array(contract.STAGES, dtype=object)[stage],
                "status": status,
                "amount": amount,
                "forecast_amount": forecast,
                "expected_close_date": close_text,
                "probability": at_cut["prob"].to_numpy(float),
                "requirement_doc_amount": final["requirement_doc_amount"].to_numpy(float)[opp],
                "closed_at": clock.ts(np.where(closed_by_cut, o["terminal"][opp], np.nan)),
                "loss_reason_code": np.where(lost, o["stated"][opp], None),
                "loss_reason_text": np.where(lost, o["stated_text"][opp], None),
            }
        )
        day = np.floor(cut).astype(int)
        return [
            (str(clock.date_str(np.array([k]))[0]), table[day == k].reset_index(drop=True))
            for k in np.unique(day)
        ]

    def _truth_tables(self) -> None:
        o = self.opp
        if self.fw.enabled and self.fw.lexicon:
            self._field_phrasings()
        lost = np.flatnonzero(o["status"] == "lost")
        self.truth_tables["lost_opportunities"] = pd.DataFrame(
            {
                "opportunity_id": o["ids"][lost],
                "group": np.array(GROUPS, dtype=object)[o["group"][lost]],
                "true_reason": o["true_reason"][lost],
                "stated_reason": o["stated"][lost],
                "has_reason_code": o["has_code"][lost],
                "has_evidence": o["has_evidence"][lost],
            }
        )
        kwn = o["kw_names"]
        self.truth_tables["opportunity_signals"] = pd.DataFrame(
            {
                "opportunity_id": o["ids"],
                "group": np.array(GROUPS, dtype=object)[o["group"]],
                "keywords": [
                    "|".join(k for k, f in zip(kwn, row, strict=True) if f) for row in o["kw"]
                ]
                if kwn
                else "",
                "win_probability": np.round(o["p_win"], 4),
                "stage_regression": o["regressed"],
                "status": o["status"],
            }
        )
        cards = self.tables["sop_cards"]
        self.truth_tables["sop_cards"] = pd.DataFrame(
            {
                "card_id": cards["card_id"],
                "status": cards["status"],
                "uplift_log_odds": np.round(self.card_uplift, 4),
                "planted_retirement_candidate": np.isin(
                    np.arange(len(cards)), self.card_candidates
                ),
                "planted_negative_feedback_share": self.card_neg_share,
            }
        )


def _fill(templates: np.ndarray, values: np.ndarray, marker: str = "{p}") -> np.ndarray:
    """Replace ``marker`` in each template by the matching value (vectorised by template)."""
    s = pd.Series(templates, dtype=object)
    parts = s.str.split(marker, n=1, regex=False)
    pre = parts.str[0]
    post = parts.str[1]
    has = post.notna()
    out = pre + pd.Series(np.where(has, values, ""), dtype=object) + post.fillna("")
    return out.to_numpy(dtype=object)


# ---------------------------------------------------------------------- writing
def _format(df: pd.DataFrame, table: contract.Table) -> pd.DataFrame:
    missing = [c for c in table.required_columns if c not in df.columns]
    if missing:
        raise RuntimeError(f"simulator bug: {table.name} lacks contract columns {missing}")
    out = pd.DataFrame(index=df.index)
    # An optional column the simulated CRM does not keep is left out, as a real export would.
    for col in (c for c in table.columns if c.name in df.columns):
        s = df[col.name]
        if col.type == "timestamp":
            s = pd.to_datetime(s)
            out[col.name] = s.dt.strftime("%Y-%m-%d %H:%M:%S").where(s.notna(), None)
        elif col.type == "decimal":
            v = pd.to_numeric(s).astype(float)
            out[col.name] = pd.Series(
                np.char.mod("%.2f", np.nan_to_num(v.to_numpy())), index=df.index, dtype=object
            ).where(v.notna(), None)
        elif col.type == "float":
            v = pd.to_numeric(s).astype(float).round(4)
            out[col.name] = v.map(lambda x: None if pd.isna(x) else f"{x:g}")
        else:
            out[col.name] = s.astype(object).where(s.notna(), None)
    return out.sort_values(list(table.primary_key), kind="stable").reset_index(drop=True)


def _write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding=encoding, lineterminator="\n")


# ---------------------------------------------------------------------- field world: a vendor's export
# A 国产 CRM's CSV export (商机 / 线索 / 客户 lists saved from the web UI, UTF-8 with a BOM for
# Excel): Chinese headers, its own stage and loss-reason labels, ¥ amounts with thousands
# separators or in 万, 2026/03/05 date-times, 2026年03月05日 dates, win rate in percent.
# profiles/field_cn_crm.yaml maps it back to the landing contract.
VENDOR_FILES = {"opportunities": "商机导出", "leads": "线索导出", "customers": "客户导出"}
VENDOR_COLUMNS = {
    "opportunities": {
        "opportunity_id": "商机编号",
        "lead_id": "来源线索",
        "customer_id": "客户编号",
        "owner_rep_id": "负责人工号",
        "product_line": "产品线",
        "created_at": "创建时间",
        "stage": "商机阶段",
        "amount": "商机金额",
        "forecast_amount": "预测金额",
        "expected_close_date": "预计成交日期",
        "probability": "赢率(%)",
        "requirement_doc_amount": "需求确认金额",
        "closed_at": "结单时间",
        "loss_reason_code": "输单原因",
        "loss_reason_text": "输单说明",
    },
    "leads": {
        "lead_id": "线索编号",
        "customer_id": "客户编号",
        "source": "线索来源",
        "created_at": "创建时间",
        "assigned_rep_id": "负责人工号",
        "first_response_at": "首次跟进时间",
        "quality_score": "线索评分",
    },
    "customers": {
        "customer_id": "客户编号",
        "name": "客户名称",
        "industry": "所属行业",
        "city_id": "所在城市编号",
        "size_band": "企业规模",
        "created_at": "创建时间",
    },
}
VENDOR_STAGES = {
    "lead": "初步接洽",
    "qualified": "需求确认",
    "quote": "方案报价",
    "negotiation": "商务谈判",
    "contract_approval": "合同审批",
    "won": "赢单",
    "lost": "输单",
}
VENDOR_LOSS_REASONS = {
    "price": "价格因素",
    "competitor": "竞争对手胜出",
    "it_fit": "技术环境不匹配",
    "requirement_mismatch": "需求不符",
    "budget": "客户无预算",
    "timing": "时机未到",
    "relationship": "客户关系",
    "other": "其他",
}
DIRTY_KINDS = {
    "bad_date": "创建时间",  # a day that does not exist
    "unknown_stage": "商机阶段",  # a stage the vendor added and the profile does not map
    "missing_key": None,  # the row's own id left empty
}


def _vendor_amount(values: pd.Series, in_wan: np.ndarray) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce")
    yuan = v.map(lambda x: None if pd.isna(x) else f"¥{x:,.2f}")
    wan = v.map(lambda x: None if pd.isna(x) else f"{x / 10000:.4f}".rstrip("0").rstrip(".") + "万")
    return yuan.where(~in_wan, wan)


def _vendor_shape(name: str, df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A formatted contract table as the vendor exports it."""
    out = pd.DataFrame(index=df.index)
    for col, header in VENDOR_COLUMNS[name].items():
        if col not in df.columns:
            continue
        s = df[col]
        if col in ("created_at", "closed_at", "first_response_at"):
            s = s.str.replace("-", "/", regex=False)
        elif col in ("amount", "forecast_amount", "requirement_doc_amount"):
            s = _vendor_amount(s, rng.random(len(s)) < 0.2)
        elif col == "stage":
            s = s.map(VENDOR_STAGES)
        elif col == "loss_reason_code":
            s = s.map(VENDOR_LOSS_REASONS)
        elif col == "probability":
            p = pd.to_numeric(s, errors="coerce") * 100
            s = p.map(lambda x: None if pd.isna(x) else f"{x:g}")
        elif col == "expected_close_date":
            is_date = s.fillna("").str.fullmatch(r"\d{4}-\d{2}-\d{2}")
            s = s.where(~is_date, s.str[:4] + "年" + s.str[5:7] + "月" + s.str[8:10] + "日")
        out[header] = s
    return out


def _dirty_rows(
    name: str, shaped: pd.DataFrame, spec: dict, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict]:
    """Rows ingest must quarantine, copied from clean rows and broken one way each, under keys
    no clean row has. Returns the rows and their count per kind."""
    key = next(iter(VENDOR_COLUMNS[name].values()))
    rows, counts = [], {}
    for kind, k in spec.items():
        if kind not in DIRTY_KINDS:
            raise ValueError(
                f"field_world.dirty_rows.{name}: unknown kind {kind!r}; one of {sorted(DIRTY_KINDS)}"
            )
        if kind == "unknown_stage" and name != "opportunities":
            raise ValueError(
                f"field_world.dirty_rows.{name}: unknown_stage applies to opportunities only"
            )
        k = int(k)
        if k <= 0:
            continue
        picked = shaped.iloc[np.sort(rng.choice(len(shaped), k, replace=False))].copy()
        picked[key] = [f"{x}-{kind[:1].upper()}{i}" for i, x in enumerate(picked[key])]
        if kind == "bad_date":
            picked[DIRTY_KINDS[kind]] = [
                f"{x[:4]}/02/30 {x[11:]}" if isinstance(x, str) else "2026/02/30 10:00:00"
                for x in picked[DIRTY_KINDS[kind]]
            ]
        elif kind == "unknown_stage":
            picked["商机阶段"] = "暂停跟进"
        else:
            picked[key] = None
        rows.append(picked)
        counts[kind] = k
    return (pd.concat(rows) if rows else shaped.iloc[:0]), counts


def _write_vendor(config, out_dir: Path, formatted: dict, extracts: list) -> dict:
    """Field world: opportunities (final and monthly), leads and customers in the vendor's
    shape, with planted dirty rows in the final files; returns the manifest entry."""
    fw = config.field_world
    rng = np.random.default_rng([config.seed, 0xF1E1D, 99])
    files, dirty = {}, {}
    for name, base in VENDOR_FILES.items():
        shaped = _vendor_shape(name, formatted[name], rng)
        bad, counts = _dirty_rows(name, shaped, dict(fw.dirty_rows.get(name, {})), rng)
        if len(bad):  # dirty rows sit among the clean ones, as they do in a real export
            at = np.sort(rng.choice(len(shaped) + 1, len(bad)))
            parts, prev = [], 0
            for i, cut in enumerate(at):
                parts += [shaped.iloc[prev:cut], bad.iloc[[i]]]
                prev = cut
            shaped = pd.concat(parts + [shaped.iloc[prev:]], ignore_index=True)
        _write_csv(shaped, out_dir / "crm" / f"{base}.csv", "utf-8-sig")
        files[name] = [f"crm/{base}.csv"]
        dirty[name] = counts
    for day, df in extracts:
        path = f"crm/{VENDOR_FILES['opportunities']}_{day}.csv"
        _write_csv(_vendor_shape("opportunities", df, rng), out_dir / path, "utf-8-sig")
        files["opportunities"].append(path)
    return {
        "profile": fw.vendor_profile,
        "files": files,
        "dirty_rows": dirty,
        "dirty_rows_total": {name: sum(c.values()) for name, c in dirty.items()},
        "definition": "rows planted in the final vendor files that ingest must quarantine: bad_date = "
        "创建时间 on a day that does not exist (YYYY/02/30), unknown_stage = 商机阶段 暂停跟进 (not in "
        "the profile), missing_key = the row's own id empty; each under a key no clean row has",
    }


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def generate(config: SimulatorConfig, out_dir: Path, progress: bool = False) -> dict:
    """Write the landing zone for ``config`` under ``out_dir`` and return the truth manifest."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    sim = _Simulation(config, progress)
    steps = [
        ("org", sim.build_org),
        ("customers", sim.build_customers),
        ("opportunities", sim.build_opportunities),
        ("leads", sim.build_leads_and_history),
        ("qualification", sim._qualification),
        ("history", sim._history),
        ("activities", sim.build_activities),
        ("outliers", sim.plant_outliers),
        ("activity rows", sim.finish_activities),
        ("chat", sim.build_chat),
        ("finance", sim.build_finance),
        ("targets", sim.build_targets),
        ("forecasts", sim.build_forecasts_and_adjustments),
        ("reports", sim.build_reports_and_events),
        ("sop usage", sim.build_sop_usage),
        ("assemble", sim.assemble),
    ]
    bar = tqdm(total=len(steps) + len(contract.TABLES), desc="simulate", disable=not progress)
    for name, step in steps:
        bar.set_postfix_str(name)
        step()
        bar.update()
    formatted = {}
    vendor = config.field_world.enabled and config.field_world.vendor_profile
    for name, table in contract.TABLES.items():
        if name in NOT_SIMULATED:
            bar.update()
            continue
        bar.set_postfix_str(f"write {name}")
        df = _format(sim.tables[name], table)
        formatted[name] = df
        if name == "chat_messages":
            month = df["sent_at"].str[:7]
            chat_dir = out_dir / "chat"
            chat_dir.mkdir(parents=True, exist_ok=True)
            for old in chat_dir.glob("chat_messages_*.jsonl"):
                old.unlink()
            for m in sorted(month.unique()):
                part = df[month == m]
                text = part.to_json(orient="records", lines=True, force_ascii=False)
                (chat_dir / f"chat_messages_{m}.jsonl").write_text(
                    text if text.endswith("\n") else text + "\n", encoding="utf-8"
                )
        elif vendor and name in VENDOR_FILES:
            (out_dir / table.source / f"{name}.csv").unlink(missing_ok=True)
        else:
            _write_csv(df, out_dir / table.source / f"{name}.csv")
        bar.update()
    bar.close()
    extracts = [
        (day, _format(df, contract.TABLES["opportunities"]))
        for day, df in sim.opportunity_extracts()
    ]
    for old in (out_dir / "crm").glob("opportunities_*.csv"):
        old.unlink()
    for old in (out_dir / "crm").glob(f"{VENDOR_FILES['opportunities']}_*.csv"):
        old.unlink()
    if vendor:
        vendor_entry = _write_vendor(config, out_dir, formatted, extracts)
    else:
        for day, df in extracts:
            _write_csv(df, out_dir / "crm" / f"opportunities_{day}.csv")
    manifest = compute_realised(sim, formatted)
    if vendor:
        manifest["field_world"]["vendor_extracts"] = vendor_entry
    manifest["pipeline_history"] = pipeline_history(
        extracts, formatted["opportunities"], config.time.end_date, EXTRACT_DRIFT
    )
    for name, df in sim.truth_tables.items():
        _write_csv(df, out_dir / "truth" / f"{name}.csv")
    manifest["row_counts"] = {name: int(len(df)) for name, df in formatted.items()}
    (out_dir / "truth.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=_json_default)
        + "\n",
        encoding="utf-8",
    )
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    return manifest


__all__ = ["generate"]
