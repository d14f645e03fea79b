"""The landing zone the simulator writes: contract shape, determinism, volumes, integrity."""

import filecmp
import json
import re

import pandas as pd
import pytest

from salesops import contract
from simulator.config import load_config
from simulator.generate import NOT_SIMULATED, generate

TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
END = "2026-10-31 23:59:59"


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(load_config(overrides=["scale=0.02", "seed=7"]), a)
    generate(load_config(overrides=["scale=0.02", "seed=7"]), b)
    generate(load_config(overrides=["scale=0.02", "seed=8"]), c)
    assert _files(a) == _files(b)
    for rel in _files(a):
        assert filecmp.cmp(a / rel, b / rel, shallow=False), rel
    assert (a / "crm/opportunities.csv").read_bytes() != (c / "crm/opportunities.csv").read_bytes()
    assert (a / "crm/reps.csv").read_bytes() != (c / "crm/reps.csv").read_bytes()


def test_volumes_are_linear_in_scale(tmp_path):
    small = generate(load_config(overrides=["scale=0.02"]), tmp_path / "s")["row_counts"]
    double = generate(load_config(overrides=["scale=0.04"]), tmp_path / "d")["row_counts"]
    for name in (
        "opportunities",
        "leads",
        "activities",
        "chat_messages",
        "contracts",
        "payments",
        "customers",
    ):
        assert 1.7 <= double[name] / small[name] <= 2.3, (name, small[name], double[name])


NOT_KEPT_BY_THE_SIMULATED_CRM = {
    "opportunity_stage_history": {"derived_from"},  # the simulated CRM keeps a real history
    "opportunities": {"amount_original", "currency"},  # and books in yuan
    "reps": {"im_user_id"},  # its chat carries the CRM's rep ids, no chat accounts to map
}


def test_every_contract_table_and_column_is_written(landing):
    for name, table in contract.TABLES.items():
        if name in NOT_SIMULATED:
            assert not (landing.root / table.source / f"{name}.csv").exists()
            continue
        skipped = NOT_KEPT_BY_THE_SIMULATED_CRM.get(name, set())
        assert not skipped & set(table.required_columns)
        written = [c for c in table.column_names if c not in skipped]
        if table.source == "chat":
            files = sorted((landing.root / "chat").glob("chat_messages_*.jsonl"))
            assert len(files) == 24
            first = json.loads(files[0].read_text(encoding="utf-8").splitlines()[0])
            assert list(first) == written
        else:
            header = (
                (landing.root / table.source / f"{name}.csv")
                .read_text(encoding="utf-8")
                .splitlines()[0]
            )
            assert header.split(",") == written, name
        df = landing.table(name)
        assert len(df) > 0, name
        for col in (c for c in table.columns if c.name in written):
            values = df[col.name].dropna()
            if not col.nullable:
                assert df[col.name].notna().all(), (name, col.name)
            if col.enum and not col.enum_is_open:
                assert set(values) <= set(col.enum), (name, col.name)
            if col.type == "timestamp":
                assert values.str.match(TS).all(), (name, col.name)
                assert (values <= END).all(), (name, col.name)
            if col.type == "date":
                assert values.str.match(DATE).all(), (name, col.name)
            if col.type == "decimal":
                assert values.str.match(r"^-?\d+\.\d{2}$").all(), (name, col.name)
        assert not df.duplicated(list(table.primary_key)).any(), name
        if name != "chat_messages":
            keys = df[list(table.primary_key)].astype(str).agg("\x00".join, axis=1)
            assert keys.is_monotonic_increasing, f"{name} is not sorted by its primary key"


def test_optional_columns_carry_values(landing):
    for name, table in contract.TABLES.items():
        if name in NOT_SIMULATED:
            continue
        df = landing.table(name)
        for col in table.columns:
            if col.name in NOT_KEPT_BY_THE_SIMULATED_CRM.get(name, set()):
                continue
            if not col.required and name not in ("market_events",):
                assert df[col.name].notna().any(), (name, col.name)


def test_foreign_keys_resolve(landing):
    t = landing.table
    org = t("org_units")
    units = set(org["unit_id"])
    level = org.set_index("unit_id")["level"]
    assert (org["level"] == "hq").sum() == 1
    parent_level = level.reindex(org["parent_id"]).to_numpy()
    expected = {"region": "hq", "city": "region", "team": "city"}
    for lvl, parent in expected.items():
        assert (parent_level[(org["level"] == lvl).to_numpy()] == parent).all()
    assert (org["level"] == "region").sum() == 5
    cities = org[org["level"] == "city"]["unit_id"]
    teams = org[org["level"] == "team"]
    assert set(cities) <= set(teams["parent_id"]), "every city has a team"
    reps = t("reps")
    role_level = {"rep": "team", "city_manager": "city", "region_manager": "region", "hq": "hq"}
    assert (
        level.reindex(reps["team_id"]).to_numpy() == reps["role"].map(role_level).to_numpy()
    ).all()
    per_team = reps[reps["role"] == "rep"].groupby("team_id").size()
    assert set(per_team.index) == set(teams["unit_id"]) and (per_team >= 2).all()
    rep_ids = set(reps["rep_id"])
    customers = set(t("customers")["customer_id"])
    assert set(t("customers")["city_id"]) <= set(cities)
    leads = t("leads")
    assert set(leads["customer_id"]) <= customers and set(leads["assigned_rep_id"]) <= rep_ids
    opp = t("opportunities")
    opp_ids = set(opp["opportunity_id"])
    assert set(opp["lead_id"]) <= set(leads["lead_id"]) and set(opp["customer_id"]) <= customers
    assert set(opp["owner_rep_id"]) <= rep_ids
    for name, col in [
        ("opportunity_stage_history", "opportunity_id"),
        ("qualification_events", "opportunity_id"),
        ("activities", "opportunity_id"),
        ("sop_usage", "opportunity_id"),
        ("chat_messages", "opportunity_id"),
        ("contracts", "opportunity_id"),
    ]:
        assert set(t(name)[col].dropna()) <= opp_ids, name
    for name, col in [
        ("activities", "rep_id"),
        ("opportunity_stage_history", "changed_by"),
        ("target_adjustments", "rep_id"),
        ("forecast_submissions", "rep_id"),
        ("sop_usage", "rep_id"),
        ("chat_messages", "rep_id"),
        ("sop_cards", "author_rep_id"),
    ]:
        assert set(t(name)[col].dropna()) <= rep_ids, name
    targets = t("targets")
    assert set(targets["unit_id"]) <= units | rep_ids
    assert set(t("sop_usage")["card_id"]) <= set(t("sop_cards")["card_id"])
    assert set(t("sop_feedback")["usage_id"]) <= set(t("sop_usage")["usage_id"])
    assert set(t("payments")["contract_id"]) <= set(t("contracts")["contract_id"])
    assert set(t("deviation_reports")["unit_id"]) <= units
    assert set(t("competitor_events")["region_id"]) <= set(org[org["level"] == "region"]["unit_id"])


