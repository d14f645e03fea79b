"""Stage history derived from a current-state export, when the CRM gives none.

Most CRM exports hold each deal as it stands today (stage, created, closed) and no history
of stage changes. Without one, every funnel, process and dwell figure would be unavailable
and every won or lost deal would look open. So when no landing file claims
``opportunity_stage_history``, the ingest derives it from what the export does have, and
marks every derived row with what it rests on (``derived_from``):

- **created_at**: the deal entered its first observed stage when it was created. A deal first
  seen already won or lost entered the funnel's first stage (``lead``, SPEC §4) then.
- **extract:YYYY-MM-DD**: a stage first seen in that dated extract (``opportunities_2026-03-31.csv``,
  kept in ``bronze/_history/opportunities.parquet``), entered on or before that day; also the
  first stage of a deal whose created date is unknown.
- **closed_at**: the terminal stage (won/lost) entered at the deal's close date (without one,
  on the first extract that shows it closed).

Only what the extracts show is derived: a stage skipped between two extracts stays skipped,
and the dates are the latest ones consistent with the data (a stage change is dated on the
extract that first shows it). A CRM's own stage history, when present, always wins.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from salesops.ingest.typing import lit

DERIVED_TABLES: dict[str, str] = {"opportunity_stage_history": "opportunities"}
"""Table derived when no landing file claims it → the table it is derived from."""
DERIVED_SOURCE_FILE = "(derived from opportunities 由商机推导)"


def stage_history_sql(opportunities: Path, history: Path | None) -> str:
    """SELECT of derived stage-history rows (contract columns + lineage) from bronze files."""
    extracts = (
        f"select opportunity_id, stage, probability, created_at, closed_at, _extract_date "
        f"from read_parquet({lit(str(history))})"
        if history is not None and history.exists()
        else "select opportunity_id, stage, probability, created_at, closed_at, "
        "cast(null as date) as _extract_date from current_state"
    )
    return f"""
with current_state as (
    select * from read_parquet({lit(str(opportunities))})
),
extracts as ({extracts}),
observed as (
    -- one row per deal and extract; the current state counts as the latest observation
    select opportunity_id, stage, probability, _extract_date as observed_on from extracts
    union all
    select opportunity_id, stage, probability, cast(null as date) from current_state
),
runs as (
    -- a new run of a stage starts where the previous observation showed another one
    select *,
        lag(stage) over (partition by opportunity_id order by observed_on nulls last) as previous_stage,
        row_number() over (partition by opportunity_id order by observed_on nulls last) as observation
    from observed
),
changes as (
    select r.opportunity_id, r.stage, r.probability, r.observed_on, r.observation,
        c.created_at, c.closed_at
    from runs r join current_state c using (opportunity_id)
    where r.previous_stage is null or r.previous_stage <> r.stage
),
entries as (
    select
        opportunity_id,
        stage,
        probability,
        case
            when stage in ('won', 'lost') and closed_at is not null then closed_at
            when stage in ('won', 'lost') then cast(observed_on as timestamp)
            when observation = 1 and created_at is not null then created_at
            else cast(observed_on as timestamp)
        end as entered_at,
        case
            when stage in ('won', 'lost') and closed_at is not null then 'closed_at'
            when stage not in ('won', 'lost') and observation = 1 and created_at is not null then 'created_at'
            when observed_on is not null then 'extract:' || strftime(observed_on, '%Y-%m-%d')
        end as derived_from
    from changes
    union all
    -- a deal first seen closed entered the funnel's first stage when it was created
    select opportunity_id, 'lead', cast(null as double), created_at, 'created_at'
    from changes
    where observation = 1 and stage in ('won', 'lost') and created_at is not null
        and (closed_at is null or created_at < closed_at)
)
select
    opportunity_id,
    stage,
    entered_at,
    probability,
    cast(null as varchar) as changed_by,
    derived_from,
    {lit(DERIVED_SOURCE_FILE)} as _source_file,
    row_number() over (order by opportunity_id, entered_at, stage) as _source_line
from entries
where entered_at is not null
qualify row_number() over (partition by opportunity_id, stage, entered_at order by derived_from) = 1
"""


def derive_stage_history(
    con: duckdb.DuckDBPyConnection, opportunities: Path, history: Path | None
) -> str:
    """Create the temp table ``derived_rows`` and return its name."""
    con.execute(
        f"create or replace temp table derived_rows as {stage_history_sql(opportunities, history)}"
    )
    return "derived_rows"
