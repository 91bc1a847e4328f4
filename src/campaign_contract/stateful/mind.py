"""M-4 and M-5 while time passes and the client changes its mind just before `when`.

A witness READY campaign shares the subjects' `when` W, a little ahead of the server's clock.
Just before W each subject is changed: moved back to SCHEDULED, given a later `when`, given
W instead of a far one, renamed, deleted, or moved to SCHEDULED and back to READY. Once the
witness leaves READY the server's own state history proves its clock passed W, and each
subject must show what M-4 says of its new situation (no clock of ours is trusted for it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.machine import SENT
from campaign_contract.schema.target import FUTURE
from campaign_contract.stateful.clock import ServerClock, server_clock
from campaign_contract.stateful.reach import create_in, state_of, wait_until
from campaign_contract.transport.exchange import Exchange

#: Each change of mind: (clause, its cell on the `path` axis, the state the subject is
#: created in, whether it is created at W or far ahead, what it must do once W has come).
STAY: Final = "stays"
START: Final = "starts"
GONE: Final = "gone"


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    clause: str
    cell: dict[str, str]
    at_w: bool
    must: str


CHANGES: Final = (
    Change("back to SCHEDULED", "M-4.scheduled-stays", {"path": "ready_back_to_scheduled"}, True,
           STAY),
    Change("`when` moved later", "M-4.ready-not-before-when", {"path": "when_moved_later"}, True,
           STAY),
    Change("`when` moved earlier", "M-4.ready-sends-once-when-came",
           {"path": "when_moved_earlier"}, False, START),
    Change("renamed", "M-4.ready-sends-once-when-came", {"path": "edited_before_when"}, True,
           START),
    Change("SCHEDULED and back to READY", "M-4.ready-sends-once-when-came",
           {"path": "scheduled_back_to_ready"}, True, START),
    Change("deleted", "M-5.delete-in-ready", {"when": "just_before"}, True, GONE),
)  # fmt: skip
#: Real seconds: from creating the subjects to changing them, and how close to W they change.
SETUP: Final = 1.2
BEFORE: Final = 0.4
#: Reads of a subject that must not move once W has come, and the pause between them.
STILL_READS: Final = 3
STILL_PAUSE: Final = 0.3


@dataclass(slots=True)
class Subject:
    change: Change
    id: int
    #: The change was made while the subject was still READY (else the cell is not exercised).
    made: bool = False
    #: Judged at the change already (a DELETE refused while still READY).
    judged: bool = False
    answer: Exchange | None = None


def _change(t: Probe, subject: Subject, moment: int) -> None:
    path = f"/campaign/{subject.id}"
    name = subject.change.name
    if name == "deleted":
        answer = t.delete(path)
        subject.made = answer.success() is True and answer.data().get("state") == "READY"
        if answer.success() is False and state_of(t, subject.id)[0] == "READY":
            subject.made = subject.judged = True
            t.fail("M-5", f"DELETE in READY just before `when` is refused: {answer.describe()}",
                   answer)  # fmt: skip
    elif name == "SCHEDULED and back to READY":
        first = t.put(path, form={"state": "SCHEDULED"})
        answer = t.put(path, form={"state": "READY"})
        subject.made = first.success() is True and answer.data().get("state") == "READY"
    else:
        form = {
            "back to SCHEDULED": {"state": "SCHEDULED"},
            "`when` moved later": {"when": str(FUTURE)},
            "`when` moved earlier": {"when": str(moment)},
            "renamed": {"name": t.ctx.campaign_name("renamed before when")},
        }[name]
        answer = t.put(path, form=form)
        wanted = "SCHEDULED" if name == "back to SCHEDULED" else "READY"
        subject.made = answer.success() is True and answer.data().get("state") == wanted
    subject.answer = answer


def _judge(t: Probe, subject: Subject) -> None:
    change, ident = subject.change, subject.id
    told = f"a READY campaign {change.name} before its `when`"
    if change.must == START:
        state, answer = wait_until(t, ident, SENT, t.ctx.config.limits.send_wait)
        t.expect(
            state in SENT,
            "M-4",
            f"{told} is still {state} {t.ctx.config.limits.send_wait:g} s after that `when` came",
            answer,
        )
        return
    for _ in range(STILL_READS):
        state, answer = state_of(t, ident)
        if change.must == GONE and answer.status != 404:
            t.fail("M-5", f"{told} came back once that `when` came: {answer.describe()}", answer)
            return
        wanted = "SCHEDULED" if change.name == "back to SCHEDULED" else "READY"
        if change.must == STAY and state != wanted:
            t.fail("M-4", f"{told} became {state} at the old `when` (should stay {wanted})", answer)
            return
        time.sleep(STILL_PAUSE)


def _cannot(t: Probe, why: str, changes: tuple[Change, ...] = CHANGES) -> None:
    for change in changes:
        t.cannot(change.clause, why, **change.cell)


@check("M-4", "M-5")
def changes_of_mind_before_when(t: Probe) -> None:
    """Just before `when`: back to SCHEDULED, `when` later or earlier, renamed, deleted, rearmed."""
    list_id = t.ctx.config.empty_list
    clock: ServerClock = server_clock(t, list_id)
    speed = clock.speed
    moment = int(clock.now() + clock.precision + (SETUP + BEFORE + 0.5) * speed) + 1
    t.begin()
    witness = create_in(t, "m4 witness", "READY", moment, list_id)
    if witness.id is None or witness.state != "READY":
        _cannot(t, f"no READY witness at the server's {moment}: {witness.why or witness.state}")
        return
    subjects = []
    for change in CHANGES:
        made = create_in(t, f"m4 {change.name}", "READY", moment if change.at_w else FUTURE,
                         list_id)  # fmt: skip
        if made.id is None:
            t.cannot(change.clause, made.why, **change.cell)
        else:
            subjects.append(Subject(change, made.id))
    # Just before W, by the clock's reading: as close as its precision allows.
    time.sleep(clock.real_until(moment - clock.precision - BEFORE * speed))
    for subject in subjects:
        _change(t, subject, moment)
    limit = t.ctx.config.limits.send_wait + clock.real_until(moment + clock.precision)
    state, _answer = wait_until(t, witness.id, SENT, limit)
    if state not in SENT:
        _cannot(t, f"the witness READY at {moment} was still {state} after {limit:.0f} s")
        return
    for subject in subjects:
        if not subject.made:
            shown = subject.answer.describe() if subject.answer is not None else "no answer"
            t.cannot(subject.change.clause, f"the change came too late: {shown}",
                     **subject.change.cell)  # fmt: skip
            continue
        if not subject.judged:
            t.begin()
            _judge(t, subject)
        t.exercised(subject.change.clause, **subject.change.cell)
