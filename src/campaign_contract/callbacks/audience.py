"""A-1 and A-2: the sends to the config's lists, judged by `judges/audience.py`."""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import audience


@observing("A-1")
def audience_is_the_list_or_its_segments(t: Probe) -> None:
    """Events go to every contact of the list (or the union of its segments) and no one else."""
    found, sends = sends_for(t)
    audience.audience(t, found, sends)


@observing("A-2", "A-2p")
def one_message_per_payload_and_address(t: Probe) -> None:
    """The campaign's payloads are sent; each contact gets one per address it has, others none."""
    found, sends = sends_for(t)
    audience.payloads_per_address(t, found, sends)
