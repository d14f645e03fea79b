"""The dbt funnel-stage list (macros/funnel_stages.sql) follows the contract's canonical funnel."""

from __future__ import annotations

import re

from salesops.config import DBT_PROJECT_DIR
from salesops.contract import STAGE_LABELS_ZH, STAGES


def test_funnel_stage_macro_matches_the_contract():
    sql = (DBT_PROJECT_DIR / "macros" / "funnel_stages.sql").read_text(encoding="utf-8")
    entries = re.findall(r"\{'stage': '(\w+)', 'stage_order': (\d+), 'label_zh': '([^']+)'\}", sql)
    ordered = [stage for stage in STAGES if stage != "lost"]
    assert [e[0] for e in entries] == ordered
    assert [int(e[1]) for e in entries] == list(range(1, len(ordered) + 1))
    assert [e[2] for e in entries] == [STAGE_LABELS_ZH[s] for s in ordered]
