"""Challenge target 挑战目标 (SPEC §6, dual track 双轨): per rep and month, what the rep could
book when the month goes well, from three things known on the month's first day:

- **stage distribution of open deals** 在途阶段分布: ``stage_potential`` = Σ over stages of the
  rep's open amount at the end of the month's eve × the stage's in-month conversion, the share
  of the amount open at that stage on past month starts that was signed within that month
  (complete months before this one, company-wide);
- **top-3 won-customer profile** 前三大赢单客户画像: the industry and size band of the customers
  of the rep's three largest contracts signed before the month; ``profile_potential`` = the same
  stage-weighted sum over the rep's open deals with customers of one of those profiles, counted
  a second time — the challenge asks the rep to convert the accounts they are proven on at
  twice the usual rate;
- **new-lead quality** 新线索质量: when the leads assigned to the rep in the 30 days before the
  month are better than the company's of the 12 months before it (mean quality score), the bar
  rises in proportion: ``lead_quality_factor`` = max(1, rep's mean ÷ company's mean) and
  ``lead_potential`` = (stage_potential + profile_potential) × (lead_quality_factor − 1).
  Worse leads do not lower it (the floors below do that job). New leads are not counted as
  volume on top: those worked into opportunities are in the open pipeline already.

challenge_target = max(committed target, baseline, stage_potential + profile_potential +
lead_potential): never below the target the rep committed to, nor below the dynamic baseline."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from ml.models.baseline.features import staging_relation

_POTENTIAL_SQL = """
with

months as (

    select distinct period_start as month_start from marts.fct_attainment_rep_month

),

eve_snapshot as (

    select
        months.month_start,
        snapshot.opportunity_id,
        snapshot.owner_rep_id,
        snapshot.stage,
        coalesce(snapshot.amount, 0) as amount
    from months
    inner join marts.fct_opportunity_daily_snapshot as snapshot
        on snapshot.snapshot_date = months.month_start - interval 1 day
        and snapshot.is_open

),

signed as (

    select opportunity_id, min(signed_on) as signed_on
    from intermediate.int_bookings_credited
    group by opportunity_id

),

month_stage_outcome as (

    select
        eve_snapshot.month_start,
        eve_snapshot.stage,
        sum(eve_snapshot.amount) as open_amount,
        sum(case when signed.signed_on >= eve_snapshot.month_start
                  and signed.signed_on < eve_snapshot.month_start + interval 1 month
            then eve_snapshot.amount else 0 end) as signed_amount
    from eve_snapshot
    left join signed
        on signed.opportunity_id = eve_snapshot.opportunity_id
    group by eve_snapshot.month_start, eve_snapshot.stage

),

stage_conversion as (

    select
        months.month_start,
        past.stage,
        sum(past.signed_amount) / nullif(sum(past.open_amount), 0) as in_month_conversion
    from months
    inner join month_stage_outcome as past
        on past.month_start + interval 1 month <= months.month_start
    group by months.month_start, past.stage

),

customers as (

    select customer_id, industry, size_band from {customers}

),

contracts as (

    select
        bookings.rep_id,
        bookings.signed_on,
        bookings.amount,
        bookings.contract_id,
        customers.industry,
        customers.size_band
    from intermediate.int_bookings_credited as bookings
    inner join marts.dim_opportunities as opportunities
        on opportunities.opportunity_id = bookings.opportunity_id
    inner join customers
        on customers.customer_id = opportunities.customer_id

),

top_contracts as (

    select
        months.month_start,
        contracts.rep_id,
        contracts.industry,
        contracts.size_band,
        row_number() over (
            partition by months.month_start, contracts.rep_id
            order by contracts.amount desc, contracts.contract_id
        ) as amount_rank
    from months
    inner join contracts
        on contracts.signed_on < months.month_start

),

top_profiles as (

    select distinct month_start, rep_id, industry, size_band
    from top_contracts
    where amount_rank <= 3

),

rep_pipeline as (

    select
        eve_snapshot.month_start,
        eve_snapshot.owner_rep_id as rep_id,
        sum(eve_snapshot.amount * coalesce(stage_conversion.in_month_conversion, 0)) as stage_potential,
        sum(case when top_profiles.rep_id is not null
            then eve_snapshot.amount * coalesce(stage_conversion.in_month_conversion, 0)
            else 0 end) as profile_potential,
        sum(case when top_profiles.rep_id is not null then eve_snapshot.amount else 0 end)
            as profile_open_amount
    from eve_snapshot
    left join stage_conversion
        on stage_conversion.month_start = eve_snapshot.month_start
        and stage_conversion.stage = eve_snapshot.stage
    left join marts.dim_opportunities as opportunities
        on opportunities.opportunity_id = eve_snapshot.opportunity_id
    left join customers
        on customers.customer_id = opportunities.customer_id
    left join top_profiles
        on top_profiles.month_start = eve_snapshot.month_start
        and top_profiles.rep_id = eve_snapshot.owner_rep_id
        and top_profiles.industry is not distinct from customers.industry
        and top_profiles.size_band is not distinct from customers.size_band
    group by eve_snapshot.month_start, eve_snapshot.owner_rep_id

),

