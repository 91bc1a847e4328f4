"""A plain model of M-1..M-5: the transition table, what each request must come to, and the
judges of an answer against it (the outcome, the campaign's fields, its state over time)."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.shape import campaign_problem
from campaign_contract.transport.exchange import Exchange

STATES: Final = ("DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR")
CLIENT: Final = frozenset({"DRAFT", "SCHEDULED", "READY"})
SENT: Final = frozenset({"SENDING", "DONE", "ERROR"})
FINAL: Final = frozenset({"DONE", "ERROR"})
NEEDS_WHEN: Final = frozenset({"SCHEDULED", "READY"})
#: M-1's two-way edges, the only ones a client may take (M-2).
TWO_WAY: Final = frozenset(
    {("DRAFT", "SCHEDULED"), ("SCHEDULED", "DRAFT"), ("SCHEDULED", "READY"), ("READY", "SCHEDULED")}
)


def put_allowed(current: str, target: str) -> bool:
    """M-2 and M-5: whether a PUT asking for `target` may succeed from `current`."""
    return current in CLIENT and (target == current or (current, target) in TWO_WAY)


@dataclass(slots=True)
class Expected:
    """What a request must come to: success, or a failure with one of these codes."""

    codes: frozenset[str] = frozenset()
    rule: str = "M-2"

    @property
    def success(self) -> bool:
        return not self.codes


@dataclass(slots=True)
class ModelCampaign:
    id: int
    name: str
    domain: int
    list: int
    segments: builtins.list[int]  # `list` above shadows the builtin here
    state: str
    when: int | None
    event_callback: str | None
    #: True once the server has taken it on (READY with a past `when`, M-4).
    sends: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "list": self.list,
            "segments": self.segments,
            "when": self.when,
            "event_callback": self.event_callback,
        }


def expect(
    *,
    current: str | None,
    target: str,
    when: int | None,
    name_ok: bool,
    segments_ok: bool,
) -> Expected:
    """The outcome docs/internals.md's order gives; several faults allow any of their codes."""
    faults: list[tuple[str, str]] = []
    if not name_ok:
        faults.append(("invalid", "Q-4"))
    if current is None:
        if target not in CLIENT:
            faults.append(("conflict", "M-2"))
    elif current in SENT:
        faults.append(("conflict", "M-5"))
    elif not put_allowed(current, target):
        faults.append(("conflict", "M-2"))
    if target in NEEDS_WHEN and when is None and current not in SENT:
        faults.append(("invalid", "M-3"))
    if not segments_ok:
        faults.append(("reference", "Q-6s"))
    if not faults:
        return Expected()
    return Expected(frozenset(code for code, _rule in faults), faults[0][1])


def possible_states(last: str, when: int | None, clock: int | None) -> frozenset[str]:
    """The states a campaign last seen in `last` may be in now, by the server's own moves
    (M-4): READY may have started once its `when` came (`clock`: the latest moment the
    server's clock may read, None when unknown), and SENDING may have ended."""
    if last == "READY" and when is not None and (clock is None or when <= clock):
        return frozenset({last}) | SENT
    if last == "SENDING":
        return SENT
    return frozenset({last})


def judge_outcome(v: Verdicts, expected: Expected, answer: Exchange) -> bool:
    """The answer to a POST, PUT, GET or DELETE is the outcome the model expects (M-2..M-5,
    Q-4, Q-6s by `expected.rule`), and a success holds R-2's campaign. True when the request
    succeeded as expected: the caller's model takes its change."""
    if not answer.answered or (answer.status or 0) >= 500:
        v.fail("M-2", f"no proper answer: {answer.describe()}", answer)
        return False
    if expected.success:
        if answer.success() is not True:
            v.fail(expected.rule, f"expected success: {answer.describe()}", answer)
            return False
        problem = campaign_problem(answer.data())
        if problem is not None:
            v.fail("R-2", problem, answer)
            return False
        return True
    if answer.success() is not False:
        codes = "/".join(sorted(expected.codes))
        v.fail(expected.rule, f"expected {codes}, got success: {answer.describe()}", answer)
        return False
    code = answer.data().get("code")
    if len(expected.codes) == 1 and code not in expected.codes:
        wanted = next(iter(expected.codes))
        v.fail(expected.rule, f"code {code!r}, expected {wanted!r}", answer)
    return False


def judge_view(v: Verdicts, campaign: ModelCampaign, answer: Exchange, rule: str) -> bool:
    """The campaign in a success holds each field the model says (`rule`: R-3 for what was
    asked, Q-5p for what a PUT kept). True when every field agrees."""
    data = answer.data()
    for name, value in campaign.view().items():
        if data.get(name) != value:
            v.fail(rule, f"`{name}` is {data.get(name)!r}, the model says {value!r}", answer)
            return False
    return True


def judge_transition(
    v: Verdicts, before: Collection[str], after: Exchange, writes: Iterable[str] = ()
) -> str | None:
    """M-1: the state `after` shows is one the campaign may have reached: one of `before`
    (its last state as `possible_states` widens it) or a state a client write seen since set.
    The state shown, or None when it is none of them (DONE back to READY, SENDING back to a
    client state, a step no write explains)."""
    state = after.data().get("state")
    allowed = frozenset(before) | frozenset(writes)
    if state in allowed:
        return str(state)
    said = " or ".join(s for s in STATES if s in allowed)
    v.fail("M-1", f"state is {state}, the model says {said}", after)
    return None
