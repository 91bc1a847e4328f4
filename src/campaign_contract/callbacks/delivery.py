"""C-1, C-2 and C-4 over the layer's sends, and M-5's raced send: judged by
`judges/delivery.py`."""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import delivery


@observing("C-1")
def posts_to_the_url_with_its_query(t: Probe) -> None:
    """Every callback is a POST to the campaign's URL, its query string forwarded byte for byte."""
    found, sends = sends_for(t)
    delivery.posts_to_the_url(t, found, sends)


@observing("C-2", "C-2p")
def bodies_are_forms_of_one_event(t: Probe) -> None:
    """Bodies are forms of `event`, integer `when`, `email[N]`/`telephone[N]`; one type, ≤ 1000."""
    found, sends = sends_for(t)
    delivery.bodies(t, found, sends)


@observing("C-4")
def failed_callbacks_are_retried_and_acknowledged_ones_are_not(t: Probe) -> None:
    """Each other status, no answer and a refused connection are retried until some 2xx; an
    event acknowledged by any 2xx never comes again."""
    found, sends = sends_for(t)
    delivery.retried_until_acknowledged(t, found, sends)


@observing("M-5")
def racing_puts_send_once(t: Probe) -> None:
    """PUTs racing to make a campaign READY: its messages go out once, so no event comes twice."""
    found, sends = sends_for(t)
    delivery.sends_once(t, found, sends)
