"""The one place that reads the published snapshot for the brief (read-only).

The file is attached to a private in-memory database (as the dashboards do), so a snapshot
swapped in by a publish is always the one read. The rules' weights, terms and settings are
dbt seeds (``dbt_project/seeds/briefs/``), published with the marts in schema ``seeds``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import duckdb

from salesops.briefs.model import (
    RISK_KINDS,
    SETTINGS,
    TERM_SETS,
    BriefInputs,
    BriefRules,
    Opportunity,
)

# The marts the brief reads. fct_* are the chat-signal marts; dim_reps and
# dim_opportunities are optional (reps' names/teams, opportunities' owners, customers and
# amounts) — without them reps roll up to the top unit only; the daily snapshot (expected
# close dates) and the SOP recommendations (suggested cards) are optional too.
OPPORTUNITY_SIGNALS = "fct_opportunity_signals_daily"
REP_SIGNALS = "fct_rep_signals_daily"
TEAM_KEYWORDS = "fct_team_top_keywords_weekly"
ORG_UNITS = "dim_org_units"
REPS = "dim_reps"
OPPORTUNITIES = "dim_opportunities"
DAILY_SNAPSHOT = "fct_opportunity_daily_snapshot"
RECOMMENDATIONS = "fct_sop_recommendations"
OWNER_COLUMNS = ("owner_rep_id", "rep_id")
"""Columns of the opportunity-signal mart that name the owner, if it carries one."""
RISK_KINDS_SEED = "briefs_risk_kinds"
TERMS_SEED = "briefs_terms"
SETTINGS_SEED = "briefs_settings"
SEEDS = (RISK_KINDS_SEED, TERMS_SEED, SETTINGS_SEED)


class BriefInputError(RuntimeError):
    """The snapshot lacks a mart or a seed the brief reads."""


def _attach(con: duckdb.DuckDBPyConnection, snapshot: Path) -> None:
    if not snapshot.exists():
        raise FileNotFoundError(f"{snapshot}: nothing published yet; run `make run` first")
    con.execute("attach ? as snapshot (read_only)", [str(snapshot)])
    con.execute("use snapshot")


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where database_name = 'snapshot' "
            "and schema_name = ?",
            [schema],
        ).fetchall()
    }


def load_rules(con: duckdb.DuckDBPyConnection, snapshot: Path) -> BriefRules:
    """The rules' parameters from the seeds in the snapshot; a clear error when one is
    missing or incomplete (a snapshot published before the seeds existed)."""
    missing = [seed for seed in SEEDS if seed not in _tables(con, "seeds")]
    if missing:
        raise BriefInputError(
            f"{snapshot}: the snapshot lacks the brief's rule table"
            f"{'s' if len(missing) > 1 else ''} {', '.join(f'seeds.{m}' for m in missing)}; "
            "rebuild and publish the warehouse with `make run` (the seeds are loaded by the "
            "dbt build) 快照缺少简报规则表，请运行 make run"
        )
    kinds = _rows(
        con,
        f"select risk_kind, cast(weight as double) as weight, label_zh, label_en "
        f"from seeds.{RISK_KINDS_SEED}",
    )
    terms = _rows(con, f"select term_set, term from seeds.{TERMS_SEED}")
    settings = {
        row["parameter"]: row["value"]
        for row in _rows(
            con, f"select parameter, cast(value as double) as value from seeds.{SETTINGS_SEED}"
        )
    }
    problems = [
        f"seeds.{RISK_KINDS_SEED} has no row for {kind}"
        for kind in RISK_KINDS
        if kind not in {row["risk_kind"] for row in kinds}
    ] + [
        f"seeds.{SETTINGS_SEED} has no row for {parameter}"
        for parameter in SETTINGS
        if settings.get(parameter) is None
    ]
    if problems:
        raise BriefInputError(
            f"{snapshot}: {'; '.join(problems)}; rebuild and publish with `make run` "
            "简报规则表不完整"
        )
    by_set: dict[str, set[str]] = defaultdict(set)
    for row in terms:
        if row["term_set"] in TERM_SETS and row["term"]:
            by_set[row["term_set"]].add(row["term"])
    return BriefRules(
        risk_weights={row["risk_kind"]: row["weight"] for row in kinds},
        risk_labels={
            language: {row["risk_kind"]: row[f"label_{language}"] for row in kinds}
            for language in ("zh", "en")
        },
        pending_approval_terms=frozenset(by_set["pending_approval"]),
        approval_granted_terms=frozenset(by_set["approval_granted"]),
        negative_budget_terms=frozenset(by_set["negative_budget"]),
        approval_lookback_days=int(settings["approval_lookback_days"]),
        manager_top_risks=int(settings["manager_top_risks"]),
        rep_top_keywords=int(settings["rep_top_keywords"]),
    )


def load_brief_inputs(snapshot: Path, conversation_date: dt.date) -> BriefInputs:
    """Read every row the brief needs from the published snapshot, read-only."""
    with duckdb.connect(":memory:") as con:
        _attach(con, snapshot)
        tables = _tables(con, "marts")
        missing = {OPPORTUNITY_SIGNALS, REP_SIGNALS, TEAM_KEYWORDS, ORG_UNITS} - tables
        if missing:
            raise BriefInputError(
                f"{snapshot}: the snapshot lacks {', '.join(sorted(missing))}; "
                "publish a warehouse with the chat-signal marts"
            )
        rules = load_rules(con, snapshot)
        window_start = conversation_date - dt.timedelta(days=rules.approval_lookback_days - 1)
        as_of = _snapshot_as_of(con)
        owner = _owner_expression(con, tables)
        join_owner = (
            f"left join marts.{OPPORTUNITIES} as opportunities using (opportunity_id)"
            if owner.startswith("opportunities.")
            else ""
        )
        opportunity_signals = _rows(
            con,
            f"""
            select
                signals.opportunity_id, {owner} as owner_rep_id, signals.signal_date,
                signals.category, signals.negated, signals.mentions, signals.keywords
            from marts.{OPPORTUNITY_SIGNALS} as signals
            {join_owner}
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
        opportunity_ids = sorted({row["opportunity_id"] for row in opportunity_signals})
        opportunities = _opportunities(con, tables, opportunity_ids, conversation_date)
        recommendations = (
            _rows(
                con,
                f"select unit_id, industry, stage, card_id, title from marts.{RECOMMENDATIONS} "
                "where recommendation_rank = 1 order by unit_id, industry, stage",
            )
            if RECOMMENDATIONS in tables
            else []
        )
    return BriefInputs(
        as_of,
        rules,
        opportunity_signals,
        rep_signals,
        team_keywords,
        org_units,
        reps,
        next_steps,
        opportunities,
        recommendations,
    )


