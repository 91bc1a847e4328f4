"""What each check of the layer starts from: the run's observation and its sends that were
created, each one the check could not judge accounted for."""

from __future__ import annotations

from collections.abc import Callable

from campaign_contract.callbacks.observe import begin, observation
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import CheckFunction, check
from campaign_contract.judges.sends import Observation, Send


def observing(*rule_ids: str) -> Callable[[CheckFunction], CheckFunction]:
    """`@check` for this layer's checks: each judges the run's observation, which is begun as
    the run starts (`observe.begin`), so its waits overlap the other layers' checks."""
    return check(*rule_ids, begin=begin)


def sends_for(t: Probe, *, audience: bool = True) -> tuple[Observation, list[Send]]:
    """The observation and its sends that were created (skips the check when there are none)."""
    found = observation(t)
    if found.problem is not None:
        t.skip(found.problem)
    sends = [s for s in found.sends if (s.label != "empty") == audience]
    for send in sends:
        if send.id is None:
            for rule in t.check.rules:
                t.unexercised(rule, f"{send.label}: {send.why}")
    created = [s for s in sends if s.id is not None]
    if not created:
        t.skip(
            "no campaign of this layer could be created"
            if sends
            else "the config gives nothing to send to (lists, or empty_list for M-4)"
        )
    return found, created
