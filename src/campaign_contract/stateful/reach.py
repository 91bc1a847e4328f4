"""Bringing a campaign into a state over the API, and waiting for the server to move it (M-4)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from campaign_contract.engine.probe import Probe
from campaign_contract.judges.machine import FINAL
from campaign_contract.schema.target import FUTURE, base_form, past
from campaign_contract.transport.exchange import Exchange

#: The longest pause between two polls of a campaign's state.
MAX_POLL = 2.0
#: Why ERROR cannot be reached without the config's `error_list`.
NO_ERROR_LIST = (
    "the config names no error_list (a list whose sends end in ERROR): a client cannot "
    "make a send fail over the API"
)


@dataclass(slots=True)
class Reached:
    """A campaign the check brought into `state`, or why it could not (`why`)."""

    id: int | None
    state: str | None
    why: str = ""
    answer: Exchange | None = None


def state_of(t: Probe, ident: int) -> tuple[str | None, Exchange]:
    answer = t.get(f"/campaign/{ident}")
    state = answer.data().get("state") if answer.success() is True else None
    return (state if isinstance(state, str) else None), answer


def wait_until(
    t: Probe, ident: int, done: frozenset[str], limit: float
) -> tuple[str | None, Exchange | None]:
    """Poll GET until the state is one of `done` or `limit` seconds pass; the last state seen."""
    deadline = time.monotonic() + limit
    pause = 0.05
    state, answer = None, None
    while True:
        state, answer = state_of(t, ident)
        if state in done or state is None or time.monotonic() + pause > deadline:
            return state, answer
        time.sleep(pause)
        pause = min(pause * 2, MAX_POLL)


def create_in(
    t: Probe, label: str, state: str, when: int | None, list_id: int | None = None
) -> Reached:
    """POST a campaign straight into a client state (M-2 lets a POST start in any of them)."""
    extra = {"state": state} | ({"when": str(when)} if when is not None else {})
    fields = dict(base_form(t, label, **extra))
    if list_id is not None:
        fields["list"] = str(list_id)
    answer = t.ctx.create_campaign(label, list(fields.items()))
    ident = answer.data().get("id") if answer.success() is True else None
    if not isinstance(ident, int):
        return Reached(None, None, f"POST in {state} failed: {answer.describe()}", answer)
    found = answer.data().get("state")
    return Reached(ident, found if isinstance(found, str) else None, answer=answer)


def reach(t: Probe, state: str) -> Reached:
    """A campaign in `state`: client states by POST; SENDING, DONE and ERROR by really sending."""
    limit = t.ctx.config.limits.send_wait
    if state in ("DRAFT", "SCHEDULED", "READY"):
        return create_in(t, f"in {state}", state, FUTURE)
    error_list = t.ctx.config.error_list
    if state == "ERROR" and error_list is None:
        return Reached(None, None, NO_ERROR_LIST)
    empty = t.ctx.config.empty_list
    list_id = empty if state == "DONE" and empty is not None else None
    if state == "ERROR":
        list_id = error_list
    sending = create_in(t, f"to {state}", "READY", past(), list_id)
    if sending.id is None:
        return sending
    wanted = frozenset({state}) if state == "SENDING" else FINAL
    seen, answer = wait_until(t, sending.id, wanted | ({"DONE", "ERROR"}), limit)
    if seen != state:
        why = (
            f"the send to list {list_id or 'the test list'} was {seen} when first seen, not {state}"
            if seen in FINAL
            else f"still {seen} after {limit:g} s (limits.send_wait)"
        )
        return Reached(sending.id, seen, why, answer)
    return Reached(sending.id, seen, answer=answer)
