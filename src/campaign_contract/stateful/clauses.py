"""Clauses of M-1, M-3, M-4 and M-5 that the edge table and the sends do not judge alone.

Each check here judges one clause named in campaign_contract/coverage/M.yaml: a PUT applies in
every client state, a READY campaign waits for its `when`, a send never goes back, and clearing
`when` outside DRAFT is invalid.
"""

from __future__ import annotations

import time

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.machine import CLIENT, FINAL, NEEDS_WHEN
from campaign_contract.schema.target import FUTURE, past
from campaign_contract.stateful.reach import (
    MAX_POLL,
    NO_ERROR_LIST,
    create_in,
    state_of,
    wait_until,
)

#: Reads of a campaign that must not move, and the pause between them.
STILL_READS = 3
STILL_PAUSE = 0.3
#: M-1: where a send may be; a later read never has a lower rank than an earlier one.
SEND_RANK = {"READY": 0, "SENDING": 1, "DONE": 2, "ERROR": 2}


@check("M-5")
def put_applies_in_client_states(t: Probe) -> None:
    """In DRAFT, SCHEDULED and READY a PUT of `name` alone succeeds and renames the campaign."""
    for state in sorted(CLIENT):
        t.begin()
        start = create_in(t, f"m5 put in {state}", state, FUTURE)
        if start.id is None:
            t.unexercised("M-5", start.why)
            t.cannot(f"M-5.put-in-{state.lower()}", start.why)
            continue
        name = t.ctx.campaign_name(f"renamed in {state}")
        answer = t.put(f"/campaign/{start.id}", form={"name": name})
        if t.expect(
            answer.success() is True,
            "M-5",
            f"a PUT of `name` in {state} is refused: {answer.describe()}",
            answer,
        ):
            data = answer.data()
            t.expect(
                data.get("name") == name and data.get("state") == state,
                "M-5",
                f"a PUT of `name` in {state} gives {data.get('state')} named {data.get('name')!r}",
                answer,
            )
        t.exercised(f"M-5.put-in-{state.lower()}")


@check("M-4")
def ready_waits_for_its_when(t: Probe) -> None:
    """A READY campaign whose `when` is far ahead stays READY: only a `when` that came sends."""
    start = create_in(t, "m4 ready later", "READY", FUTURE)
    if start.id is None:
        t.skip(start.why)
    t.exercised("M-4.ready-not-before-when", path="created_ahead")
    for _ in range(STILL_READS):
        state, answer = state_of(t, start.id)
        if state != "READY":
            t.fail("M-4", f"READY with `when` {FUTURE} (far ahead) became {state}", answer)
            return
        time.sleep(STILL_PAUSE)


@check("M-1")
def sends_never_go_back(t: Probe) -> None:
    """A send goes READY -> SENDING -> DONE or ERROR one way: no read shows an earlier state.

    Followed on the first test list (DONE) and on the config's `error_list` (ERROR), if any:
    each one-way edge is judged on the send that ends through it.
    """
    error_list = t.ctx.config.error_list
    if error_list is None:
        for clause, cell in ONE_WAY_TO_ERROR:
            t.cannot(clause, NO_ERROR_LIST, **cell)
        t.cannot(NAMES, NO_ERROR_LIST, state="ERROR")
    _client_states_are_named(t)
    for list_id in (None, error_list) if error_list is not None else (None,):
        t.begin()
        start = create_in(t, "m1 one way", "READY", past(), list_id)
        if start.id is None:
            t.unexercised("M-1", start.why)
            continue
        ended = _follow(t, start.id)
        if ended is not None:
            t.exercised("M-1.ready-sending-one-way", ends_in=ended)
            t.exercised(f"M-1.sending-{ended.lower()}-one-way")
    t.cannot(NAMES, "no read fell while a send was SENDING (it ended between two reads)",
             state="SENDING")  # fmt: skip


