"""A stateful mock of DUO's Campaign API: state machine, clock, simulated sending, callbacks."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
