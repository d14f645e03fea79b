"""Dynamic-baseline drivers 动态基线驱动因素: one row per rep per month, each of the twelve
drivers of SPEC §6 as it stood **before the month started** (day 1, 00:00).

Rows are the rep-months of ``marts.fct_attainment_rep_month`` (bookings and committed target).
Every driver of month m reads facts dated before m only:

1. ``cycle_days_6m`` 成交周期 — median days from opportunity creation to signing of the rep's
   contracts signed in the 6 months before m;
2. ``seasonality_index`` 季节指数 — the season of the demand that signs in m
   (:func:`seasonality_index`, statsmodels, from new opportunities created before m);
3. ``new_customer_share`` 新客户占比 — share of the rep's bookings of the 6 months before m
   signed with a customer's first contract;
4. ``repeat_customer_share`` 老客户占比 — share of the rep's opportunities created in the 6
   months before m whose customer had signed a contract before the opportunity was created;
5. ``competitor_events_3m`` 区域竞品事件 — competitor events in the rep's region in the 3
   months before m (magnitude, 1 when the extract gives none);
6. ``market_events`` 市场/政策事件 — expected uplift of the market and policy events running
   on m's first day in the rep's region or nationwide (started before m);
7. ``open_pipeline_early`` / ``open_pipeline_late`` 在途商机（分阶段） — open amount owned by the
   rep at the end of m's eve, in lead/qualified and in quote and later;
8. ``pipeline_coverage`` 商机覆盖率 — that open amount ÷ the rep's committed target of m;
9. ``lead_count_30d`` / ``lead_quality_30d`` 线索数量与质量 — leads assigned to the rep
   created in the 30 days before m, and their mean quality score;
10. ``tenure_months`` 司龄 — months from hire to m;
11. ``trailing_attainment_3m`` 近3月达成率 — bookings ÷ committed target of the rep's 3
    months before m;
12. ``product_mix_index`` 产品结构 — the rep's opportunities created in the 6 months before m
    weighted by their product line's mean won amount (contracts signed before m), ÷ the mean
    won amount of all lines: above 1, a mix of the lines that sign larger deals.

Missing values (a rep without contracts in the window, no leads) stay empty here; the model
fills them with the training rows' median (:mod:`.train`).
``tests/ml/test_baseline_leakage.py`` rewrites every fact dated in or after a month and fails if
a driver of that month changes."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import statsmodels.api as sm

DRIVERS = (
    "cycle_days_6m",
    "seasonality_index",
    "new_customer_share",
    "repeat_customer_share",
    "competitor_events_3m",
    "market_events",
    "open_pipeline_early",
    "open_pipeline_late",
    "pipeline_coverage",
    "lead_count_30d",
    "lead_quality_30d",
    "tenure_months",
    "trailing_attainment_3m",
    "product_mix_index",
)
"""The model's inputs in a fixed order (the twelve drivers; pipeline by stage and lead volume and
quality are two columns each)."""

EARLY_STAGES = ("lead", "qualified")
LATE_STAGES = ("quote", "negotiation", "contract_approval")

SEASON_LAGS = 7
"""Signing months after creation that carry the seasonality of demand into bookings (a month
of creation and six after it: B2B cycles of the product's scale)."""
MIN_SEASON_MONTHS = 13
"""Months of new-opportunity counts before a seasonal index is estimated (a calendar month
must have been seen once, beside a trend); before that the index is 1 (no season known)."""

_DRIVERS_SQL = """
with

rep_months as (

    select
        attainment.rep_id,
        attainment.period_start as month_start,
        attainment.period,
        attainment.team_id,
        attainment.committed_target,
        attainment.bookings,
        attainment.is_period_complete
    from marts.fct_attainment_rep_month as attainment

),

reps as (

    select reps.rep_id, reps.hire_date, teams.region_id
    from marts.dim_reps as reps
    left join marts.dim_org_units as teams
        on teams.unit_id = reps.team_id

),

opportunities as (

    select
        opportunity_id,
        owner_rep_id,
        customer_id,
        product_line,
        cast(created_at as date) as created_on
    from marts.dim_opportunities

),

contracts as (

    select
        bookings.rep_id,
        bookings.signed_on,
        bookings.amount,
        opportunities.customer_id,
        opportunities.product_line,
        opportunities.created_on,
        row_number() over (
            partition by opportunities.customer_id order by bookings.signed_on, bookings.contract_id
        ) = 1 as is_first_contract
    from intermediate.int_bookings_credited as bookings
    left join opportunities
        on opportunities.opportunity_id = bookings.opportunity_id

),

contract_window as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        median(date_diff('day', contracts.created_on, contracts.signed_on)) as cycle_days_6m,
        sum(case when contracts.is_first_contract and contracts.customer_id is not null
            then contracts.amount else 0 end) / nullif(sum(contracts.amount), 0) as new_customer_share
    from rep_months
    inner join contracts
        on contracts.rep_id = rep_months.rep_id
        and contracts.signed_on < rep_months.month_start
        and contracts.signed_on >= rep_months.month_start - interval 6 month
    group by rep_months.rep_id, rep_months.month_start

),

customer_first_signed as (

    select customer_id, min(signed_on) as first_signed_on
    from contracts
    where customer_id is not null
    group by customer_id

),

line_value as (

    select
        rep_months.month_start,
        contracts.product_line,
        avg(contracts.amount) as mean_won_amount
    from (select distinct month_start from rep_months) as rep_months
    inner join contracts
        on contracts.signed_on < rep_months.month_start
    group by rep_months.month_start, contracts.product_line

),

all_line_value as (

    select rep_months.month_start, avg(contracts.amount) as mean_won_amount
    from (select distinct month_start from rep_months) as rep_months
    inner join contracts
        on contracts.signed_on < rep_months.month_start
    group by rep_months.month_start

),

created_window as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        avg(case when customer_first_signed.first_signed_on < opportunities.created_on
            then 1.0 else 0.0 end) as repeat_customer_share,
        avg(line_value.mean_won_amount) / min(all_line_value.mean_won_amount) as product_mix_index
    from rep_months
    inner join opportunities
        on opportunities.owner_rep_id = rep_months.rep_id
        and opportunities.created_on < rep_months.month_start
        and opportunities.created_on >= rep_months.month_start - interval 6 month
    left join customer_first_signed
        on customer_first_signed.customer_id = opportunities.customer_id
    left join line_value
        on line_value.month_start = rep_months.month_start
        and line_value.product_line = opportunities.product_line
    left join all_line_value
        on all_line_value.month_start = rep_months.month_start
    group by rep_months.rep_id, rep_months.month_start

),

pipeline as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        sum(case when snapshot.stage in {early} then snapshot.amount else 0 end) as open_pipeline_early,
        sum(case when snapshot.stage in {late} then snapshot.amount else 0 end) as open_pipeline_late
    from rep_months
    inner join marts.fct_opportunity_daily_snapshot as snapshot
        on snapshot.owner_rep_id = rep_months.rep_id
        and snapshot.snapshot_date = rep_months.month_start - interval 1 day
        and snapshot.is_open
    group by rep_months.rep_id, rep_months.month_start

),

competitor as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        sum(coalesce(events.magnitude, 1.0)) as competitor_events_3m
    from rep_months
    inner join reps
        on reps.rep_id = rep_months.rep_id
    inner join {competitor_events} as events
        on events.region_id = reps.region_id
        and events.occurred_on < rep_months.month_start
        and events.occurred_on >= rep_months.month_start - interval 3 month
    group by rep_months.rep_id, rep_months.month_start

),

market as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        sum(coalesce(events.expected_uplift, 0)) as market_events
    from rep_months
    inner join reps
        on reps.rep_id = rep_months.rep_id
    inner join {market_events} as events
        on (events.region_id is null or events.region_id = reps.region_id)
        and events.start_on < rep_months.month_start
        and coalesce(events.end_on, rep_months.month_start) >= rep_months.month_start
    group by rep_months.rep_id, rep_months.month_start

),

leads as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        count(*) as lead_count_30d,
        avg(leads.quality_score) as lead_quality_30d
    from rep_months
    inner join {leads} as leads
        on leads.assigned_rep_id = rep_months.rep_id
        and leads.created_at < rep_months.month_start
        and leads.created_at >= rep_months.month_start - interval 30 day
    group by rep_months.rep_id, rep_months.month_start

),

attainment_window as (

    select
        rep_months.rep_id,
        rep_months.month_start,
        sum(past.bookings) / nullif(sum(past.committed_target), 0) as trailing_attainment_3m
    from rep_months
    inner join rep_months as past
        on past.rep_id = rep_months.rep_id
        and past.month_start < rep_months.month_start
        and past.month_start >= rep_months.month_start - interval 3 month
    group by rep_months.rep_id, rep_months.month_start

)

select
    -- grain
    rep_months.rep_id,
    rep_months.month_start,
    rep_months.period,
    rep_months.team_id,
    -- targets and outcome
    rep_months.committed_target,
    rep_months.bookings,
    rep_months.is_period_complete,
    -- drivers known before the month
    contract_window.cycle_days_6m,
    contract_window.new_customer_share,
    created_window.repeat_customer_share,
    coalesce(competitor.competitor_events_3m, 0) as competitor_events_3m,
    coalesce(market.market_events, 0) as market_events,
    coalesce(pipeline.open_pipeline_early, 0) as open_pipeline_early,
    coalesce(pipeline.open_pipeline_late, 0) as open_pipeline_late,
    (coalesce(pipeline.open_pipeline_early, 0) + coalesce(pipeline.open_pipeline_late, 0))
        / nullif(rep_months.committed_target, 0) as pipeline_coverage,
    coalesce(leads.lead_count_30d, 0) as lead_count_30d,
    leads.lead_quality_30d,
    date_diff('day', reps.hire_date, rep_months.month_start) / 30.44 as tenure_months,
    attainment_window.trailing_attainment_3m,
    created_window.product_mix_index
from rep_months
left join reps on reps.rep_id = rep_months.rep_id
left join contract_window
    on contract_window.rep_id = rep_months.rep_id and contract_window.month_start = rep_months.month_start
left join created_window
    on created_window.rep_id = rep_months.rep_id and created_window.month_start = rep_months.month_start
left join pipeline
    on pipeline.rep_id = rep_months.rep_id and pipeline.month_start = rep_months.month_start
left join competitor
    on competitor.rep_id = rep_months.rep_id and competitor.month_start = rep_months.month_start
left join market
    on market.rep_id = rep_months.rep_id and market.month_start = rep_months.month_start
left join leads
    on leads.rep_id = rep_months.rep_id and leads.month_start = rep_months.month_start
left join attainment_window
    on attainment_window.rep_id = rep_months.rep_id and attainment_window.month_start = rep_months.month_start
order by rep_months.month_start, rep_months.rep_id
"""

_EMPTY_EVENTS = {
    "competitor_events": "(select null::varchar as region_id, null::double as magnitude, "
    "null::date as occurred_on where false)",
    "market_events": "(select null::varchar as region_id, null::double as expected_uplift, "
    "null::date as start_on, null::date as end_on where false)",
    "leads": "(select null::varchar as assigned_rep_id, null::double as quality_score, "
    "null::timestamp as created_at where false)",
}


def staging_relation(con: duckdb.DuckDBPyConnection, table: str, empty: str | None = None) -> str:
    """``staging.stg_crm__<table>``, or an empty relation of the same columns when the extract
    is optional and absent (the driver is then 0 / empty)."""
    name = f"stg_crm__{table}"
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'staging' and table_name = ?",
        [name],
    ).fetchall()[0][0]
    empty = empty or _EMPTY_EVENTS[table]
    if not found:
        return empty
    try:
        con.execute(f"select 1 from staging.{name} limit 0")
    except duckdb.Error:
        return empty
    return f"staging.{name}"