#: M-1's names: every state a campaign reads is one of the six, named as CONTRACT.md names it.
NAMES = "M-1.state-names"


def _client_states_are_named(t: Probe) -> None:
    """A campaign created in a state a client sets (its `when` far ahead) reads back under
    that very name."""
    for state in sorted(CLIENT):
        t.begin()
        start = create_in(t, f"m1 named {state}", state, FUTURE)
        if start.id is None:
            t.cannot(NAMES, start.why, state=state)
            continue
        read, answer = state_of(t, start.id)
        t.expect(read == state, "M-1", f"a campaign created {state} reads as {read}", answer)
        t.exercised(NAMES, state=state)


#: The one-way clauses only a send to the config's `error_list` can judge.
ONE_WAY_TO_ERROR: tuple[tuple[str, dict[str, str]], ...] = (
    ("M-1.ready-sending-one-way", {"ends_in": "ERROR"}),
    ("M-1.sending-error-one-way", {}),
)


def _follow(t: Probe, ident: int) -> str | None:
    """Read the send until it ended and stayed so; the final state it was judged through
    (None when it did not end in time)."""
    limit = t.ctx.config.limits.send_wait
    deadline = time.monotonic() + limit
    highest, seen, after_final, pause = "READY", ["READY"], 0, 0.05
    while after_final < STILL_READS:
        state, answer = state_of(t, ident)
        if state is None or state not in SEND_RANK:
            t.fail("M-1", f"a send from READY shows {state} (read: {' -> '.join(seen)})", answer)
            return highest if highest in FINAL else None
        t.exercised(NAMES, state=state)
        if state != seen[-1]:
            seen.append(state)
        if SEND_RANK[state] < SEND_RANK[highest] or (highest in FINAL and state != highest):
            t.fail(
                "M-1",
                f"the send went back from {highest} to {state} ({' -> '.join(seen)}); "
                "READY => SENDING => DONE/ERROR is one way",
                answer,
            )
            # Judged through the state it went back from (a send ending in ERROR or DONE).
            return highest if highest in FINAL else _later_end(t, ident)
        highest = state
        if highest in FINAL:
            after_final += 1
        elif time.monotonic() > deadline:
            t.unexercised("M-1", f"the send was still {highest} after {limit:g} s")
            return None
        time.sleep(STILL_PAUSE if highest in FINAL else pause)
        pause = min(pause * 2, MAX_POLL)
    return highest


def _later_end(t: Probe, ident: int) -> str | None:
    """Where a send that went back to READY from SENDING ended (its cell), if it did."""
    ended, _answer = wait_until(t, ident, FINAL, t.ctx.config.limits.send_wait)
    return ended if ended in FINAL else None


@check("M-3")
def clearing_when_needs_draft(t: Probe) -> None:
    """`when=""` in SCHEDULED or READY is `invalid` (M-3 needs `when` there) and changes nothing."""
    for state in sorted(NEEDS_WHEN):
        t.begin()
        start = create_in(t, f"m3 clear when {state}", state, FUTURE)
        clause = f"M-3.{state.lower()}-needs-when"
        if start.id is None:
            t.unexercised("M-3", start.why)
            t.cannot(clause, start.why, request="clear")
            t.cannot("M-3.code-invalid", start.why, state=state, request="clear")
            continue
        path = f"/campaign/{start.id}"
        answer = t.put(path, form={"when": ""})
        if t.expect(
            answer.success() is False, "M-3", f"clearing `when` in {state} is accepted", answer
        ):
            t.expect_code("M-3", answer, "invalid")
            t.exercised("M-3.code-invalid", state=state, request="clear")
        t.exercised(clause, request="clear")
        after = t.get(path)
        data = after.data()
        t.expect(
            data.get("when") == FUTURE and data.get("state") == state,
            "M-3",
            f'after a refused `when=""` the campaign is {data.get("state")} with `when` '
            f"{data.get('when')!r}",
            after,
        )
