"""A-1 and A-2: who the reported events went to, per payload, against the config's lists."""

from __future__ import annotations

from campaign_contract.callbacks.plan import contact_keys
from campaign_contract.callbacks.view import (
    complete,
    fail,
    messages,
    no_callback,
    sends_for,
    unexercised_unless_one_ended,
)
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check


@check("A-1")
def audience_is_the_list_or_its_segments(t: Probe) -> None:
    """Events go to every contact of the list (or the union of its segments) and no one else."""
    found, sends = sends_for(t)
    payloads = t.ctx.config.payloads
    if no_callback(t, found, ("A-1",)):
        return
    unexercised_unless_one_ended(t, ("A-1",), sends)
    for send in sends:
        seen = messages(found.of(send))
        left_out = {k for c in send.others for k in contact_keys(c, payloads)}
        for message, sightings in seen.items():
            channel, address = message
            if channel not in payloads or address in send.expected.get(channel, set()):
                continue  # a payload the campaign does not carry is A-2's business
            where = (
                "a contact of the list outside the chosen segments"
                if message in left_out
                else "not a contact of the list"
            )
            fail(
                t,
                "A-1",
                f"{channel} events for {address}, {where}",
                found,
                send,
                (s.report for s in sightings),
            )
        missing = [
            c.address
            for c in send.audience
            if (keys := contact_keys(c, payloads)) and not keys & seen.keys()
        ]
        if not missing:
            continue
        shown = ", ".join(missing[:5])
        if complete(send) is not None:
            continue
        fail(
            t,
            "A-1",
            f"{len(missing)} contact(s) of the audience got no message at all "
            f"(waited {found.waited:.0f} s): {shown}",
            found,
            send,
        )


@check("A-2", "A-2p")
def one_message_per_payload_and_address(t: Probe) -> None:
    """The campaign's payloads are sent; each contact gets one per address it has, others none."""
    found, sends = sends_for(t)
    payloads = t.ctx.config.payloads
    if no_callback(t, found, ("A-2", "A-2p")):
        return
    unexercised_unless_one_ended(t, ("A-2", "A-2p"), sends)
    for send in sends:
        seen = messages(found.of(send))
        for channel in sorted({c for c, _a in seen} - set(payloads)):
            fail(
                t,
                "A-2",
                f"{channel} events, but the campaigns carry only "
                f"{', '.join(payloads)} (config.payloads)",
                found,
                send,
                (s.report for m, ss in seen.items() if m[0] == channel for s in ss),
            )
        why = complete(send)
        reached = {c.address for c in send.audience if contact_keys(c, payloads) & seen.keys()}
        for channel in payloads:
            wanted = send.expected.get(channel, set())
            missing = sorted(wanted - {a for c, a in seen if c == channel})
            if not missing:
                continue
            if why is not None:
                continue
            if len(missing) == len(wanted):
                fail(
                    t,
                    "A-2",
                    f"the campaign carries {channel}, but no {channel} message "
                    f"was reported (expected {len(wanted)})",
                    found,
                    send,
                )
            others = [
                c.address
                for c in send.audience
                if c.address in reached and (channel, missing[0]) in contact_keys(c, payloads)
            ]
            note = " (the contact was reached on another payload)" if others else ""
            fail(
                t,
                "A-2p",
                f"no {channel} message to {', '.join(missing[:5])}, though the "
                f"contact has that address{note}",
                found,
                send,
            )
