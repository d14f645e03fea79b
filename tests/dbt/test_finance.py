"""Finance marts: contracts and payments reconciled to opportunities, finance→CRM sync lag and
its alerts, and signed-but-unpaid deals a naive CRM-only rule misreads as high-risk.

Hand-made world (as_of 2026-03-10; the as_of instant is the end of that day, 03-11 00:00),
one team t1 under hq, rep ra:

    O1 won 01-05, amount 1000. C1 signed 01-05, 1000. P1 1000 recorded 01-20 10:00, synced
       01-21 10:00 = exactly 24 h → on time (the alert needs strictly more than 24 h).
    O2 won 01-08, 2000. C2 signed 01-08, 2000. P2 2000 recorded 01-25 10:00, synced 03-20
       (after as_of → not synced as of as_of; lag = age at 03-11 00:00 = 1070 h → alert).
       61 days since signing and nothing in the CRM: the naive rule says high-risk, but
       finance has the money → misread, corrected status paid_not_synced.
    O3 won 01-09, 3000. C3 signed 01-09 for 2500 (500 short of the opportunity), never
       paid → naive high-risk and truly unpaid (unpaid_overdue), amounts do not match.
    O4 won 03-01, 500, no contract → won_without_contract.
    O5 still open; C5 signed 03-09 for 100 → contract_on_unwon_opportunity. P5 100 recorded
       03-10 06:00, not synced → 18 h old, no alert; 1 day since signing → not naive-flagged.
    C9 names O_GHOST, unknown to the CRM → contract_without_opportunity. P9 700 recorded
       02-02 09:00:00, synced 02-03 09:00:01 = 24 h + 1 s → alert (synced_late).
    P11 on C1 recorded 03-12, after as_of → not known.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

AS_OF = "2026-03-10"
WORLDS = ("default", "alt", "field")
FINANCE_MARTS = (
    "fct_finance_payments",
    "fct_finance_sync_alerts",
    "fct_finance_contracts_reconciled",
)
EXACT = 1e-9  # whole seconds and whole yuan: only float rounding may differ


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text if " " in text else f"{text} 09:00")


ORG_UNITS = [
    {"unit_id": "hq", "level": "hq", "parent_id": None, "name": "总部"},
    {"unit_id": "t1", "level": "team", "parent_id": "hq", "name": "一组"},
]
REPS = [
    {"rep_id": "ra", "name": "张三", "team_id": "t1", "role": "rep", "hire_date": date(2024, 1, 1)}
]
# (opportunity, created, amount, [(stage, entered)])
_OPPORTUNITIES = (
    ("O1", "2026-01-01", 1000, [("lead", "2026-01-01"), ("won", "2026-01-05")]),
    ("O2", "2026-01-02", 2000, [("lead", "2026-01-02"), ("won", "2026-01-08")]),
    ("O3", "2026-01-03", 3000, [("lead", "2026-01-03"), ("won", "2026-01-09")]),
    ("O4", "2026-02-01", 500, [("lead", "2026-02-01"), ("won", "2026-03-01")]),
    ("O5", "2026-02-01", 100, [("lead", "2026-02-01")]),
)
OPPORTUNITIES = [
    {
        "opportunity_id": opp,
        "lead_id": f"L{opp}",
        "customer_id": f"cust_{opp}",
        "owner_rep_id": "ra",
        "product_line": "pumps",
        "created_at": ts(created),
        "stage": history[-1][0],
        "status": "won" if history[-1][0] == "won" else "open",
        "amount": amount,
    }
    for opp, created, amount, history in _OPPORTUNITIES
]
STAGE_HISTORY = [
    {"opportunity_id": opp, "stage": stage, "entered_at": ts(at), "changed_by": "ra"}
    for opp, _, _, history in _OPPORTUNITIES
    for stage, at in history
]
CONTRACTS = [
    {"contract_id": c, "opportunity_id": o, "signed_at": ts(at), "amount": amount}
    for c, o, at, amount in (
        ("C1", "O1", "2026-01-05", 1000),
        ("C2", "O2", "2026-01-08", 2000),
        ("C3", "O3", "2026-01-09", 2500),
        ("C5", "O5", "2026-03-09", 100),
        ("C9", "O_GHOST", "2026-02-01", 700),
    )
]
PAYMENTS = [
    {
        "payment_id": p,
        "contract_id": c,
        "amount": amount,
        "received_at": ts(recorded),
        "recorded_in_finance_at": ts(recorded),
        "synced_to_crm_at": ts(synced) if synced else None,
    }
    for p, c, amount, recorded, synced in (
        ("P1", "C1", 1000, "2026-01-20 10:00:00", "2026-01-21 10:00:00"),
        ("P2", "C2", 2000, "2026-01-25 10:00:00", "2026-03-20 10:00:00"),
        ("P5", "C5", 100, "2026-03-10 06:00:00", None),
        ("P9", "C9", 700, "2026-02-02 09:00:00", "2026-02-03 09:00:01"),
        ("P11", "C1", 50, "2026-03-12 09:00:00", None),
    )
]
ROWS = {
    "org_units": ORG_UNITS,
    "reps": REPS,
    "opportunities": OPPORTUNITIES,
    "opportunity_stage_history": STAGE_HISTORY,
    "contracts": CONTRACTS,
    "payments": PAYMENTS,
}


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory, warehouse_builder):
    return warehouse_builder(
        tmp_path_factory.mktemp("finance"),
        ROWS,
        "build",
        "--select",
        *(f"+{mart}" for mart in FINANCE_MARTS),
        # only tests whose every parent is built (not other marts' tests on shared parents);
        # unit tests run in tests/dbt/test_dbt_unit_tests.py
        "--indirect-selection",
        "cautious",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        f'{{"as_of": "{AS_OF}"}}',
    )


def frame(db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


# --------------------------------------------------------------------------- hand fixture


def test_sync_lag_and_the_24_hour_boundary(fixture_db):
    payments = frame(fixture_db, "select * from marts.fct_finance_payments").set_index("payment_id")
    assert sorted(payments.index) == ["P1", "P2", "P5", "P9"]  # P11 is after as_of
    expected = {
        # payment: (is_synced, lag hours, alert)
        "P1": (True, 24.0, False),  # exactly 24 h: on time
        "P9": (True, 24 + 1 / 3600, True),  # 24 h + 1 s: late
        "P2": (False, 1070.0, True),  # synced after as_of: still missing as of as_of
        "P5": (False, 18.0, False),
    }
    for payment, (synced, lag, alert) in expected.items():
        row = payments.loc[payment]
        assert bool(row.is_synced) is synced, payment
        assert abs(row.sync_lag_hours - lag) < EXACT, payment
        assert bool(row.is_sync_alert) is alert, payment
    assert pd.isna(payments.loc["P2", "synced_to_crm_at"])
    assert payments.loc["P9", "alert_raised_at"] == pd.Timestamp("2026-02-03 09:00:00")
    assert payments.loc["P1", "team_id"] == "t1" and pd.isna(payments.loc["P9", "team_id"])


def test_alerts_list_late_and_missing_syncs(fixture_db):
    alerts = frame(fixture_db, "select * from marts.fct_finance_sync_alerts order by payment_id")
    assert list(zip(alerts.payment_id, alerts.alert_kind, strict=True)) == [
        ("P2", "not_synced"),
        ("P9", "synced_late"),
    ]
    assert alerts.alert_text_en[0] == (
        "Payment P2 (contract C2) recorded in finance 1070.0 h ago, still not in the CRM"
    )
    assert alerts.alert_text_zh[1] == "回款 P9（合同 C9）同步到CRM用时 24.0 小时，超过阈值"


def test_contracts_reconciled_to_opportunities(fixture_db):
    rec = frame(fixture_db, "select * from marts.fct_finance_contracts_reconciled").set_index(
        "reconciliation_key"
    )
    assert rec.reconciliation_status.to_dict() == {
        "contract:C1": "matched",
        "contract:C2": "matched",
        "contract:C3": "matched",
        "contract:C5": "contract_on_unwon_opportunity",
        "contract:C9": "contract_without_opportunity",
        "opportunity:O4": "won_without_contract",
    }
    assert rec.loc["contract:C3", "amount_difference"] == -500
    assert not rec.loc["contract:C3", "is_amount_matched"]
    assert rec.loc["contract:C1", "is_amount_matched"]
    assert rec.loc["contract:C5", "opportunity_status_as_of"] == "open"
    assert rec.loc["contract:C9", "opportunity_id"] == "O_GHOST"
    assert pd.isna(rec.loc["contract:C9", "team_id"])
    assert rec.loc["opportunity:O4", "opportunity_amount"] == 500
    payments = rec[["finance_paid_amount", "crm_paid_amount", "unpaid_amount", "payment_status"]]
    assert payments.loc["contract:C1"].tolist() == [1000, 1000, 0, "fully_paid"]
    assert payments.loc["contract:C2"].tolist() == [2000, 0, 0, "fully_paid"]
    assert payments.loc["contract:C3"].tolist() == [0, 0, 2500, "unpaid"]
    assert payments.loc["contract:C9"].tolist() == [700, 700, 0, "fully_paid"]


def test_signed_but_unpaid_naive_flag_vs_corrected_status(fixture_db):
    rec = frame(
        fixture_db,
        """
        select contract_id, days_since_signed, is_naive_high_risk, is_misread_high_risk,
            corrected_risk_status
        from marts.fct_finance_contracts_reconciled
        where contract_id is not null
        order by contract_id
        """,
    )
    assert rec.values.tolist() == [
        ["C1", 64, False, False, "paid_in_crm"],
        ["C2", 61, True, True, "paid_not_synced"],  # the misread: finance was paid
        ["C3", 60, True, False, "unpaid_overdue"],  # the real risk
        ["C5", 1, False, False, "paid_not_synced"],  # within terms, not flagged
        ["C9", 37, False, False, "paid_in_crm"],
    ]


# --------------------------------------------------------------------------- planted worlds


@pytest.mark.parametrize("world", WORLDS)
def test_planted_sync_lag_is_recovered(planted_world, world):
    """truth.json finance_sync.realised is computed over every payment of the extract with the
    same definition (lag over synced payments, unsynced = empty synced_to_crm_at); as_of is
    the extract's end date, so nothing is cut and the figures agree up to the manifest's
    rounding (2 decimals for hours, 4 for the share)."""
    w = planted_world(world)
    realised = w.truth["finance_sync"]["realised"]
    assert (
        str(w.query("select max(as_of) as d from marts.fct_finance_payments").d[0])[:10]
        == (w.truth["generator"]["end_date"])
    )
    m = w.query(
        """
        select
            avg(case when is_synced then sync_lag_hours end) as mean_lag,
            median(case when is_synced then sync_lag_hours end) as median_lag,
            avg(case when is_synced then 0.0 else 1.0 end) as unsynced_share,
            count(*) as payments
        from marts.fct_finance_payments
        """
    ).iloc[0]
    assert abs(m.mean_lag - realised["mean_lag_hours"]) <= 0.005 + 1e-9
    assert abs(m.median_lag - realised["median_lag_hours"]) <= 0.005 + 1e-9
    assert abs(m.unsynced_share - realised["unsynced_share"]) <= 0.00005 + 1e-9
    # the planted lag range is entirely above 24 h, so every synced payment alerts
    planted = w.truth["finance_sync"]["planted"]
    assert planted["lag_hours_min"] > 24
    a = w.query(
        """
        select
            count(*) filter (where alert_kind = 'synced_late') as late,
            count(*) filter (where alert_kind = 'not_synced') as missing
        from marts.fct_finance_sync_alerts
        """
    ).iloc[0]
    p = w.query(
        """
        select
            count(*) filter (where is_synced) as synced,
            count(*) filter (where not is_synced and sync_lag_hours > 24) as old_unsynced
        from marts.fct_finance_payments
        """
    ).iloc[0]
    assert (a.late, a.missing) == (p.synced, p.old_unsynced)


@pytest.mark.parametrize("world", WORLDS)
def test_planted_contracts_reconcile_and_misreads_match_the_extract(planted_world, world):
    """The simulator writes one contract per won opportunity, for its amount; the misread set
    is recomputed here from the landing CSVs (naive: signed > 30 days before the end date, no
    payment synced; finance: some payment recorded)."""
    w = planted_world(world)
    rec = w.query("select * from marts.fct_finance_contracts_reconciled")
    assert set(rec.reconciliation_status) == {"matched"}
    assert rec.is_amount_matched.all()
    assert (rec.finance_paid_amount <= rec.contract_amount + 0.01).all()

    end = pd.Timestamp(w.truth["generator"]["end_date"])
    contracts = pd.read_csv(w.landing / "finance" / "contracts.csv", parse_dates=["signed_at"])
    payments = pd.read_csv(
        w.landing / "finance" / "payments.csv",
        parse_dates=["recorded_in_finance_at", "synced_to_crm_at"],
    )
    in_crm = set(payments.loc[payments.synced_to_crm_at.notna(), "contract_id"])
    in_finance = set(payments.contract_id)
    old = contracts[(end - contracts.signed_at.dt.normalize()).dt.days > 30]
    naive = set(old.contract_id) - in_crm
    expected_misread = naive & in_finance
    assert expected_misread, "the planted unsynced share must leave some misreads"
    assert set(rec.loc[rec.is_naive_high_risk.astype(bool), "contract_id"]) == naive
    assert set(rec.loc[rec.is_misread_high_risk.astype(bool), "contract_id"]) == expected_misread
    assert (
        rec.loc[rec.is_misread_high_risk.astype(bool), "corrected_risk_status"] == "paid_not_synced"
    ).all()


def test_field_deal_sizes_and_year_end_rush_are_read_from_the_contracts(planted_world):
    """The field world's heavy tail of deal sizes and its year-end rush, as the simulator
    realised them from the contracts it wrote (truth field_world.deal_size and year_end_rush),
    read from the reconciliation mart's contracts signed in the window. Same contracts, same
    definitions, so the figures agree up to the manifest's rounding (4 decimals for shares
    and ratios, 2 for yuan): the mart neither drops nor truncates the large deals that carry
    most of the value, nor moves a December signing to another month."""
    w = planted_world("field")
    field = w.truth["field_world"]
    generator = w.truth["generator"]
    start = pd.Timestamp(generator["start_date"])
    contracts = w.query(
        "select signed_on, contract_amount from marts.fct_finance_contracts_reconciled "
        "where contract_id is not null and signed_on >= ?",
        [start.date()],
    )
    amounts = contracts.contract_amount.astype(float).sort_values(ascending=False)
    size = field["deal_size"]
    assert len(amounts) == size["won_deals"]
    top = math.ceil(0.1 * len(amounts))
    top_share = amounts.iloc[:top].sum() / amounts.sum()
    assert abs(top_share - size["top_decile_share_of_won_value"]) <= 0.00005 + 1e-12
    assert top_share >= 0.5  # the heavy tail: the top 10% carry at least half
    assert abs(amounts.median() - size["median_won_amount"]) <= 0.005
    assert abs(amounts.max() - size["max_won_amount"]) <= 0.005

    months = pd.period_range(start, periods=generator["months"], freq="M").strftime("%Y-%m")
    signed_month = pd.to_datetime(contracts.signed_on).dt.strftime("%Y-%m")
    count = signed_month.value_counts().reindex(months, fill_value=0)
    value = contracts.contract_amount.astype(float).groupby(signed_month).sum()
    value = value.reindex(months, fill_value=0.0)
    rush = field["year_end_rush"]
    decembers = rush["december_won_deals_over_mean_month"]
    assert decembers and set(decembers) == {m for m in months if m.endswith("-12")}
    for month, ratio in decembers.items():
        assert abs(count[month] / count.mean() - ratio) <= 0.00005 + 1e-12, month
        assert (
            abs(value[month] / value.mean() - rush["december_won_value_over_mean_month"][month])
            <= 0.00005 + 1e-12
        ), month
    assert max(decembers.values()) > 1  # a rush, not an ordinary month
