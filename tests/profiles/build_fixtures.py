"""Build the vendor-shaped fixtures of tests/profiles/ from the simulator, so the truth is known.

    .venv/bin/python tests/profiles/build_fixtures.py            # rewrites tests/profiles/fixtures/

1. Generate a small landing zone (``salesops generate --scale 0.02 --seed 5``).
2. Take a consistent subset: every opportunity owned by the reps of two teams (上海销售一组,
   杭州销售一组), with their stage history, accounts, leads (plus a few leads that never became
   opportunities) and finance contracts. Opportunities that re-enter a stage are left out:
   HubSpot's wide ``Date entered "<stage>"`` columns keep one date per stage, so such a deal
   cannot be exported faithfully. Timestamps are floored to the minute (neither vendor's
   export carries seconds).
3. Write that subset three times:
   * ``canonical/`` — the landing contract (the truth the vendor runs are compared with);
   * ``salesforce/`` — report exports with Salesforce's labels, 18-character record ids,
     ``M/D/YYYY h:mm AM`` dates, ``Probability (%)`` × 100, stages mapped back to
     Salesforce's picklist, plus the finance system's ``finance/contracts.csv``;
   * ``hubspot/`` — a deals export (one row per deal, ``Date entered "<stage> (Sales
     Pipeline)"`` columns, times in UTC), a companies export, the sales-ops reps sheet
     (``crm/reps.csv``, canonical) and ``finance/contracts.csv``.
4. ``id_map.json`` records canonical → vendor ids of the teams (the unit ids of the marts).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent / "fixtures"
TEAMS = ("T001", "T002")
UNCONVERTED_LEADS = 5

SF_STAGE = {
    "lead": "Prospecting",
    "qualified": "Qualification",
    "quote": "Proposal/Price Quote",
    "negotiation": "Negotiation/Review",
    "contract_approval": "Contract Approval",
    "won": "Closed Won",
    "lost": "Closed Lost",
}
HS_STAGE = {
    "lead": "Appointment Scheduled",
    "qualified": "Qualified To Buy",
    "quote": "Presentation Scheduled",
    "negotiation": "Decision Maker Bought-In",
    "contract_approval": "Contract Sent",
    "won": "Closed Won",
    "lost": "Closed Lost",
}
SF_TITLE = {
    "rep": "销售代表",
    "city_manager": "城市经理",
    "region_manager": "大区总监",
    "hq": "销售副总裁",
}
SF_LOSS_REASON = {
    "price": "Price",
    "competitor": "Lost to Competitor",
    "it_fit": "IT Fit",
    "requirement_mismatch": "Requirement Mismatch",
    "relationship": "Relationship",
    "timing": "Timing",
    "budget": "No Budget",
    "other": "Other",
}
SF_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def sf_id(prefix: str, canonical: str) -> str:
    """An 18-character Salesforce id (with its real case-checksum suffix) for a canonical id."""
    n = int("".join(ch for ch in canonical if ch.isdigit()))
    body = ""
    for _ in range(6):
        n, r = divmod(n, 62)
        body = BASE62[r] + body
    id15 = f"{prefix}5g0000{body}"
    assert len(id15) == 15, id15
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix += SF_CHECKSUM[bits]
    return id15 + suffix


def hs_id(base: int, canonical: str) -> str:
    return str(base + int("".join(ch for ch in canonical if ch.isdigit())))


def ts(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def minute(value: str) -> str:
    t = ts(value)
    return t.strftime("%Y-%m-%d %H:%M:00") if t else ""


def sf_datetime(value: str) -> str:
    t = ts(value)
    if not t:
        return ""
    hour = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {hour}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def sf_date(value: str) -> str:
    t = ts(value)
    return f"{t.month}/{t.day}/{t.year}" if t else ""


def hs_utc(value: str) -> str:
    t = ts(value)
    return (t - timedelta(hours=8)).strftime("%Y-%m-%d %H:%M") if t else ""


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write(path: Path, rows: list[dict], header: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = header or list(rows[0])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def subset(sim: Path) -> dict[str, list[dict]]:
    crm = sim / "crm"
    org = {u["unit_id"]: u for u in read(crm / "org_units.csv")}
    reps = [r for r in read(crm / "reps.csv") if r["team_id"] in TEAMS]
    rep_ids = {r["rep_id"] for r in reps}
    history = read(crm / "opportunity_stage_history.csv")
    seen, reentered = set(), set()
    for h in history:
        key = (h["opportunity_id"], h["stage"])
        if key in seen:
            reentered.add(h["opportunity_id"])
        seen.add(key)
    opps = [
        o
        for o in read(crm / "opportunities.csv")
        if o["owner_rep_id"] in rep_ids and o["opportunity_id"] not in reentered
    ]
    opp_ids = {o["opportunity_id"] for o in opps}
    history = sorted(
        (h for h in history if h["opportunity_id"] in opp_ids),
        key=lambda h: (h["opportunity_id"], h["entered_at"]),
    )
    all_leads = read(crm / "leads.csv")
    used_leads = {o["lead_id"] for o in opps}
    converted_anywhere = {o["lead_id"] for o in read(crm / "opportunities.csv")}
    spare = [
        lead
        for lead in all_leads
        if lead["assigned_rep_id"] in rep_ids and lead["lead_id"] not in converted_anywhere
    ][:UNCONVERTED_LEADS]
    leads = [lead for lead in all_leads if lead["lead_id"] in used_leads] + spare
    customer_ids = {o["customer_id"] for o in opps} | {lead["customer_id"] for lead in leads}
    customers = [c for c in read(crm / "customers.csv") if c["customer_id"] in customer_ids]
    contracts = [
        c for c in read(sim / "finance" / "contracts.csv") if c["opportunity_id"] in opp_ids
    ]
    for row in opps + leads + customers:
        row["created_at"] = minute(row["created_at"])
    for row in opps:
        row["closed_at"] = minute(row["closed_at"])
    for row in leads:
        row["first_response_at"] = minute(row["first_response_at"])
    for row in history:
        row["entered_at"] = minute(row["entered_at"])
    for row in contracts:
        row["signed_at"] = minute(row["signed_at"])
    names = [r["name"] for r in reps]
    assert len(set(names)) == len(names), "HubSpot owners are keyed by name: names must be unique"
    return {
        "org": org,
        "reps": reps,
        "customers": customers,
        "leads": leads,
        "opportunities": opps,
        "opportunity_stage_history": history,
        "contracts": contracts,
    }


def write_canonical(s: dict, out: Path) -> None:
    for name in ("reps", "customers", "leads", "opportunities", "opportunity_stage_history"):
        write(out / "crm" / f"{name}.csv", s[name])
    write(out / "finance" / "contracts.csv", s["contracts"])


def write_salesforce(s: dict, out: Path) -> None:
    org, reps = s["org"], {r["rep_id"]: r for r in s["reps"]}
    user = lambda rep_id: sf_id("005", rep_id)  # noqa: E731
    account = lambda cid: sf_id("001", cid)  # noqa: E731
    opp_id = lambda oid: sf_id("006", oid)  # noqa: E731
    customers = {c["customer_id"]: c for c in s["customers"]}
    write(
        out / "salesforce" / "users.csv",
        [
            {
                "User ID": user(r["rep_id"]),
                "Full Name": r["name"],
                "Title": SF_TITLE[r["role"]],
                "Role": org[r["team_id"]]["name"],
                "Active": "0" if r["termination_date"] else "1",
                "Created Date": sf_date(r["hire_date"]),
            }
            for r in s["reps"]
        ],
    )
    write(
        out / "salesforce" / "accounts.csv",
        [
            {
                "Account ID": account(c["customer_id"]),
                "Account Name": c["name"],
                "Industry": c["industry"],
                "Billing City": org[c["city_id"]]["name"],
                "Size Band": c["size_band"],
                "Created Date": sf_datetime(c["created_at"]),
            }
            for c in s["customers"]
        ],
    )
    converted = {o["lead_id"]: o for o in s["opportunities"]}
    write(
        out / "salesforce" / "leads.csv",
        [
            {
                "Lead ID": sf_id("00Q", lead["lead_id"]),
                "Company / Account": customers[lead["customer_id"]]["name"],
                "Lead Source": lead["source"],
                "Lead Owner": reps[lead["assigned_rep_id"]]["name"],
                "Owner ID": user(lead["assigned_rep_id"]),
                "Create Date": sf_datetime(lead["created_at"]),
                "Lead Status": "Converted" if lead["lead_id"] in converted else "Working",
                "Converted Account ID": account(lead["customer_id"])
                if lead["lead_id"] in converted
                else "",
                "Converted Opportunity ID": opp_id(converted[lead["lead_id"]]["opportunity_id"])
                if lead["lead_id"] in converted
                else "",
            }
            for lead in s["leads"]
        ],
    )
    rows = []
    for o in s["opportunities"]:
        close = o["expected_close_date"]
        try:
            datetime.fromisoformat(close)
        except (
            ValueError
        ):  # Salesforce's Close Date is a required date: free text cannot be entered
            close = o["closed_at"] or str((ts(o["created_at"]) + timedelta(days=90)).date())
        rows.append(
            {
                "Opportunity ID": opp_id(o["opportunity_id"]),
                "Opportunity Name": f"{customers[o['customer_id']]['name']}-{o['product_line']}",
                "Account ID": account(o["customer_id"]),
                "Account Name": customers[o["customer_id"]]["name"],
                "Opportunity Owner": reps[o["owner_rep_id"]]["name"],
                "Owner ID": user(o["owner_rep_id"]),
                "Stage": SF_STAGE[o["stage"]],
                "Amount": f"{float(o['amount']):,.2f}" if o["amount"] else "",
                "Probability (%)": f"{float(o['probability']) * 100:g}" if o["probability"] else "",
                "Close Date": sf_date(close),
                "Created Date": sf_datetime(o["created_at"]),
                "Lead Source": next(
                    (lead["source"] for lead in s["leads"] if lead["lead_id"] == o["lead_id"]), ""
                ),
                "Type": "New Customer",
                "Product Family": o["product_line"],
                "Loss Reason": SF_LOSS_REASON.get(o["loss_reason_code"], o["loss_reason_code"]),
                "Fiscal Period": f"Q{(ts(o['created_at']).month - 1) // 3 + 1}-{ts(o['created_at']).year}",
            }
        )
    write(out / "salesforce" / "opportunities.csv", rows)
    names = {
        o["opportunity_id"]: r["Opportunity Name"]
        for o, r in zip(s["opportunities"], rows, strict=True)
    }
    write(
        out / "salesforce" / "opportunity-history.csv",
        [
            {
                "Opportunity ID": opp_id(h["opportunity_id"]),
                "Opportunity Name": names[h["opportunity_id"]],
                "To Stage": SF_STAGE[h["stage"]],
                "Probability (%)": f"{float(h['probability']) * 100:g}" if h["probability"] else "",
                "Edit Date": sf_datetime(h["entered_at"]),
                "Last Modified By": reps[h["changed_by"]]["name"]
                if h["changed_by"] in reps
                else h["changed_by"],
            }
            for h in s["opportunity_stage_history"]
        ],
    )
    write(
        out / "finance" / "contracts.csv",
        [{**c, "opportunity_id": opp_id(c["opportunity_id"])} for c in s["contracts"]],
    )


def write_hubspot(s: dict, out: Path) -> None:
    org, reps = s["org"], {r["rep_id"]: r for r in s["reps"]}
    company = lambda cid: hs_id(18_000_000_000, cid)  # noqa: E731
    deal = lambda oid: hs_id(9_100_000_000, oid)  # noqa: E731
    customers = {c["customer_id"]: c for c in s["customers"]}
    write(
        out / "hubspot" / "hubspot-crm-exports-companies.csv",
        [
            {
                "Record ID": company(c["customer_id"]),
                "Company name": c["name"],
                "Industry": c["industry"],
                "City": org[c["city_id"]]["name"],
                "Size Band": c["size_band"],
                "Create Date": hs_utc(c["created_at"]),
            }
            for c in s["customers"]
            if any(o["customer_id"] == c["customer_id"] for o in s["opportunities"])
        ],
    )
    # The sales-ops reps sheet: HubSpot's users export has no hire date, so it is kept by hand.
    write(
        out / "crm" / "reps.csv",
        [{**r, "rep_id": r["name"], "team_id": org[r["team_id"]]["name"]} for r in s["reps"]],
    )
    entered: dict[str, dict[str, str]] = {}
    for h in s["opportunity_stage_history"]:
        entered.setdefault(h["opportunity_id"], {})[h["stage"]] = h["entered_at"]
    rows = []
    for o in s["opportunities"]:
        row = {
            "Record ID": deal(o["opportunity_id"]),
            "Deal Name": f"{customers[o['customer_id']]['name']} - {o['product_line']}",
            "Pipeline": "Sales Pipeline",
            "Deal Stage": HS_STAGE[o["stage"]],
            "Amount": o["amount"],
            "Close Date": o["expected_close_date"]
            if o["expected_close_date"][:2] == "20"
            else (o["closed_at"][:10] if o["closed_at"] else ""),
            "Create Date": hs_utc(o["created_at"]),
            "Deal owner": reps[o["owner_rep_id"]]["name"],
            "Associated Company IDs": company(o["customer_id"]),
            "Associated Company": customers[o["customer_id"]]["name"],
            "Deal probability": o["probability"],
            "Product line": o["product_line"],
            "Closed Lost Reason": o["loss_reason_text"],
        }
        for stage, label in HS_STAGE.items():
            at = entered.get(o["opportunity_id"], {}).get(stage, "")
            row[f'Date entered "{label} (Sales Pipeline)"'] = hs_utc(at)
        rows.append(row)
    write(out / "hubspot" / "hubspot-crm-exports-all-deals-2026-10-31.csv", rows)
    write(
        out / "finance" / "contracts.csv",
        [{**c, "opportunity_id": deal(c["opportunity_id"])} for c in s["contracts"]],
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sim = Path(tmp) / "sim"
        subprocess.run(
            [
                str(Path(sys.executable).with_name("salesops")),
                "generate",
                "--scale",
                "0.02",
                "--seed",
                "5",
                "--out",
                str(sim),
            ],
            check=True,
            capture_output=True,
        )
        s = subset(sim)
    for name in ("canonical", "salesforce", "hubspot"):
        target = HERE / name
        for old in sorted(target.rglob("*"), reverse=True) if target.exists() else []:
            old.unlink() if old.is_file() else old.rmdir()
    write_canonical(s, HERE / "canonical")
    write_salesforce(s, HERE / "salesforce")
    write_hubspot(s, HERE / "hubspot")
    teams = {t: s["org"][t]["name"] for t in TEAMS}
    (HERE / "id_map.json").write_text(
        json.dumps({"teams": {"salesforce": teams, "hubspot": teams}}, ensure_ascii=False, indent=1)
        + "\n",
        encoding="utf-8",
    )
    counts = {k: len(v) for k, v in s.items() if k != "org"}
    print(f"fixtures written to {HERE}: {counts}")


if __name__ == "__main__":
    main()
