"""`Listener`: where one instance of a mock listens, as a shared store lists them.

Every instance on one store registers its address there (store/shared.py), so that no
callback of any of them is sent to another (delivery/policy.py): a campaign made on one
instance must not POST to a sibling's `/_mock/reset`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Listener:
    """An instance's listening socket: the host it bound (maybe `0.0.0.0` or `::`), its
    port, and the name of the machine it runs on (loopback there is not loopback here)."""

    machine: str
    host: str
    port: int
