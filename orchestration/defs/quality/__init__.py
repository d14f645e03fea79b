"""Quality: the blocking contract suites on bronze and the run's quality report (under
``$SALESOPS_HOME/reports/data_quality/<run>/``). The dbt tests are asset checks of the
warehouse domain, run by the same dbt build."""

import dagster as dg

from orchestration.defs.quality.checks import ingest_checks
from orchestration.defs.quality.report import quality_report

defs = dg.Definitions(assets=[quality_report], asset_checks=ingest_checks)
