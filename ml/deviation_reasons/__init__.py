"""Deviation-report free-text reasons clustered and linked to SOP cards (SPEC §5)."""