def _opportunities(
    con: duckdb.DuckDBPyConnection,
    tables: set[str],
    opportunity_ids: Sequence[str],
    conversation_date: dt.date,
) -> dict[str, Opportunity]:
    """Customer, amount, stage, industry and team (dim_opportunities, as of as_of) and the
    expected close date (the daily snapshot's latest row on or before the conversation day)."""
    if not opportunity_ids or OPPORTUNITIES not in tables:
        return {}

    def column(table: str, name: str, alias: str) -> str:
        return f"{alias}.{name}" if _first_column(con, table, (name,)) else "null"

    closes = ""
    close_on = close_raw = "null"
    if DAILY_SNAPSHOT in tables and _first_column(con, DAILY_SNAPSHOT, ("expected_close_on",)):
        close_on = "closes.expected_close_on"
        close_raw = column(DAILY_SNAPSHOT, "expected_close_date_raw", "closes")
        closes = f"""
            left join (
                select * from marts.{DAILY_SNAPSHOT}
                where snapshot_date <= ? and list_contains(?, opportunity_id)
                qualify row_number() over (
                    partition by opportunity_id order by snapshot_date desc
                ) = 1
            ) as closes using (opportunity_id)
        """
    rows = _rows(
        con,
        f"""
        select
            opportunities.opportunity_id,
            {column(OPPORTUNITIES, "customer_name", "opportunities")} as customer_name,
            cast({column(OPPORTUNITIES, "amount", "opportunities")} as double) as amount,
            {column(OPPORTUNITIES, "latest_stage", "opportunities")} as stage,
            {column(OPPORTUNITIES, "customer_industry", "opportunities")} as industry,
            {column(OPPORTUNITIES, "team_id", "opportunities")} as team_id,
            {close_on} as expected_close_on,
            {close_raw} as expected_close_raw
        from marts.{OPPORTUNITIES} as opportunities
        {closes}
        where list_contains(?, opportunities.opportunity_id)
        """,
        ([conversation_date, list(opportunity_ids)] if closes else []) + [list(opportunity_ids)],
    )
    return {
        row["opportunity_id"]: Opportunity(
            customer_name=row["customer_name"],
            amount=row["amount"],
            stage=row["stage"],
            expected_close_on=row["expected_close_on"],
            expected_close_raw=row["expected_close_raw"] if not row["expected_close_on"] else None,
            industry=row["industry"],
            team_id=row["team_id"],
        )
        for row in rows
    }


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence = ()) -> list[dict]:
    result = con.execute(sql, list(params))
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _snapshot_as_of(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    if "publish_info" in _tables(con, "main"):
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


def default_brief_date(snapshot: Path) -> dt.date:
    """The morning after the snapshot's as_of: the brief of the data just published."""
    with duckdb.connect(":memory:") as con:
        _attach(con, snapshot)
        try:
            as_of = _snapshot_as_of(con)
        except duckdb.CatalogException:
            as_of = None
    if as_of is None:
        raise BriefInputError(f"{snapshot}: the snapshot has no as_of; pass --date")
    return as_of + dt.timedelta(days=1)
