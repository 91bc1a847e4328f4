"""C-1 and M-4 for opens and clicks of test contacts known to engage (config `engages`):
judged by `judges/engagement.py`, whose docstring says why only those."""

from __future__ import annotations

from campaign_contract.callbacks.view import observing, sends_for
from campaign_contract.engine.probe import Probe
from campaign_contract.judges import engagement


@observing(*engagement.RULES)
def known_opens_and_clicks_are_reported(t: Probe) -> None:
    """A test contact known to open or click (config `engages`) has its `opened` and `clicked`
    reported, also when they come after DONE (M-4 allows that; it is never a failure)."""
    config = t.ctx.config
    if not any(c.engages for lst in config.lists for c in lst.contacts):
        t.skip(
            "no test contact is known to open or click (config `engages`): a missing open "
            "proves nothing when recipients may simply not open, so whether opens and clicks "
            "are reported (after DONE too) cannot be judged"
        )
    if "email" not in config.payloads:
        t.skip("`payloads` has no email: opens and clicks are Email events (E-1)")
    found, sends = sends_for(t)
    engagement.known_engagement(t, found, sends)
