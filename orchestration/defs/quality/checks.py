"""The quality gate on bronze: a blocking Great Expectations contract suite per landing-contract
table; a failing suite stops everything downstream of its table (the warehouse, the publish)."""

import dagster as dg

from data_quality.runs import conflict_warnings, ingest_account, record_outcome
from data_quality.suites.bronze import bronze_suite
from data_quality.validate import validate_parquet_once
from orchestration.defs.ingest.assets import bronze_key
from orchestration.resources import SalesopsHome
from salesops import contract
from salesops.ingest.core import conflicts_path
from salesops.memory import give_back

CHECKED = "_checked"
"""``bronze/_checked/<suite>.json``: each table's last contract check, reused while the table's
bronze file is unchanged (data_quality.validate.validate_parquet_once)."""


def _contract_check(table: contract.Table) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=bronze_key(table.name),
        name="contract_suite",
        blocking=True,
        description=f"Great Expectations suite generated from the contract for `{table.name}`.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, salesops_home: SalesopsHome
    ) -> dg.AssetCheckResult:
        paths = salesops_home.paths()
        path = paths.bronze / f"{table.name}.parquet"
        outcome, reused = validate_parquet_once(
            path, bronze_suite(table), paths.bronze / CHECKED, table=table.name
        )
        if reused:
            context.log.info(
                f"{table.name}: bronze unchanged since its last check, its outcome is reused"
            )
        outcome.warnings = conflict_warnings(conflicts_path(paths, table.name))
        outcome.ingest = ingest_account(paths.bronze, table.name)
        give_back()
        index = record_outcome(outcome, paths.reports, context.run.run_id)
        return dg.AssetCheckResult(
            passed=outcome.success,
            description=None if outcome.success else outcome.summary()[:2000],
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "expectations": outcome.evaluated,
                "reused": reused,
                "failed_expectations": len(outcome.failures),
                "conflicts_flagged": len(outcome.warnings),
                "report": dg.MetadataValue.md(f"```\n{outcome.summary()}\n```"),
                "data_docs": dg.MetadataValue.path(str(index)),
                "data_docs_url": dg.MetadataValue.url(index.resolve().as_uri()),
            },
        )

    return _check


ingest_checks = [_contract_check(t) for t in contract.TABLES.values()]
