"""The robustness layer: envelope, formats, authentication and routing (V-1..V-5, R-1)."""

from __future__ import annotations

from campaign_contract.robustness import (
    accept,
    application,
    auth,
    body,
    clauses,
    routing,
    session,
    session_cells,
    slash,
    wire,
)

__all__ = [
    "accept",
    "application",
    "auth",
    "body",
    "clauses",
    "routing",
    "session",
    "session_cells",
    "slash",
    "wire",
]
