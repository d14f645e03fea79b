"""Profile loading: the shipped profiles load, and every mistake names the profile file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops.ingest import ProfileError, ReadOptions, load_profile
from salesops.ingest.profile import Derive

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


def test_shipped_profiles_derive_status_with_otherwise():
    """Every stage but the closed ones is open: `otherwise`, not `default` (which fills only empty values)."""
    for vendor in ("salesforce", "hubspot"):
        profile = load_profile(ROOT / "profiles" / f"{vendor}.yaml")
        status = next(r for r in profile.rules if r.table == "opportunities").derive["status"]
        assert (status.otherwise, status.default) == ("open", None)
        assert status.values == {"closed won": "won", "closed lost": "lost"}


def test_constants_in_both_forms_load_alike(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        'files:\n  - match: "a*.csv"\n    table: reps\n    constants: {role: rep, team_id: 100}\n'
        '  - match: "b*.csv"\n    table: reps\n    derive: {role: {constant: rep}, team_id: {constant: 100}}\n',
        encoding="utf-8",
    )
    first, second = load_profile(path).rules
    assert first.derive == second.derive == {"role": Derive(constant="rep"), "team_id": Derive(constant="100")}


def test_ignore_currency_and_per_column_formats_load(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(
        'ignore: "data_dictionary.csv"\n'
        "defaults:\n  currency: usd\n  exchange_rates: {USD: 7.1}\n"
        '  column_date_formats: {expected_close_date: "%d.%m.%Y"}\n'
        'files:\n  - match: "*.csv"\n    table: opportunities\n'
        "    options:\n      exchange_rates: {EUR: 7.8}\n      currency_column: Currency\n"
        '      column_date_formats: {closed_at: ["%d/%m/%Y %H:%M"]}\n',
        encoding="utf-8",
    )
    profile = load_profile(path)
    assert profile.ignore == ("data_dictionary.csv",)
    assert profile.ignored_by("export/Data_Dictionary.CSV") == "data_dictionary.csv"
    assert profile.ignored_by("deals.csv") is None
    options = profile.rules[0].options
    assert (options.currency, options.currency_column) == ("USD", "Currency")
    assert options.exchange_rates == {"USD": 7.1, "EUR": 7.8}  # a rule's mapping adds to the defaults'
    assert options.column_date_formats == {
        "expected_close_date": ("%d.%m.%Y",),
        "closed_at": ("%d/%m/%Y %H:%M",),
    }
    assert profile.defaults.converts_currency and not ReadOptions().converts_currency


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
    "date format without a year": (
        'defaults: {date_formats: ["%m/%d/%Y", "%m-%d"]}\n',
        ["defaults", "date_formats", "'%m-%d' has no year"],
    ),
    "column date format without a year": (
        RULE + '    options: {column_date_formats: {expected_close_date: ["%d.%m."]}}\n',
        ["files[0] options", "column_date_formats.expected_close_date", "no year"],
    ),
    "column date formats for a column that is no date": (
        RULE + '    options: {column_date_formats: {stage: ["%Y-%m-%d"]}}\n',
        ["files[0] options", "column_date_formats.stage"],
    ),
    "currency without a rate": (
        "defaults: {currency: USD}\n",
        ["defaults", "currency", "exchange_rates: {USD:"],
    ),
    "exchange rate that is not a number": (
        RULE + "    options: {currency: usd, exchange_rates: {usd: seven}}\n",
        ["files[0] options", "exchange_rates.USD"],
    ),
    "converted amounts mapped by hand": (
        "defaults: {currency: USD, exchange_rates: {USD: 7.1}}\n"
        + RULE
        + '    columns: {"Orig": amount_original}\n',
        ["files[0]", "amount_original", "filled by the ingest"],
    ),
    "constant combined with from": (
        RULE + '    derive: {status: {from: "Stage", constant: open}}\n',
        ["derive.status", "constant", "from"],
    ),
    "otherwise outside the enum": (
        RULE + '    derive: {status: {from: "Stage", otherwise: opened}}\n',
        ["derive.status", "opened"],
    ),
    "constant outside the enum": (RULE + "    constants: {status: opened}\n", ["constants.status", "opened"]),
    "constant for an unknown column": (RULE + "    constants: {region: east}\n", ["files[0] constants", "region"]),
    "constant without a value": (RULE + "    constants: {product_line: }\n", ["constants.product_line"]),
    "column both derived and constant": (
        RULE + '    derive: {lead_id: {from: "Id"}}\n    constants: {lead_id: L1}\n',
        ["constants.lead_id", "derive"],
    ),
    "ignore that is not a list of globs": ("ignore: {a: b}\n", ["ignore"]),
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
