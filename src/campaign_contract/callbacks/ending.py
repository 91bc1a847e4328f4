"""M-4 by the callbacks over the layer's sends (and its staged outage): judged by
`judges/ending.py`."""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import ending


@observing("M-4")
def done_only_after_every_outcome(t: Probe) -> None:
    """A campaign is DONE only once every message has its outcome: never before the `when` of a
    `delivered` or `bounced` callback, on the server's clock."""
    found, sends = sends_for(t)
    ending.done_after_outcomes(t, found, sends)


@observing("M-4")
def a_down_receiver_does_not_hold_done(t: Probe) -> None:
    """With its receiver refusing every callback, a send still ends in DONE in about the time
    the same send to a healthy receiver takes: DONE does not wait for callback delivery."""
    if t.ctx.config.limits.callback_outage <= 0:
        t.skip("limits.callback_outage is 0: no receiver outage was staged")
    found, sends = sends_for(t)
    ending.not_held_by_a_down_receiver(t, found, sends)
