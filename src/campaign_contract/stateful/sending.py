"""What the server does by itself (M-4) and what sent campaigns allow (M-5), over real sends."""

from __future__ import annotations

import time

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.machine import FINAL, SENT, STATES
from campaign_contract.schema.target import past
from campaign_contract.stateful.reach import (
    NO_ERROR_LIST,
    create_in,
    reach,
    state_of,
    wait_until,
)
from campaign_contract.stateful.sent import REQUESTS, refuse_deletes, refuse_puts
from campaign_contract.transport.http import race_puts


@check("M-4")
def ready_in_the_past_sends(t: Probe) -> None:
    """READY with a past `when` moves to SENDING by itself, and SENDING ends in DONE or ERROR."""
    limit = t.ctx.config.limits.send_wait
    started = create_in(t, "m4 send", "READY", past())
    if started.id is None:
        t.skip(started.why)
    moved, answer = wait_until(t, started.id, SENT, limit)
    t.exercised("M-4.ready-sends-once-when-came", path="created_past")
    if moved not in SENT:
        t.fail("M-4", f"READY with a past `when` is still {moved} after {limit:g} s", answer)
        return
    ended, answer = wait_until(t, started.id, FINAL, limit)
    if ended == "SENDING":
        t.unexercised("M-4", f"the send did not end within {limit:g} s (limits.send_wait)")
    elif ended not in FINAL:
        t.fail("M-4", f"a send went from SENDING to {ended}", answer)


@check("M-4")
def empty_audience_is_done_at_once(t: Probe) -> None:
    """A READY campaign on an empty list with a past `when` goes straight to DONE."""
    empty = t.ctx.config.empty_list
    if empty is None:
        t.skip("the config names no empty_list")
    started = create_in(t, "m4 empty", "READY", past(), empty)
    if started.id is None:
        t.skip(started.why)
    state, answer = wait_until(t, started.id, FINAL, t.ctx.config.limits.send_wait)
    t.exercised("M-4.empty-straight-to-done")
    t.expect(state == "DONE", "M-4", f"an empty audience ends in {state}, not DONE", answer)


@check("M-4")
def scheduled_in_the_past_stays(t: Probe) -> None:
    """A SCHEDULED campaign whose time has passed stays SCHEDULED (only READY sends)."""
    started = create_in(t, "m4 scheduled", "SCHEDULED", past())
    if started.id is None:
        t.skip(started.why)
    t.exercised("M-4.scheduled-stays", path="created_scheduled_past")
    for _ in range(3):
        state, answer = state_of(t, started.id)
        if state != "SCHEDULED":
            t.fail("M-4", f"SCHEDULED with a past `when` became {state}", answer)
            return
        time.sleep(0.3)


@check("M-5")
def sent_campaigns_refuse_put_and_delete_while_sending(t: Probe) -> None:
    """PUT is a conflict in SENDING and after; DELETE a conflict in SENDING, allowed after."""
    sending = reach(t, "SENDING")
    if sending.id is None:
        t.skip(sending.why)
    ident: int = sending.id
    refused = sending.state == "SENDING" and refuse_deletes(t, ident)
    tried = 1
    while refused is None:  # the last try (RACED_SENDS) never answers None
        # Deleted as ended right after it read SENDING: a send that ended in between explains
        # it, on a busy machine a few times in a row (loaded run s281 saw two): elsewhere again.
        tried += 1
        sending = reach(t, "SENDING")
        if sending.id is None:
            t.skip(sending.why)
        ident = sending.id
        raced = tried if tried == RACED_SENDS else 0
        refused = sending.state == "SENDING" and refuse_deletes(t, ident, raced_before=raced)
    path = f"/campaign/{ident}"
    if not refused:
        why = f"DELETE in SENDING: {sending.why or 'the send ended first'}"
        for clause in ("M-5.delete-sending-conflict", "M-5.delete-sending-code"):
            t.cannot(clause, why)
    else:
        _refuse_puts_while_sending(t, ident)
    ended, _answer = wait_until(t, ident, FINAL, t.ctx.config.limits.send_wait)
    if ended not in FINAL:
        why = f"the send did not end within {t.ctx.config.limits.send_wait:g} s"
        t.unexercised("M-5", why)
        t.cannot("M-5.delete-in-done", why)
        return
    t.begin()
    for target in STATES:
        answer = t.put(path, form={"state": target})
        if t.expect(
            answer.success() is False, "M-5", f"PUT state={target} in {ended} is accepted", answer
        ):
            t.expect_code("M-5", answer, "conflict")
    refuse_puts(t, ident, str(ended))
    _delete_and_never_reuse(t, ident, ended)


#: Further sends tried for the PUTs in SENDING a fast send ended before.
MORE_SENDS = 3
#: Sends tried for DELETE in SENDING while each is deleted as ended right after a read showed
#: SENDING: a send ending in between explains one (a server that ends a send to delete it,
#: every one).
RACED_SENDS = 4


