"""Ingest: one bronze asset per landing-contract table, and the extract-history files they write."""

import dagster as dg

from orchestration.defs.ingest.assets import history_specs, ingest_assets

defs = dg.Definitions(assets=[*ingest_assets, *history_specs])
