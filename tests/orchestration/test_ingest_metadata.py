"""The ingest asset's metadata says what happened to the table's files, withdrawals included."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingest.assets import ingest_assets
from orchestration.resources import HomeRunLock, SalesopsHome

HEADER = "opportunity_id,lead_id,customer_id,owner_rep_id,product_line,created_at,stage,status,amount,expected_close_date,probability"


def _materialize(home, asset) -> dict:
    result = dg.materialize(
        [asset],
        resources={
            "salesops_home": SalesopsHome(home=str(home)),
            "run_lock": HomeRunLock(home=str(home)),
        },
    )
    (event,) = result.asset_materializations_for_node(asset.op.name)
    return {key: getattr(value, "value", value) for key, value in event.metadata.items()}


def test_a_removed_file_is_counted_as_withdrawn_in_the_assets_metadata(tmp_path):
    (asset,) = [a for a in ingest_assets if a.key.path[-1] == "opportunities"]
    crm = tmp_path / "landing" / "crm"
    crm.mkdir(parents=True)
    (crm / "opportunities.csv").write_text(
        HEADER + "\nO1,L1,C1,R1,P,2026-01-05 10:00:00,lead,open,100,,\n", encoding="utf-8"
    )
    extra = crm / "opportunities_2026-01-31.csv"
    extra.write_text(
        HEADER + "\nO7,L7,C7,R1,P,2026-01-05 10:00:00,lead,open,5,,\n"
        "O8,L8,C8,R1,P,2026-01-06 10:00:00,lead,open,6,,\n",
        encoding="utf-8",
    )
    first = _materialize(tmp_path, asset)
    assert (first["files_added"], first["rows_read"], first["files_withdrawn"]) == (2, 3, 0)

    extra.unlink()
    second = _materialize(tmp_path, asset)
    assert (second["files_withdrawn"], second["rows_withdrawn"], second["rows_read"]) == (1, 2, 1)
    assert [w["file"] for w in second["withdrawn"]] == ["crm/opportunities_2026-01-31.csv"]
    assert second["dagster/row_count"] == 1
