"""E-1 and E-2 over the layer's sends, M-4's silent empty send: judged by `judges/events.py`."""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import events


@observing("E-1")
def events_are_those_of_their_payload(t: Probe) -> None:
    """Email reports only submitted/delivered/bounced/opened/clicked; SMS only delivered/bounced."""
    found, sends = sends_for(t)
    events.payload_events(t, found, sends)


@observing("E-2")
def each_message_follows_its_lifecycle(t: Probe) -> None:
    """Per message: submitted first (Email), one of delivered/bounced, opens only after delivery."""
    found, sends = sends_for(t)
    events.lifecycle(t, found, sends)


@observing("M-4")
def empty_audience_reports_nothing(t: Probe) -> None:
    """A READY campaign on the empty list goes straight to DONE and no callback ever comes."""
    if t.ctx.config.empty_list is None:
        t.skip("the config names no empty_list")
    found, sends = sends_for(t, audience=False)
    events.empty_audience(t, found, sends)
