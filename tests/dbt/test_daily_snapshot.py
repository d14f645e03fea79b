"""The daily opportunity snapshot (fct_opportunity_daily_snapshot) on a hand-made bronze layer
with an extract history, small enough to check every row by eye, and on the planted worlds.

Fixture (all timestamps 2026-03; rep r1 in team t1, r2 in team t2):
    A created 03-01 10:00. History: lead 03-01 (p .1), qualified 03-03 (.2), quote 03-05 09:00
      (.4), qualified 03-05 15:00 (.2; a same-day regression: the day ends in qualified),
      quote 03-07 (.45), won 03-09 (1.0).
      Extracts: 03-04 r1 100 "2026-04-01" p .3 · 03-08 r2 120 "尽快" p .6 · 03-10 r2 150 won.
    B created 03-02. History: lead 03-02, qualified 03-04, lost 03-06, qualified 03-08
      (reopened), lost 03-11; no probabilities. Extract: 03-10 only (r1, 50).
    C created 03-11, no history entry (a lead). Extract 03-12 (r1, 70, "下个月", p .5).
    D created 03-13, after every as_of used.
Builds: as_of 2026-03-12 and as_of 2026-03-06.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from salesops.dbt_sources import HISTORY_SOURCES_FILE, render_history_sources_yaml

WORLDS = ("default", "alt", "field")


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


REPS = [
    {"rep_id": rep, "name": rep, "team_id": team, "role": "rep", "hire_date": date(2025, 1, 1)}
    for rep, team in (("r1", "t1"), ("r2", "t2"))
]


def _opportunity(opp, owner, created, stage, status, amount, close_text, probability=None, **kw):
    return {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": f"C{opp}",
        "owner_rep_id": owner,
        "product_line": "pumps",
        "created_at": ts(created),
        "stage": stage,
        "status": status,
        "amount": amount,
        "expected_close_date": close_text,
        "probability": probability,
        **kw,
    }


# the latest extract (bronze opportunities: latest wins)
OPPORTUNITIES = [
    _opportunity("A", "r2", "2026-03-01 10:00", "won", "won", 150, "2026-03-09", 1.0,
                 closed_at=ts("2026-03-09")),
    _opportunity("B", "r1", "2026-03-02 10:00", "lost", "lost", 50, None,
                 closed_at=ts("2026-03-11")),
    _opportunity("C", "r1", "2026-03-11 10:00", "lead", "open", 70, "下个月", 0.5),
    _opportunity("D", "r1", "2026-03-13 10:00", "lead", "open", 80, None),
]  # fmt: skip

# (extract date, row) — every extract of the CRM, as the ingest keeps them
EXTRACTS = [
    ("2026-03-04", _opportunity("A", "r1", "2026-03-01 10:00", "qualified", "open", 100,
                                "2026-04-01", 0.3)),
    ("2026-03-08", _opportunity("A", "r2", "2026-03-01 10:00", "quote", "open", 120, "尽快", 0.6)),
    ("2026-03-10", OPPORTUNITIES[0]),
    ("2026-03-10", _opportunity("B", "r1", "2026-03-02 10:00", "qualified", "open", 50, None)),
    ("2026-03-12", OPPORTUNITIES[2]),
    ("2026-03-13", OPPORTUNITIES[3]),
]  # fmt: skip

_HISTORY = {
    "A": [
        ("lead", "2026-03-01 10:00", 0.1),
        ("qualified", "2026-03-03", 0.2),
        ("quote", "2026-03-05 09:00", 0.4),
        ("qualified", "2026-03-05 15:00", 0.2),
        ("quote", "2026-03-07", 0.45),
        ("won", "2026-03-09", 1.0),
    ],
    "B": [
        ("lead", "2026-03-02 10:00", None),
        ("qualified", "2026-03-04", None),
        ("lost", "2026-03-06", None),
        ("qualified", "2026-03-08", None),
        ("lost", "2026-03-11", None),
    ],
    "D": [("lead", "2026-03-13 10:00", None)],
}
STAGE_HISTORY = [
    {
        "opportunity_id": opp,
        "stage": stage,
        "entered_at": ts(at),
        "probability": p,
        "changed_by": "r1",
    }
    for opp, entries in _HISTORY.items()
    for stage, at, p in entries
]

ROWS = {"reps": REPS, "opportunities": OPPORTUNITIES, "opportunity_stage_history": STAGE_HISTORY}

SNAPSHOT_COLUMNS = (
    "snapshot_date, opportunity_id, owner_rep_id, team_id, stage, status, amount, "
    "expected_close_date_raw, expected_close_on, probability, is_open"
)


def _write_history(bronze: Path) -> None:
    """bronze/_history/opportunities.parquet, in the ingest's shape (bronze columns + _extract_date)."""
    target = bronze / "_history" / "opportunities.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        source = str(bronze / "opportunities.parquet")
        con.execute(
            f"create table history as select *, cast(null as date) as _extract_date "
            f"from read_parquet('{source}') where false"
        )
        columns = [r[0] for r in con.execute("describe history").fetchall()]
        for line, (day, row) in enumerate(EXTRACTS, start=2):
            values = {
                **row,
                "_source_file": f"crm/opportunities_{day}.csv",
                "_source_line": line,
                "_extract_date": date.fromisoformat(day),
            }
            con.execute(
                f"insert into history values ({', '.join('?' for _ in columns)})",
                [values.get(c) for c in columns],
            )
        con.execute(f"copy history to '{target}' (format parquet)")
    finally:
        con.close()


