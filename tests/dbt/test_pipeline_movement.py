"""Pipeline movement waterfall (issue 5, item 2): start + new + pulled in + amount up − amount
down − pushed out − won − lost ± owner moves = end, per unit, window and pipeline view.

Each category on hand rows (amount up/down, pull-in, push-out, owner moves, a loss dated for a
later month, a reopened deal) is asserted by the dbt unit tests in
models/intermediate/pipeline/_pipeline__models.yml and models/marts/pipeline/_pipeline__models.yml.
Here:

* a hand fixture built end to end through the daily snapshot (one CRM extract, so only the
  stage moves over time): March 2026 of a small org, asserted exactly in the three views;
* the planted worlds ("default", "alt", "field"): the identity holds on every row, in yuan and in
  counts; consecutive windows chain (a window's end is the next one's start); the last
  window's whole open pipeline is the funnel's open count; and the waterfall's won / lost per
  month are the win-rate mart's.

Fixture (as_of 2026-03-31; history entries 09:00; amounts in yuan; expected close as entered):

    hq ─┬─ t1: r1     A 100 000 close 03-10: open at 02-28 (contract_approval), won 03-05
        │             B  50 000 close 待定:   open at 02-28, lost 03-10
        │             E  80 000 close 03-28: open at 02-28 and 03-31
        │             G  60 000 close 04-15: created 03-02, open at 03-31
        └─ t2: r2     C 300 000 close 03-31: open at 02-28, won 03-20
                      D 200 000 close 04-30: open at 02-28, lost 03-15 (April's, not March's)
                      F  40 000 close 尽快:   open throughout
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

AS_OF = "2026-03-31"
WORLDS = ("default", "alt", "field")


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


DEALS = {
    "A": ("r1", "2026-01-05", 100000, "2026-03-10", [
        ("lead", "2026-01-05"), ("contract_approval", "2026-02-10"), ("won", "2026-03-05"),
    ]),
    "B": ("r1", "2025-12-15", 50000, "待定", [("lead", "2025-12-15"), ("lost", "2026-03-10")]),
    "E": ("r1", "2026-02-10", 80000, "2026-03-28", [("lead", "2026-02-10"), ("quote", "2026-03-01")]),
    "G": ("r1", "2026-03-02", 60000, "2026-04-15", [("lead", "2026-03-02")]),
    "C": ("r2", "2026-01-20", 300000, "2026-03-31", [("lead", "2026-01-20"), ("won", "2026-03-20")]),
    "D": ("r2", "2026-02-01", 200000, "2026-04-30", [("lead", "2026-02-01"), ("lost", "2026-03-15")]),
    "F": ("r2", "2026-02-20", 40000, "尽快", [("lead", "2026-02-20")]),
}  # fmt: skip

ROWS: dict[str, list[dict]] = {
    "org_units": [
        {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
        {"unit_id": "t1", "level": "team", "parent_id": "hq", "name": "一组"},
        {"unit_id": "t2", "level": "team", "parent_id": "hq", "name": "二组"},
    ],
    "reps": [
        {"rep_id": rep, "name": rep, "team_id": team, "role": "rep", "hire_date": date(2025, 1, 1)}
        for rep, team in (("r1", "t1"), ("r2", "t2"))
    ],
    "opportunities": [
        {
            "opportunity_id": opp,
            "lead_id": f"L{opp}",
            "customer_id": f"cust_{opp}",
            "owner_rep_id": owner,
            "product_line": "pumps",
            "created_at": ts(created),
            "stage": history[-1][0],
            "status": history[-1][0] if history[-1][0] in ("won", "lost") else "open",
            "amount": amount,
            "expected_close_date": close,
        }
        for opp, (owner, created, amount, close, history) in DEALS.items()
    ],
    "opportunity_stage_history": [
        {"opportunity_id": opp, "stage": stage, "entered_at": ts(at), "changed_by": owner}
        for opp, (owner, _created, _amount, _close, history) in DEALS.items()
        for stage, at in history
    ],
}

# the pipeline marts, everything upstream of them and dim_org_units (their relationships
# tests), and only the pipeline marts' data tests (the identity test among them)
BUILD_ARGS = (
    "build",
    "--select",
    "+path:models/marts/pipeline,resource_type:model",
    "+path:models/marts/pipeline,resource_type:seed",
    "+dim_org_units,resource_type:model",
    "path:models/marts/pipeline,resource_type:test",
    "--indirect-selection=empty",
)

PIECES = (
    "start", "new", "pulled_in", "pushed_out", "won", "lost", "owner_in", "owner_out", "end",
)  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, warehouse_builder):
    root = tmp_path_factory.mktemp("pipeline_movement")
    path = warehouse_builder(root, ROWS, *BUILD_ARGS, "--vars", f'{{"as_of": "{AS_OF}"}}')
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _waterfall(con, unit_id: str, view: str) -> dict:
    frame = con.execute(
        "select * from marts.fct_pipeline_movement "
        "where window_grain = 'month' and window_start = '2026-03-01' "
        "and unit_id = ? and pipeline_view = ?",
        [unit_id, view],
    ).df()
    assert len(frame) == 1
    row = frame.iloc[0]
    pieces = {p: (int(row[f"{p}_count"]), float(row[f"{p}_amount"])) for p in PIECES}
    pieces["amount_up"] = (int(row["amount_up_count"]), float(row["amount_up"]))
    pieces["amount_down"] = (int(row["amount_down_count"]), float(row["amount_down"]))
    pieces["undated_open"] = (int(row["undated_open_count"]), float(row["undated_open_amount"]))
    return {k: v for k, v in pieces.items() if v != (0, 0.0)}


@pytest.mark.parametrize(
    ("unit_id", "view", "expected"),
    [
        # every open deal: A, B, E at the start; G new; A won, B lost; E, G at the end
        ("t1", "all_open", {
            "start": (3, 230000.0), "new": (1, 60000.0), "won": (1, 100000.0),
            "lost": (1, 50000.0), "end": (2, 140000.0), "undated_open": (0, 0.0),
        }),
        # dated in March: A and E (B undated, never in); G is dated April
        ("t1", "close_this_month", {
            "start": (2, 180000.0), "won": (1, 100000.0), "end": (1, 80000.0),
        }),
        ("t1", "close_next_month", {"new": (1, 60000.0), "end": (1, 60000.0)}),
        # HQ: D is dated April, so its March loss is not March's; F is undated throughout
        ("hq", "close_this_month", {
            "start": (3, 480000.0), "won": (2, 400000.0), "end": (1, 80000.0),
            "undated_open": (1, 40000.0),
        }),
        ("hq", "close_next_month", {
            "start": (1, 200000.0), "new": (1, 60000.0), "lost": (1, 200000.0),
            "end": (1, 60000.0), "undated_open": (1, 40000.0),
        }),
        ("hq", "all_open", {
            "start": (6, 770000.0), "new": (1, 60000.0), "won": (2, 400000.0),
            "lost": (2, 250000.0), "end": (3, 180000.0), "undated_open": (1, 40000.0),
        }),
    ],
)  # fmt: skip
def test_march_waterfall_on_hand_rows(warehouse, unit_id, view, expected):
    got = _waterfall(warehouse, unit_id, view)
    expected = {k: v for k, v in expected.items() if v != (0, 0.0)}
    assert got == expected


def test_hand_rows_weeks_chain_into_the_month(warehouse):
    # every week opens where the previous one ended: nothing falls between two windows
    frame = warehouse.execute(
        "select window_start, start_count, start_amount, end_count, end_amount "
        "from marts.fct_pipeline_movement "
        "where window_grain = 'iso_week' and unit_id = 'hq' and pipeline_view = 'all_open' "
        "order by window_start"
    ).df()
    assert len(frame) > 10
    for previous, current in zip(
        frame.iloc[:-1].itertuples(), frame.iloc[1:].itertuples(), strict=True
    ):
        assert (previous.end_count, previous.end_amount) == (
            current.start_count,
            current.start_amount,
        )


# ------------------------------------------------------------------------------ planted worlds

IDENTITY_AMOUNT = (
    "start_amount + new_amount + pulled_in_amount + amount_up - amount_down"
    " - pushed_out_amount - won_amount - lost_amount + owner_in_amount - owner_out_amount"
)
IDENTITY_COUNT = (
    "start_count + new_count + pulled_in_count - pushed_out_count - won_count - lost_count"
    " + owner_in_count - owner_out_count"
)


@pytest.mark.parametrize("world_name", WORLDS)
def test_waterfall_identity_holds_on_every_row(planted_world, world_name):
    world = planted_world(world_name)
    summary = world.query(
        "select window_grain, pipeline_view, count(*) as row_count, "
        f"sum(case when {IDENTITY_AMOUNT} <> end_amount then 1 else 0 end) as amount_breaks, "
        f"sum(case when {IDENTITY_COUNT} <> end_count then 1 else 0 end) as count_breaks, "
        "sum(won_count + lost_count) as closes, sum(start_count) as starts "
        "from marts.fct_pipeline_movement group by window_grain, pipeline_view"
    )
    assert len(summary) == 6  # 2 grains × 3 views
    assert (summary["row_count"] > 0).all()
    assert (summary["amount_breaks"] == 0).all(), summary
    assert (summary["count_breaks"] == 0).all(), summary
    assert (summary["closes"] > 0).all() and (summary["starts"] > 0).all(), summary


@pytest.mark.parametrize("world_name", WORLDS)
def test_consecutive_windows_chain(planted_world, world_name):
    breaks = (
        planted_world(world_name)
        .query(
            "select count(*) as pairs, "
            "sum(case when a.end_count <> b.start_count or a.end_amount <> b.start_amount "
            "then 1 else 0 end) as breaks "
            "from marts.fct_pipeline_movement as a "
            "inner join marts.fct_pipeline_movement as b "
            "on b.unit_id = a.unit_id and b.window_grain = a.window_grain "
            "and b.pipeline_view = a.pipeline_view and b.start_date = a.end_date "
            "where a.pipeline_view = 'all_open'"
        )
        .iloc[0]
    )
    assert breaks["pairs"] > 1000
    assert breaks["breaks"] == 0


@pytest.mark.parametrize("world_name", WORLDS)
def test_waterfall_agrees_with_the_funnel_and_win_rate_marts(planted_world, world_name):
    world = planted_world(world_name)
    open_now = world.query(
        "select movement.unit_id, movement.end_count, summary.open_count "
        "from marts.fct_pipeline_movement as movement "
        "inner join marts.fct_funnel_summary as summary on summary.unit_id = movement.unit_id "
        "where movement.window_grain = 'month' and movement.pipeline_view = 'all_open' "
        "and movement.end_date = movement.as_of"
    )
    assert len(open_now) > 10
    assert (open_now["end_count"] == open_now["open_count"]).all(), open_now
    closes = world.query(
        "select sum(case when movement.won_count <> win_rate.won_count "
        "or movement.lost_count <> win_rate.lost_count then 1 else 0 end) as breaks, "
        "sum(movement.won_count) as won "
        "from marts.fct_pipeline_movement as movement "
        "inner join marts.fct_win_rate_monthly as win_rate "
        "on win_rate.unit_id = movement.unit_id and win_rate.month_start = movement.window_start "
        "where movement.window_grain = 'month' and movement.pipeline_view = 'all_open'"
    ).iloc[0]
    assert closes["won"] > 0
    assert closes["breaks"] == 0
