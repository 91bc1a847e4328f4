"""A-1 and A-2: who the reported events went to, per payload, against the config's lists."""

from __future__ import annotations

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.callback_verdicts import (
    fail,
    no_callback,
    unexercised_unless_one_ended,
)
from campaign_contract.judges.sends import Observation, Send, complete, contact_keys, messages


def audience(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """A-1: events go to every contact of the list (or the union of its segments) and no one
    else."""
    payloads = found.config.payloads
    if no_callback(v, found, ("A-1",)):
        return
    unexercised_unless_one_ended(v, ("A-1",), sends)
    _account_audience(v, sends)
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
                v,
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
            v,
            "A-1",
            f"{len(missing)} contact(s) of the audience got no message at all "
            f"(waited {found.waited:.0f} s): {shown}",
            found,
            send,
        )


def _account_audience(v: Verdicts, sends: list[Send]) -> None:
    """A-1's cells: a whole list and a list limited to segments, each judged by a send that
    ended; the segments' clauses by a send to two or more segments leaving contacts out."""
    ended = [s for s in sends if complete(s) is None]
    for kind in ("list", "segments"):
        mine = [s for s in ended if bool(s.segments) == (kind == "segments")]
        for clause in ("A-1.every-contact-of-the-list", "A-1.no-one-else"):
            if mine:
                v.exercised(clause, audience=kind)
            else:
                v.cannot(clause, f"no send to a {AUDIENCE[kind]} ended in this run",
                         audience=kind)  # fmt: skip
    segmented = [s for s in ended if s.segments]
    if any(s.others for s in segmented):
        v.exercised("A-1.limited-to-segments")
    else:
        v.cannot("A-1.limited-to-segments", "no send to segments that leave contacts out ended")
    if any(len(s.segments) > 1 for s in segmented):
        v.exercised("A-1.union-of-segments")
    else:
        v.cannot("A-1.union-of-segments", "no send to two segments ended in this run")


#: A-1's audiences, as the reasons name them.
AUDIENCE = {"list": "whole list", "segments": "list limited to segments"}
#: A-2p's cells a contact can be: which addresses it has.
KINDS = {(True, False): "email_only", (False, True): "telephone_only", (True, True): "both"}
#: The payload each address goes with (A-2p: email for Email, telephone for SMS).
ADDRESS_OF = {"email": "email", "sms": "telephone"}


def _account_payloads(v: Verdicts, sends: list[Send], payloads: tuple[str, ...]) -> None:
    """A-2's cells: each payload sent; each payload to each kind of contact that has its
    address (email only, telephone only, both), judged by a send that ended."""
    ended = [s for s in sends if complete(s) is None]
    kinds = {KINDS[bool(c.email), bool(c.telephone)] for s in ended for c in s.audience}
    for channel in ("email", "sms"):
        clause = f"A-2.{channel}-payload"
        if channel not in payloads:
            why = f"the config's payloads ({', '.join(payloads)}) lack {channel}"
            v.cannot(clause, why)
            v.cannot(PER_ADDRESS, why, channel=channel)
            continue
        if ended:
            v.exercised(clause)
        else:
            v.cannot(clause, "no send ended in this run")
        for kind in ("email_only", "telephone_only", "both"):
            if ADDRESS_OF[channel] not in kind and kind != "both":
                continue  # not a cell: the contact lacks the address (A-2.others-skipped)
            if kind in kinds:
                v.exercised(PER_ADDRESS, channel=channel, contact=kind)
            else:
                v.cannot(PER_ADDRESS, f"no audience of a send that ended had a contact with "
                         f"{kind.replace('_', ' ')}", channel=channel, contact=kind)  # fmt: skip


PER_ADDRESS = "A-2.one-message-per-payload-and-address"


def payloads_per_address(v: Verdicts, found: Observation, sends: list[Send]) -> None:
    """A-2, A-2p: the campaign's payloads are sent; each contact gets one per address it has,
    others none."""
    payloads = found.config.payloads
    if no_callback(v, found, ("A-2", "A-2p")):
        return
    unexercised_unless_one_ended(v, ("A-2", "A-2p"), sends)
    _account_payloads(v, sends, payloads)
    for send in sends:
        seen = messages(found.of(send))
        for channel in sorted({c for c, _a in seen} - set(payloads)):
            fail(
                v,
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
                    v,
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
                v,
                "A-2p",
                f"no {channel} message to {', '.join(missing[:5])}, though the "
                f"contact has that address{note}",
                found,
                send,
            )
