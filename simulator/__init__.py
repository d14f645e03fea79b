"""Synthetic landing-zone generator with planted, documented behaviours (see truth.json)."""
