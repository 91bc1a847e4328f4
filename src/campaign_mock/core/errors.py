"""What the core refuses beyond the domain's own errors; each door renders them its way."""

from __future__ import annotations


class WorldRequiredError(Exception):
    """An isolated mock's operation on one world was called without naming an account."""


class BusyError(Exception):
    """Every long-poll slot is taken; the caller may try again in a moment."""