def monthly_new_opportunities(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """New opportunities created per calendar month (company), indexed by month start."""
    counts = con.sql(
        "select date_trunc('month', created_at)::date as month_start, count(*) as created "
        "from marts.dim_opportunities where created_at is not null group by 1 order by 1"
    ).df()
    return counts.set_index(pd.to_datetime(counts["month_start"]))["created"].astype(float)


def signing_lags(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Signed contracts with their signing month and the months from creation to signing."""
    return con.sql(
        """
        select
            date_trunc('month', bookings.signed_on)::date as signed_month,
            date_diff('month', date_trunc('month', opportunities.created_at),
                      date_trunc('month', bookings.signed_on)) as lag_months,
            bookings.amount
        from intermediate.int_bookings_credited as bookings
        inner join marts.dim_opportunities as opportunities
            on opportunities.opportunity_id = bookings.opportunity_id
        where opportunities.created_at is not null
        """
    ).df()


def demand_season(created: pd.Series, origin: pd.Timestamp) -> dict[int, float]:
    """Seasonal factor of new-opportunity creation per calendar month (1–12), estimated at
    ``origin`` from the complete months before it: statsmodels OLS of log monthly counts on a
    linear trend and calendar-month indicators, the month effects centred so their geometric
    mean is 1. A calendar month not yet seen, or fewer than ``MIN_SEASON_MONTHS`` months of
    history, gives 1."""
    history = created[created.index < origin]
    history = history[history > 0]
    if len(history) < MIN_SEASON_MONTHS:
        return {month: 1.0 for month in range(1, 13)}
    months = history.index.month
    trend = np.arange(len(history), dtype=float)
    seen = sorted(set(months))
    design = pd.DataFrame({"trend": trend}, index=history.index)
    for month in seen[1:]:
        design[f"m{month}"] = (months == month).astype(float)
    fit = sm.OLS(np.log(history.to_numpy()), sm.add_constant(design)).fit()
    effects = {seen[0]: 0.0, **{month: float(fit.params[f"m{month}"]) for month in seen[1:]}}
    centre = float(np.mean(list(effects.values())))
    return {
        month: float(np.exp(effects[month] - centre)) if month in effects else 1.0
        for month in range(1, 13)
    }


def lag_weights(lags: pd.DataFrame, origin: pd.Timestamp) -> np.ndarray:
    """Share of the bookings signed in the 12 months before ``origin`` by months from creation
    to signing (0 … ``SEASON_LAGS`` − 1, the rest folded into the last)."""
    window = lags[
        (pd.to_datetime(lags["signed_month"]) < origin)
        & (pd.to_datetime(lags["signed_month"]) >= origin - pd.DateOffset(months=12))
    ]
    weights = np.zeros(SEASON_LAGS)
    if window.empty:
        weights[0] = 1.0
        return weights
    lag = window["lag_months"].clip(0, SEASON_LAGS - 1).astype(int)
    for value, amount in zip(lag, window["amount"].astype(float), strict=True):
        weights[value] += amount
    return weights / weights.sum()


def seasonality_index(created: pd.Series, lags: pd.DataFrame, origin: pd.Timestamp) -> float:
    """The season of the demand that signs in the month starting ``origin``: the demand season
    of each creation month before it (:func:`demand_season`) weighted by how much of the
    bookings signs that many months after creation (:func:`lag_weights`) — a bookings month
    two to three months after a strong quarter of new opportunities is a strong month."""
    season = demand_season(created, origin)
    weights = lag_weights(lags, origin)
    months = [(origin - pd.DateOffset(months=lag)).month for lag in range(SEASON_LAGS)]
    return float(sum(weight * season[month] for weight, month in zip(weights, months, strict=True)))


def build_drivers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per rep-month: descriptive columns, the outcome (``bookings``) and
    :data:`DRIVERS`."""
    sql = _DRIVERS_SQL.format(
        early=str(EARLY_STAGES),
        late=str(LATE_STAGES),
        competitor_events=staging_relation(con, "competitor_events"),
        market_events=staging_relation(con, "market_events"),
        leads=staging_relation(con, "leads"),
    )
    frame = con.sql(sql).df()
    frame["month_start"] = pd.to_datetime(frame["month_start"])
    created = monthly_new_opportunities(con)
    lags = signing_lags(con)
    index = {
        month: seasonality_index(created, lags, month) for month in frame["month_start"].unique()
    }
    frame["seasonality_index"] = frame["month_start"].map(index).astype(float)
    # rounded: DuckDB's parallel sums and means may differ in the last bits from run to run,
    # and the model store must see the same training input as the same (reuse)
    for column in DRIVERS:
        frame[column] = frame[column].astype(float).round(6)
    frame["bookings"] = frame["bookings"].astype(float).round(2)
    return frame