def _build(root: Path, bronze_writer, dbt_in, as_of: str) -> list[tuple]:
    bronze_writer(root / "bronze", ROWS)
    _write_history(root / "bronze")
    (root / "warehouse").mkdir(parents=True, exist_ok=True)
    dbt_in(
        root,
        "build",
        "--select",
        "+fct_opportunity_daily_snapshot",
        "+dim_opportunities",
        "--indirect-selection",
        "cautious",
        "--vars",
        f'{{"as_of": "{as_of}"}}',
    )
    con = duckdb.connect(str(root / "warehouse" / "build.duckdb"), read_only=True)
    try:
        snapshot = con.execute(
            f"select {SNAPSHOT_COLUMNS} from marts.fct_opportunity_daily_snapshot "
            "order by opportunity_id, snapshot_date"
        ).fetchall()
        opportunities = con.execute(
            "select opportunity_id, owner_rep_id, team_id, amount, status_as_of "
            "from marts.dim_opportunities order by opportunity_id"
        ).fetchall()
    finally:
        con.close()
    return snapshot, opportunities


@pytest.fixture(scope="module")
def built(tmp_path_factory, bronze_writer, dbt_in):
    root = tmp_path_factory.mktemp("snapshot")
    late = _build(root / "late", bronze_writer, dbt_in, "2026-03-12")
    early = _build(root / "early", bronze_writer, dbt_in, "2026-03-06")
    return {"2026-03-12": late, "2026-03-06": early}


def d(day: int) -> date:
    return date(2026, 3, day)


def _rows(snapshot, opportunity_id):
    return [r for r in snapshot if r[1] == opportunity_id]


def test_history_sources_file_is_generated():
    assert HISTORY_SOURCES_FILE.read_text(encoding="utf-8") == render_history_sources_yaml(), (
        "dbt_project/models/staging/snapshot/_landing_history__sources.yml is stale: "
        "run `python -m salesops.dbt_sources`"
    )


def test_a_won_deal_day_by_day(built):
    snapshot, _ = built["2026-03-12"]
    q1 = ("r1", "t1", 100.0, "2026-04-01", date(2026, 4, 1))
    q2 = ("r2", "t2", 120.0, "尽快", None)
    expected = [
        # day, stage, status, (owner, team, amount, close text, close date), probability
        (1, "lead", "open", q1, 0.1),  # before the first extract: its values
        (2, "lead", "open", q1, 0.1),
        (3, "qualified", "open", q1, 0.2),
        (4, "qualified", "open", q1, 0.3),  # extract 03-04 taken after qualified was entered
        (5, "qualified", "open", q1, 0.2),  # same-day regression; stage entry newer than extract
        (6, "qualified", "open", q1, 0.2),
        (7, "quote", "open", q1, 0.45),
        (8, "quote", "open", q2, 0.6),  # new extract: owner moved, amount up, close date 尽快
        (9, "won", "won", q2, 1.0),  # close day: last row; the 03-10 extract comes later
    ]
    assert _rows(snapshot, "A") == [
        (d(day), "A", *values[:2], stage, status, *values[2:], p, status == "open")
        for day, stage, status, values, p in expected
    ]


def test_a_lost_deal_reopened_closes_on_its_final_loss(built):
    snapshot, _ = built["2026-03-12"]
    stages = {
        2: "lead", 3: "lead", 4: "qualified", 5: "qualified", 6: "lost", 7: "lost",
        8: "qualified", 9: "qualified", 10: "qualified", 11: "lost",
    }  # fmt: skip
    rows = _rows(snapshot, "B")
    assert [(r[0], r[4]) for r in rows] == [(d(day), stage) for day, stage in stages.items()]
    assert [r[5] for r in rows] == [s if s == "lost" else "open" for s in stages.values()]
    # one extract only (03-10): its values on every day; no probability anywhere
    assert {(r[2], r[3], r[6], r[7], r[8], r[9]) for r in rows} == {
        ("r1", "t1", 50.0, None, None, None)
    }


