"""M-5 in SENDING, DONE and ERROR: every PUT (each field alone, or none) and DELETE, first and
repeated, judged one by one and counted as clause cells."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.schema.target import FUTURE
from campaign_contract.stateful.reach import state_of

#: M-5's clause per state for "a PUT here is a conflict".
PUT_CLAUSE: Final = {
    "SENDING": "M-5.put-sending-conflict",
    "DONE": "M-5.put-done-conflict",
    "ERROR": "M-5.put-error-conflict",
}
#: The PUTs tried: no parameter at all, or one field alone with a value valid in any client
#: state, so M-5's conflict is the request's only fault (several faults may answer any code).
REQUESTS: Final = ("empty", "name", "domain", "segments", "when", "event_callback", "state")
ATTEMPTS: Final = ("first", "repeated")
#: Fields a refused request must leave as they were.
KEPT: Final = ("name", "domain", "list", "segments", "when", "event_callback")


def put_form(t: Probe, request: str, state: str) -> list[tuple[str, str]]:
    """The body of the PUT `request` names (`state` asks for the current one: M-2's no change)."""
    values = {
        "empty": [],
        "name": [("name", t.ctx.campaign_name("late"))],
        "domain": [("domain", str(t.ctx.config.domains.bouncing))],
        "segments": [("segments[]", "")],
        "when": [("when", str(FUTURE))],
        "event_callback": [("event_callback", "")],
        "state": [("state", state)],
    }
    return values[request]


def refuse_puts(
    t: Probe, ident: int, state: str, requests: tuple[str, ...] = REQUESTS
) -> tuple[str, ...]:
    """Each PUT twice: a conflict every time, and nothing of it applies.

    In SENDING a cell counts only when a read right after still shows SENDING (a send that
    ended meanwhile makes it a DONE or ERROR cell: a PUT is a conflict there too). Returns the
    requests not tried twice in `state` (a send that ended stops the round: the caller may try
    them on another send).
    """
    path = f"/campaign/{ident}"
    before = t.get(path).data()
    left = list(requests)
    for request in requests:
        if state == "SENDING" and state_of(t, ident)[0] != "SENDING":
            break
        left.remove(request)
        for attempt in ATTEMPTS:
            t.begin()
            answer = t.put(path, form=put_form(t, request, state))
            shown = f"PUT {request_text(request)} in {state} ({attempt} request)"
            if t.expect(answer.success() is False, "M-5", f"{shown} is accepted", answer):
                t.expect_code("M-5", answer, "conflict")
            now = state
            if state == "SENDING":
                read, _found = state_of(t, ident)
                now = read if read in PUT_CLAUSE else state
            t.exercised(PUT_CLAUSE[now], request=request, attempt=attempt)
            t.exercised("M-5.put-sent-code", state=now)
            if now != state and request not in left:
                left.append(request)  # the send ended under this cell: tried again elsewhere
    after = t.get(path)
    changed = [k for k in KEPT if k in before and after.data().get(k) != before[k]]
    if after.success() is True and changed:
        t.fail("M-5", f"refused PUTs in {state} still changed {', '.join(changed)}", after)
    return tuple(left)


#: States a send ends in (M-4); a campaign in one of them may be deleted (M-5).
ENDED = frozenset({"DONE", "ERROR"})


def refuse_deletes(t: Probe, ident: int, *, raced_before: int = 0) -> bool | None:
    """DELETE in SENDING, first and repeated: a conflict each time, and the campaign stays.

    False when the send had ended before a DELETE (then not this clause's cell); None when
    a DELETE right after reading SENDING deleted a campaign it answered as ended, which a
    send ending in between explains: the caller tries another send, and when this is the
    `raced_before`-th send in a row to be answered so, it is a failure.
    """
    path = f"/campaign/{ident}"
    for attempt in ATTEMPTS:
        t.begin()
        # Read just before: a send that ended in between may be deleted (DONE, ERROR).
        if state_of(t, ident)[0] != "SENDING":
            return attempt != "first"
        answer = t.delete(path)
        if answer.success() is True:
            shown = answer.data().get("state")
            if shown in ENDED and not raced_before:
                return None  # R-3 answers what was deleted: maybe ended after the read
            again = (f", the {raced_before}th send in a row deleted so right after a read "
                     "showed it SENDING") if shown in ENDED else ""  # fmt: skip
            t.fail("M-5", f"a SENDING campaign was deleted ({attempt} DELETE, "
                   f"answered as {shown}{again})", answer)  # fmt: skip
            return True
        t.expect_code("M-5", answer, "conflict")
        for clause in ("M-5.delete-sending-conflict", "M-5.delete-sending-code"):
            t.exercised(clause, attempt=attempt)
        state, found = state_of(t, ident)
        if state is None:
            t.fail("M-5", f"a refused DELETE in SENDING ({attempt}) still deleted it", found)
            return True
        if state != "SENDING":
            return True  # ended after the refusal: judged all the same
    return True


def request_text(request: str) -> str:
    return "with no parameter" if request == "empty" else f"of `{request}` alone"
