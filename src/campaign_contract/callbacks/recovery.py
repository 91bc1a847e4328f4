"""C-4 over the layer's staged receiver outage (the `outage` send, see outage.py): nothing
refused is lost, and retries back off; judged by `judges/retries.py`."""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import retries


def _staged(t: Probe) -> None:
    if t.ctx.config.limits.callback_outage <= 0:
        t.skip("limits.callback_outage is 0: no receiver outage was staged")


@observing("C-4")
def an_outage_loses_no_event(t: Probe) -> None:
    """After an outage of `limits.callback_outage` seconds every refused event is delivered."""
    _staged(t)
    found, sends = sends_for(t)
    retries.outage_loses_no_event(t, found, sends)


@observing("C-4")
def retry_intervals_grow(t: Probe) -> None:
    """Over at least four consecutive refusals of one callback, the waits between tries grow."""
    _staged(t)
    found, sends = sends_for(t)
    retries.intervals_grow(t, found, sends)
