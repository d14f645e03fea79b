"""Profile loading: the shipped profiles load, and every mistake names the profile file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops.ingest import ProfileError, load_profile

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("vendor", ["salesforce", "hubspot"])
def test_shipped_profiles_load(vendor):
    profile = load_profile(ROOT / "profiles" / f"{vendor}.yaml")
    assert profile.name == vendor
    assert {r.table for r in profile.rules} >= {
        "opportunities",
        "opportunity_stage_history",
        "customers",
    }


def test_a_derivation_may_fall_back_to_further_columns():
    profile = load_profile(ROOT / "profiles" / "salesforce.yaml")
    leads = next(r for r in profile.rules if r.table == "leads")
    assert leads.derive["lead_id"].sources == ("Converted Opportunity ID", "Lead ID")


RULE = 'files:\n  - match: "*.csv"\n    table: opportunities\n'
CASES = {
    "unknown top-level key": ("profile: x\nfilez: []\n", ["filez"]),
    "unknown rule key": (RULE + "    colums: {}\n", ["files[0]", "colums"]),
    "unknown table": ('files:\n  - match: "*.csv"\n    table: deals\n', ["files[0]", "deals"]),
    "unknown column": (
        RULE + '    columns: {"Stage": stage_name}\n',
        ["files[0] columns", "stage_name"],
    ),
    "unknown value-map column": (
        RULE + "    values: {phase: {a: b}}\n",
        ["files[0] values", "phase"],
    ),
    "value outside the enum": (
        RULE + '    values: {stage: {"Closed Won": closed_won}}\n',
        ["values.stage", "closed_won"],
    ),
    "unknown derive key": (RULE + '    derive: {status: {form: "Stage"}}\n', ["derive.status"]),
    "misspelt derive option": (
        RULE + '    derive: {status: {from: "Stage", default: open, valus: {}}}\n',
        ["derive.status", "valus"],
    ),
    "derive to unknown column": (
        RULE + '    derive: {state: {from: "Stage"}}\n',
        ["files[0] derive", "state"],
    ),
    "bad regex": (
        RULE + "    unpivot: {columns: '^Date entered (', name: stage, value: entered_at}\n",
        ["files[0] unpivot", "regex"],
    ),
    "unknown unpivot key": (
        RULE + "    unpivot: {columns: x, name: stage, value: entered_at, keep: y}\n",
        ["unpivot", "keep"],
    ),
    "unknown option": (
        RULE + "    options: {timezone: UTC, dateformat: x}\n",
        ["files[0] options", "dateformat"],
    ),
    "bad option value": (
        "defaults: {probability_scale: percentage}\n",
        ["defaults", "probability_scale"],
    ),
    "missing match": ("files:\n  - table: opportunities\n", ["files[0]", "match"]),
    "not YAML": ("files: [\n", ["cannot read the profile"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_profile_errors_name_the_file_and_the_key(tmp_path, case):
    text, expected = CASES[case]
    path = tmp_path / "my_profile.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    message = str(err.value)
    assert str(path) in message, message
    for fragment in expected:
        assert fragment in message, (fragment, message)