def test_an_opportunity_without_history_is_a_lead_until_as_of(built):
    snapshot, _ = built["2026-03-12"]
    assert _rows(snapshot, "C") == [
        (d(day), "C", "r1", "t1", "lead", "open", 70.0, "下个月", None, 0.5, True)
        for day in (11, 12)
    ]
    assert not _rows(snapshot, "D"), "created after as_of"
    assert len(snapshot) == 9 + 10 + 2


def test_an_earlier_as_of_ignores_later_history_and_extracts(built):
    snapshot, opportunities = built["2026-03-06"]
    a = _rows(snapshot, "A")
    assert [r[0] for r in a] == [d(day) for day in range(1, 7)]
    assert {(r[2], r[6]) for r in a} == {("r1", 100.0)}, "the 03-08 extract is not known yet"
    b = _rows(snapshot, "B")
    assert [(r[0], r[4]) for r in b][-1] == (d(6), "lost"), "the reopening is not known yet"
    assert len(snapshot) == 6 + 5
    # the opportunity list takes owner and amount from the extract in force on as_of
    assert opportunities == [
        ("A", "r1", "t1", 100.0, "open"),
        ("B", "r1", "t1", 50.0, "lost"),
    ]


def test_the_latest_as_of_takes_the_latest_extract(built):
    _, opportunities = built["2026-03-12"]
    assert opportunities == [
        ("A", "r2", "t2", 150.0, "won"),
        ("B", "r1", "t1", 50.0, "lost"),
        ("C", "r1", "t1", 70.0, "open"),
    ]


# ----------------------------------------------------------------------- planted worlds


@pytest.mark.parametrize("world", WORLDS)
def test_every_probability_in_the_marts_is_between_0_and_1(planted_world, world):
    w = planted_world(world)
    columns = w.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and column_name ilike '%probability%' "
        # a difference of two probabilities is signed (−1…1); every probability itself is 0–1
        "and column_name not ilike '%difference%' "
        "and (data_type in ('DOUBLE', 'FLOAT', 'REAL') or data_type like 'DECIMAL%')"
    )
    assert ("fct_opportunity_daily_snapshot", "probability") in set(
        columns.itertuples(index=False, name=None)
    )
    for table, column in columns.itertuples(index=False, name=None):
        out_of_range = w.query(
            f'select count(*) as n from marts."{table}" where "{column}" < 0 or "{column}" > 1'
        )["n"][0]
        assert out_of_range == 0, f"marts.{table}.{column}: {out_of_range} values outside 0–1"
    known = w.query(
        "select count(*) as n from marts.fct_opportunity_daily_snapshot where probability is not null"
    )["n"][0]
    assert known > 0


MOVES_SQL = """
with pairs as (
    select e1, e2
    from (
        select
            snapshot_date as e1,
            lead(snapshot_date) over (order by snapshot_date) as e2
        from (select distinct snapshot_date from marts.fct_opportunity_daily_snapshot)
        where snapshot_date in (select unnest(?::date[]))
    )
    where e2 is not null
)
select
    strftime(pairs.e2, '%Y-%m-%d') as day,
    count(*) as open_compared,
    count(*) filter (where b.amount > a.amount) as amount_up,
    count(*) filter (where b.amount < a.amount) as amount_down,
    count(*) filter (where b.expected_close_on > a.expected_close_on) as close_pushed,
    count(*) filter (where b.expected_close_on < a.expected_close_on) as close_pulled,
    count(*) filter (where b.owner_rep_id <> a.owner_rep_id) as owner_moves
from pairs
inner join marts.fct_opportunity_daily_snapshot as a
    on a.snapshot_date = pairs.e1 and a.is_open
inner join marts.fct_opportunity_daily_snapshot as b
    on b.snapshot_date = pairs.e2 and b.is_open and b.opportunity_id = a.opportunity_id
group by 1
order by 1
"""


