"""C-3 and C-3p over the layer's callbacks: judged by `judges/timing.py`."""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import timing


@observing("C-3", "C-3p")
def callbacks_come_within_300_s_with_the_earliest_when(t: Probe) -> None:
    """Each callback is made at most 300 s after its events; `when` is the earliest of them."""
    found, sends = sends_for(t)
    timing.lateness(t, found, sends)
