"""The stateful layer: the state machine (M-1..M-5) over HTTP, against a plain model."""

from __future__ import annotations

from campaign_contract.stateful import clauses, deletion, edges, machine, mind, sending

__all__ = ["clauses", "deletion", "edges", "machine", "mind", "sending"]
