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

__all__ = [
    "audience",
    "clauses",
    "delivery",
    "ending",
    "engagement",
    "events",
    "recovery",
    "timing",
]