@pytest.mark.parametrize("world", WORLDS)
def test_the_snapshot_recovers_the_planted_pipeline_drift_exactly(planted_world, world):
    """Between consecutive extract dates, the opportunities open on both days moved exactly as
    the simulator wrote them (truth.json pipeline_history.per_extract_open_in_both): the
    snapshot reads each extract's values on its date, so no tolerance is needed. The field
    world's extracts are a vendor's export read through its profile; its dirty rows sit in the
    final export only and are quarantined (test_every_extract_row_is_kept_or_quarantined), so
    the same exact equality holds there."""
    w = planted_world(world)
    history = w.truth["pipeline_history"]
    dates = [*history["extract_dates"], history["final_extract_date"]]
    as_of = w.query("select max(snapshot_date) as d from marts.fct_opportunity_daily_snapshot")
    dates = [day for day in dates if day <= str(as_of["d"][0])[:10]]
    measured = w.query(MOVES_SQL, [dates])
    planted = history["per_extract_open_in_both"]
    assert len(measured) == len(dates) - 1 > 12
    for row in measured.to_dict("records"):
        day = row.pop("day")
        assert {k: int(v) for k, v in row.items()} == planted[day], day
    totals = history["totals_open_in_both"]
    assert totals["amount_up"] > 0 and totals["amount_down"] > 0 and totals["owner_moves"] > 0
    assert totals["close_pushed"] > totals["close_pulled"] > 0
    # planted revision share per month (0.18): realised over ~5k open pairs; ±0.03 is > 4σ
    share = (totals["amount_up"] + totals["amount_down"]) / totals["open_compared"]
    assert abs(share - history["planted"]["amount_revision_share"]) < 0.03


@pytest.mark.parametrize("world", WORLDS)
def test_one_row_per_opportunity_day_from_creation_to_close(planted_world, world):
    w = planted_world(world)
    mismatched = w.query(
        """
        with spans as (
            select
                opportunity_id,
                min(snapshot_date) as first_day,
                max(snapshot_date) as last_day,
                count(*) as days
            from marts.fct_opportunity_daily_snapshot
            group by opportunity_id
        )
        select count(*) as n
        from spans
        inner join marts.dim_opportunities as o using (opportunity_id)
        where spans.days <> datediff('day', spans.first_day, spans.last_day) + 1
            or spans.first_day <> cast(o.created_at as date)
            or (o.status_as_of = 'open' and spans.last_day <> o.as_of)
        """
    )["n"][0]
    assert mismatched == 0
    last = w.query(
        """
        select s.status, o.status_as_of
        from marts.fct_opportunity_daily_snapshot as s
        inner join marts.dim_opportunities as o using (opportunity_id)
        qualify row_number() over (partition by s.opportunity_id order by s.snapshot_date desc) = 1
        """
    )
    assert len(last) == w.query("select count(*) as n from marts.dim_opportunities")["n"][0]
    assert (last["status"] == last["status_as_of"]).all()


# the quarantine's column for each kind of dirty row the field world plants in its vendor
# extract (truth field_world.vendor_extracts: bad_date = 创建时间 on a day that does not
# exist, unknown_stage = 商机阶段 outside the profile, missing_key = the row's own id empty)
DIRTY_KIND_COLUMN = {
    "bad_date": "created_at",
    "unknown_stage": "stage",
    "missing_key": "opportunity_id",
}


@pytest.mark.parametrize("world", WORLDS)
def test_every_extract_row_is_kept_or_quarantined(planted_world, world):
    """The exact snapshot checks above hold on the field world only because ingest sets aside
    exactly the rows the vendor extract plants as dirty, under keys no clean row has, and keeps
    every other: rows in the final extract = opportunities in the marts + rows quarantined,
    the kept ones are the simulator's clean rows (truth row_counts), and the quarantined ones
    are the planted dirty rows, kind by kind. The default and alt worlds write canonical,
    clean files: nothing is quarantined."""
    w = planted_world(world)
    vendor = w.truth.get("field_world", {}).get("vendor_extracts")
    final = vendor["files"]["opportunities"][0] if vendor else "crm/opportunities.csv"
    rows_in = len(pd.read_csv(w.landing / final, dtype=str, encoding="utf-8-sig"))
    kept = w.query("select count(*) as n from marts.dim_opportunities")["n"][0]
    quarantine = w.home / "quarantine" / "opportunities.parquet"
    quarantined = (
        pd.read_parquet(quarantine, columns=["file", "column_name"])
        if quarantine.exists()
        else pd.DataFrame(columns=["file", "column_name"])
    )
    assert kept == w.truth["row_counts"]["opportunities"]
    assert rows_in == kept + len(quarantined)
    planted = vendor["dirty_rows"].get("opportunities", {}) if vendor else {}
    assert quarantined["column_name"].value_counts().to_dict() == {
        DIRTY_KIND_COLUMN[kind]: n for kind, n in planted.items()
    }
    assert {Path(f).name for f in quarantined["file"]} <= {Path(final).name}
    if world == "field":
        assert len(quarantined) > 0