leads as (

    select lead_id, assigned_rep_id, quality_score, created_at from {leads}

),

lead_value as (

    select
        months.month_start,
        avg(leads.quality_score) as mean_quality
    from months
    inner join leads
        on leads.created_at < months.month_start
        and leads.created_at >= months.month_start - interval 12 month
    group by months.month_start

),

rep_leads as (

    select
        months.month_start,
        leads.assigned_rep_id as rep_id,
        count(*) as new_lead_count,
        avg(leads.quality_score) as new_lead_quality
    from months
    inner join leads
        on leads.created_at < months.month_start
        and leads.created_at >= months.month_start - interval 30 day
    where leads.assigned_rep_id is not null
    group by months.month_start, leads.assigned_rep_id

)

select
    attainment.rep_id,
    attainment.period_start as month_start,
    attainment.committed_target,
    coalesce(rep_pipeline.stage_potential, 0) as stage_potential,
    coalesce(rep_pipeline.profile_potential, 0) as profile_potential,
    coalesce(rep_pipeline.profile_open_amount, 0) as profile_open_amount,
    coalesce(rep_leads.new_lead_count, 0) as new_lead_count,
    rep_leads.new_lead_quality,
    greatest(coalesce(rep_leads.new_lead_quality / nullif(lead_value.mean_quality, 0), 1), 1)
        as lead_quality_factor,
    (coalesce(rep_pipeline.stage_potential, 0) + coalesce(rep_pipeline.profile_potential, 0))
        * (greatest(coalesce(rep_leads.new_lead_quality / nullif(lead_value.mean_quality, 0), 1), 1) - 1)
        as lead_potential,
    (select count(*) from top_profiles
     where top_profiles.rep_id = attainment.rep_id
        and top_profiles.month_start = attainment.period_start) as top_profile_count
from marts.fct_attainment_rep_month as attainment
left join rep_pipeline
    on rep_pipeline.rep_id = attainment.rep_id
    and rep_pipeline.month_start = attainment.period_start
left join rep_leads
    on rep_leads.rep_id = attainment.rep_id
    and rep_leads.month_start = attainment.period_start
left join lead_value
    on lead_value.month_start = attainment.period_start
order by attainment.period_start, attainment.rep_id
"""

_EMPTY_CUSTOMERS = (
    "(select null::varchar as customer_id, null::varchar as industry, null::varchar as size_band "
    "where false)"
)
_EMPTY_LEADS = (
    "(select null::varchar as lead_id, null::varchar as assigned_rep_id, null::double as "
    "quality_score, null::timestamp as created_at where false)"
)


def build_potentials(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per rep-month of ``marts.fct_attainment_rep_month``: the committed target and the
    three potentials of the challenge target (yuan), all known on the month's first day."""
    customers = staging_relation(con, "customers", _EMPTY_CUSTOMERS)
    leads = staging_relation(con, "leads", _EMPTY_LEADS)
    frame = con.sql(_POTENTIAL_SQL.format(customers=customers, leads=leads)).df()
    frame["month_start"] = pd.to_datetime(frame["month_start"])
    return frame


def challenge_targets(potentials: pd.DataFrame, baselines: pd.DataFrame) -> pd.DataFrame:
    """The challenge target of every rep-month with a committed target: max(committed, baseline,
    stage + profile + lead potential). A month without a baseline (no model yet) uses the
    committed target and the potentials only."""
    frame = potentials.merge(
        baselines[["rep_id", "month_start", "baseline"]].assign(
            month_start=lambda f: pd.to_datetime(f["month_start"])
        ),
        on=["rep_id", "month_start"],
        how="left",
    )
    frame = frame[frame["committed_target"].notna()].copy()
    frame["stretch_potential"] = (
        frame["stage_potential"] + frame["profile_potential"] + frame["lead_potential"]
    )
    candidates = frame[["committed_target", "baseline", "stretch_potential"]].to_numpy(float)
    frame["challenge_target"] = np.nanmax(candidates, axis=1)
    frame["binding_floor"] = np.select(
        [
            frame["challenge_target"] == frame["stretch_potential"],
            frame["challenge_target"] == frame["baseline"],
        ],
        ["stretch", "baseline"],
        default="committed",
    )
    frame["month_start"] = frame["month_start"].dt.date
    return frame