def _refuse_puts_while_sending(t: Probe, ident: int) -> None:
    """Every PUT of M-5's domain in SENDING, on further sends when a fast one ends under them
    (each send's campaign is left to end, and the run's cleanup deletes it)."""
    left = refuse_puts(t, ident, "SENDING") if state_of(t, ident)[0] == "SENDING" else REQUESTS
    for _round in range(MORE_SENDS):
        if not left:
            return
        again = reach(t, "SENDING")
        if again.id is None or again.state != "SENDING":
            break
        left = refuse_puts(t, again.id, "SENDING", left)
    for request in left:
        t.cannot("M-5.put-sending-conflict", "every send ended before this PUT could be tried "
                 "in SENDING", request=request)  # fmt: skip


def _delete_and_never_reuse(t: Probe, ident: int, state: str) -> None:
    t.begin()
    answer = t.delete(f"/campaign/{ident}")
    # READY's clause is also judged just before `when` (stateful.mind): this is its far cell.
    cell = {"when": "far_ahead"} if state == "READY" else {}
    t.exercised(f"M-5.delete-in-{state.lower()}", **cell)
    if not t.expect(
        answer.success() is True, "M-5", f"DELETE in {state} fails: {answer.describe()}", answer
    ):
        return
    gone = t.get(f"/campaign/{ident}")
    t.expect(
        gone.status == 404, "M-5", f"a deleted campaign still answers: {gone.describe()}", gone
    )
    fresh = create_in(t, "after delete", "DRAFT", None)
    if fresh.id is not None:
        t.expect(fresh.id != ident, "M-5", f"id {ident} is reused after DELETE", fresh.answer)
        t.exercised("M-5.ids-never-reused")


@check("M-5")
def client_states_may_be_deleted(t: Probe) -> None:
    """DELETE succeeds in DRAFT, SCHEDULED and READY, and the id is never given again."""
    for state in ("DRAFT", "SCHEDULED", "READY"):
        t.begin()
        start = reach(t, state)
        if start.id is None:
            t.unexercised("M-5", start.why)
            t.cannot(f"M-5.delete-in-{state.lower()}", start.why)
            continue
        _delete_and_never_reuse(t, start.id, state)


@check("M-4")
def a_send_that_cannot_go_on_ends_in_error(t: Probe) -> None:
    """A send to the config's `error_list` goes READY -> SENDING -> ERROR, never DONE."""
    error_list = t.ctx.config.error_list
    if error_list is None:
        t.skip(NO_ERROR_LIST)
    limit = t.ctx.config.limits.send_wait
    started = create_in(t, "m4 error", "READY", past(), error_list)
    if started.id is None:
        t.skip(started.why)
    ended, answer = wait_until(t, started.id, FINAL, limit)
    if ended in ("READY", "SENDING"):
        t.unexercised("M-4", f"the send to error_list {error_list} is still {ended} after "
                      f"{limit:g} s (limits.send_wait)")  # fmt: skip
        t.cannot("M-4.error-when-cannot-go-on", f"the send to error_list {error_list} never "
                 "ended")  # fmt: skip
    else:
        t.exercised("M-4.error-when-cannot-go-on")
        t.expect(ended == "ERROR", "M-4", f"the send to error_list {error_list} (whose sends "
                 f"cannot go on) ended in {ended}, not ERROR", answer)  # fmt: skip


@check("M-5")
def error_state_is_final(t: Probe) -> None:
    """In ERROR, PUT is a conflict and DELETE allowed (needs the config's `error_list`)."""
    start = reach(t, "ERROR")
    if start.id is None or start.state != "ERROR":
        t.cannot("M-5.delete-in-error", start.why)
        t.skip(start.why)
    path = f"/campaign/{start.id}"
    for target in STATES:
        t.begin()
        answer = t.put(path, form={"state": target})
        if t.expect(
            answer.success() is False, "M-5", f"PUT state={target} in ERROR is accepted", answer
        ):
            t.expect_code("M-5", answer, "conflict")
    refuse_puts(t, start.id, "ERROR")
    _delete_and_never_reuse(t, start.id, "ERROR")


@check("M-5")
def concurrent_puts_send_once(t: Probe) -> None:
    """Racing PUTs to READY: at least one wins, the rest conflict, one final state that stays."""
    empty = t.ctx.config.empty_list
    start = create_in(t, "m5 race", "SCHEDULED", past(), empty)
    if start.id is None:
        t.skip(start.why)
    path = f"/campaign/{start.id}"
    answers = race_puts(t.client, path, {"state": "READY"})
    t.client.history.extend(answers)
    wins = [a for a in answers if a.success() is True]
    t.expect(bool(wins), "M-5", "no racing PUT to READY succeeded", answers[-1])
    t.exercised("M-5.sends-at-most-once")  # judged on the API: one PUT wins, the rest conflict
    for answer in answers:
        if answer.success() is False:
            t.expect_code("M-5", answer, "conflict")
    ended, _last = wait_until(t, start.id, FINAL, t.ctx.config.limits.send_wait)
    if ended not in FINAL:
        t.unexercised("M-5", f"the raced send did not end within the limit ({ended})")
        t.cannot("M-5.one-final-state", f"the raced send did not end within the limit ({ended})")
        return
    for _ in range(2):
        again, answer = state_of(t, start.id)
        t.expect(again == ended, "M-5", f"the final state changed from {ended} to {again}", answer)
    t.exercised("M-5.one-final-state")
