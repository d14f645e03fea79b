"""The chat-signal categories, in the order briefs and dashboards list them.

Defined here, in the base layer, because both the signal extraction (``ml.chat_signals``,
which checks every keyword of the seed ``chat_keywords`` against them) and the briefs
(:mod:`salesops.briefs.rules`, which counts signals per category) need them, and the base
layer imports nothing above it (tests/test_layers.py)."""

CATEGORIES = (
    "budget",
    "tender",
    "approval",
    "price",
    "competitor",
    "it_fit",
    "requirement",
    "risk",
)
