"""The schema layer: schemathesis cases from openapi.yaml and targeted checks of Q-1..Q-6."""

from __future__ import annotations

from campaign_contract.schema import (
    answers,
    arrays,
    calendar,
    clauses,
    fields,
    formats,
    fuzz,
    names,
    partial,
    references,
    spellings,
)

__all__ = [
    "answers",
    "arrays",
    "calendar",
    "clauses",
    "fields",
    "formats",
    "fuzz",
    "names",
    "partial",
    "references",
    "spellings",
]
