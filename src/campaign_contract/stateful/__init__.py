"""The stateful layer: the state machine (M-1..M-5) over HTTP, against a plain model."""

from __future__ import annotations

from campaign_contract.stateful import deletion, edges, machine, sending

__all__ = ["deletion", "edges", "machine", "sending"]
