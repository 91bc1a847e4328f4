"""Clauses of C-1, C-2 and M-4 that the other callback checks do not judge alone.

Each check here judges one clause named in campaign_contract/coverage/{C,M}.yaml: every event
of a send that ended is reported, addresses sit under their own channel's key, and a send whose
every message has its outcome ends in DONE, not ERROR (judged by `judges/delivery.py` and
`judges/ending.py`).
"""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import delivery, ending


@observing("C-1")
def every_event_of_an_ended_send_is_reported(t: Probe) -> None:
    """Once a send is DONE, every message's `submitted` (Email) and outcome came by callback."""
    found, sends = sends_for(t)
    delivery.every_event_reported(t, found, sends)


@observing("C-2")
def addresses_come_under_their_channel_key(t: Probe) -> None:
    """`email[N]` carries emails and `telephone[N]` telephones, as the config's contacts have."""
    found, sends = sends_for(t)
    delivery.keys_by_channel(t, found, sends)


@observing("M-4")
def a_send_with_every_outcome_ends_in_done(t: Probe) -> None:
    """A send whose every message has its outcome went on to the end: DONE, not ERROR."""
    found, sends = sends_for(t)
    ending.every_outcome_ends_in_done(t, found, sends)
