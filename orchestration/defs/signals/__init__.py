"""Signals: the keyword matcher's hits in chat and in CRM activity notes, and weekly term counts."""

import dagster as dg

from orchestration.defs.signals.chat import chat_signals
from orchestration.defs.signals.notes import note_signals

defs = dg.Definitions(assets=[chat_signals, note_signals])
