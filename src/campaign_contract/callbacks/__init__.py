"""The callbacks layer: a built-in receiver, real sends to the test lists, A-, E- and C- checks."""

from __future__ import annotations

from campaign_contract.callbacks import (
    audience,
    clauses,
    delivery,
    ending,
    engagement,
    events,
    recovery,
    timing,
)
from campaign_contract.callbacks.receiver import Answer, Hang, Received, Receiver

__all__ = [
    "Answer",
    "Hang",
    "Received",
    "Receiver",
    "audience",
    "clauses",
    "delivery",
    "ending",
    "engagement",
    "events",
    "recovery",
    "timing",
]
