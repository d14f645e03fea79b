"""Great Expectations suites for the bronze tables, generated from the landing contract.

One suite per contract table: every contract column exists, non-nullable columns have no
nulls, closed enums hold, numeric bounds hold (probability in [0, 1], amounts ≥ 0), the
primary key is unique. Table-specific rules that the contract cannot express live in
:data:`TABLE_RULES`.
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from salesops import contract


def _not_before(later: str, earlier: str) -> gxe.Expectation:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
    )


TABLE_RULES: dict[str, Callable[[], list[gxe.Expectation]]] = {
    "opportunities": lambda: [_not_before("closed_at", "created_at")],
    "payments": lambda: [_not_before("recorded_in_finance_at", "received_at")],
    "target_adjustments": lambda: [_not_before("decided_at", "requested_at")],
}


def bronze_suite(table: contract.Table) -> gx.ExpectationSuite:
    expectations: list[gxe.Expectation] = []
    for column in table.columns:
        expectations.append(gxe.ExpectColumnToExist(column=column.name))
        if not column.nullable:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.enum and not column.enum_is_open:
            expectations.append(gxe.ExpectColumnValuesToBeInSet(column=column.name, value_set=list(column.enum)))
        if column.min_value is not None or column.max_value is not None:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column.name, min_value=column.min_value, max_value=column.max_value
                )
            )
        if column.type == "period":
            expectations.append(gxe.ExpectColumnValuesToMatchRegex(column=column.name, regex=contract.PERIOD_PATTERN))
    if len(table.primary_key) == 1:
        expectations.append(gxe.ExpectColumnValuesToBeUnique(column=table.primary_key[0]))
    else:
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(table.primary_key)))
    for rule in TABLE_RULES.get(table.name, lambda: [])():
        expectations.append(rule)
    return gx.ExpectationSuite(name=f"bronze_{table.name}", expectations=expectations)