def test_stage_history_invariants(landing):
    opp = landing.table("opportunities").set_index("opportunity_id")
    h = landing.table("opportunity_stage_history").sort_values(
        ["opportunity_id", "entered_at"], kind="stable"
    )
    first = h.groupby("opportunity_id").first()
    last = h.groupby("opportunity_id").last()
    assert (first["stage"] == "lead").all()
    assert (first["entered_at"] == opp.loc[first.index, "created_at"]).all()
    assert (last["stage"] == opp.loc[last.index, "stage"]).all()
    assert set(h["opportunity_id"]) == set(opp.index)
    for status in ("won", "lost"):
        closed = opp["status"] == status
        assert (opp.loc[closed, "stage"] == status).all() and (
            opp.loc[opp["stage"] == status, "status"] == status
        ).all()
    assert (opp["closed_at"].notna() == opp["status"].isin(["won", "lost"])).all()
    terminal = last[last["stage"].isin(["won", "lost"])]
    assert (terminal["entered_at"] == opp.loc[terminal.index, "closed_at"]).all()
    # a terminal stage is the last entry, and nothing is recorded after it
    terminal_rows = h[h["stage"].isin(["won", "lost"])]
    assert not terminal_rows["opportunity_id"].duplicated().any()
    # planted regressions exist: quote entered after negotiation
    h = h.assign(prev=h.groupby("opportunity_id")["stage"].shift())
    assert ((h["stage"] == "quote") & (h["prev"] == "negotiation")).sum() > 0
    prob = pd.to_numeric(opp["probability"])
    assert prob.between(0, 1).all()


def test_finance_invariants(landing):
    opp = landing.table("opportunities").set_index("opportunity_id")
    con = landing.table("contracts")
    assert not con["opportunity_id"].duplicated().any()
    assert set(con["opportunity_id"]) == set(opp.index[opp["status"] == "won"])
    assert (
        con["signed_at"].to_numpy() == opp.loc[con["opportunity_id"], "closed_at"].to_numpy()
    ).all()
    assert (con["amount"].to_numpy() == opp.loc[con["opportunity_id"], "amount"].to_numpy()).all()
    pay = landing.table("payments").merge(con[["contract_id", "signed_at"]], on="contract_id")
    assert pay.groupby("contract_id").size().between(1, 3).all()
    assert (pay["received_at"] >= pay["signed_at"]).all()
    assert (pay["recorded_in_finance_at"] >= pay["received_at"]).all()
    synced = pay["synced_to_crm_at"].dropna()
    assert (synced >= pay.loc[synced.index, "recorded_in_finance_at"]).all()
    paid = pay.assign(a=pay["amount"].astype(float)).groupby("contract_id")["a"].sum()
    amount = con.set_index("contract_id")["amount"].astype(float)
    assert (paid <= amount.reindex(paid.index) + 0.01).all()


def test_visits_are_ordered_node_sequences(landing):
    a = landing.table("activities")
    v = a[a["visit_id"].notna()].sort_values(
        ["visit_id", "occurred_at", "activity_id"], kind="stable"
    )
    order = {n: i for i, n in enumerate(contract.VISIT_NODES)}
    idx = v["node"].map(order)
    pos = v.groupby("visit_id").cumcount()
    assert (idx.to_numpy() == pos.to_numpy()).all(), (
        "nodes start at appointment_confirmed and follow the order"
    )
    sizes = v.groupby("visit_id").size()
    assert (sizes == 5).any() and (sizes < 5).any()
    assert v.groupby("visit_id")["opportunity_id"].nunique().max() == 1


def test_terminated_reps_do_no_work_after_leaving(landing):
    reps = landing.table("reps").set_index("rep_id")
    a = landing.table("activities")
    term = reps["termination_date"].reindex(a["rep_id"]).to_numpy()
    day = a["occurred_at"].str[:10].to_numpy()
    done = pd.notna(term)
    assert (day[done] <= term[done]).all()


@pytest.mark.parametrize("kind", ["mobile", "email", "id_card"])
def test_pii_is_planted_in_chat(landing, kind):
    text = landing.table("chat_messages")["text"]
    pattern = {
        "mobile": r"(?:\+86 )?1[3-9]\d[ -]?\d{4}[ -]?\d{4}",
        "email": r"[a-z]\d{6}@",
        "id_card": r"\d{17}[\dX]",
    }[kind]
    assert (
        text.str.contains(pattern, regex=True).sum()
        >= landing.manifest["pii"]["counts"][kind] * 0.9
    )
