"""Q-5 in every cell: a PUT of each field alone keeps every other field, in each body type; no
`list` in a PUT; empty values clear in each form body; `when` clears only in DRAFT."""

from __future__ import annotations

from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.bodies import BODIES, send
from campaign_contract.schema.target import FUTURE, UNKNOWN_ID, base_form, segment_ids
from campaign_contract.transport.exchange import Exchange

CALLBACK: Final = "https://hooks.example/cb?k=v"
FIELDS: Final = ("name", "domain", "segments", "state", "when", "event_callback")
KEPT: Final = ("name", "domain", "list", "segments", "state", "when", "event_callback")
FORMS: Final = ("form", "multipart")


class Target:
    """The campaign the PUTs go to, and what it held after the last accepted one."""

    def __init__(self, path: str, held: dict[str, Any]) -> None:
        self.path = path
        self.held = held

    def put(self, t: Probe, fields: dict[str, Any], body: str) -> Exchange:
        answer = send(t, "PUT", self.path, fields, body)
        if answer.success() is True:
            self.held = answer.data()
        return answer


def _value(t: Probe, field: str, held: dict[str, Any], step: int) -> Any:
    own = segment_ids(t)
    return {
        "name": t.ctx.campaign_name(f"q5 alone {step}"),
        "domain": t.ctx.config.domains.bouncing,
        "segments": own[: 1 + step % 2] if own else [],
        "state": "SCHEDULED" if held.get("state") == "DRAFT" else "DRAFT",
        "when": FUTURE - 60 * (step + 1),
        "event_callback": f"{CALLBACK}&n={step}",
    }[field]


def _expect(t: Probe, rule: str, answer: Exchange, want: dict[str, Any], what: str) -> None:
    if answer.success() is not True:
        t.fail(rule, f"{what} is refused: {answer.describe()}", answer)
        return
    data = answer.data()
    for name, value in want.items():
        if data.get(name) != value:
            t.fail(rule, f"{what}: `{name}` is {data.get(name)!r}, expected {value!r}", answer)


def _alone(t: Probe, target: Target) -> None:
    step = 0
    for body in BODIES:
        for field in FIELDS:
            step += 1
            before = dict(target.held)
            value = _value(t, field, before, step)
            t.begin()
            answer = target.put(t, {field: value}, body)
            t.exercised("Q-5.partial-update", field=field, body=body)
            want = {k: before[k] for k in KEPT if k != field}
            _expect(t, "Q-5p", answer, {**want, field: value}, f"a PUT of {field} alone ({body})")


def _no_list(t: Probe, target: Target) -> None:
    other = next((c.id for c in t.ctx.config.lists[1:]), UNKNOWN_ID)
    for body in BODIES:
        t.begin()
        before = target.held["list"]
        answer = target.put(t, {"list": other}, body)
        t.exercised("Q-5.put-has-no-list", body=body)
        t.exercised("Q-5.list-in-put-invalid", body=body)
        if answer.success() is True:
            t.expect(answer.data().get("list") == before, "Q-5", f"a {body} PUT changes the list",
                     answer)  # fmt: skip
            t.fail("Q-5p", f"`list` in a {body} PUT is accepted: {answer.describe()}", answer)
        else:
            t.expect_code("Q-5p", answer, "invalid")


def _clears(t: Probe, target: Target) -> None:
    own = segment_ids(t)
    for body in FORMS:
        target.put(t, {"state": "DRAFT", "when": FUTURE, "event_callback": CALLBACK,
                       "segments": own[:1]}, "JSON")  # fmt: skip
        for field, clause in (
            ("event_callback", "Q-5.empty-callback-clears"),
            ("segments", "Q-5.empty-form-segment-clears"),
            ("when", "Q-5.empty-when-clears"),
        ):
            t.begin()
            answer = target.put(t, {field: [] if field == "segments" else ""}, body)
            t.exercised(clause, body=body)
            want: list[int] | None = [] if field == "segments" else None
            _expect(t, "Q-5p", answer, {field: want}, f"an empty {field} ({body})")


def _when_kept_outside_draft(t: Probe, target: Target) -> None:
    for state in ("SCHEDULED", "READY"):
        target.put(t, {"state": "SCHEDULED", "when": FUTURE}, "JSON")
        if state == "READY":
            target.put(t, {"state": "READY"}, "JSON")
        if target.held.get("state") != state:
            t.cannot("Q-5.clearing-when-only-in-draft", f"could not reach {state}", state=state)
            continue
        for body in BODIES:
            t.begin()
            answer = target.put(t, {"when": None}, body)
            t.exercised("Q-5.clearing-when-only-in-draft", state=state, body=body)
            what = f"clearing `when` of a {state} campaign ({body}) is accepted"
            if t.expect(answer.success() is False, "Q-5p", what, answer):
                t.expect_code("Q-5p", answer, "invalid")
    target.put(t, {"state": "SCHEDULED"}, "JSON")
    target.put(t, {"state": "DRAFT"}, "JSON")


@check("Q-5", "Q-5p")
def each_field_alone(t: Probe) -> None:
    """A PUT of each field alone (form, multipart, JSON) keeps every other; `list` in a PUT is
    invalid and changes nothing; empty form values clear; `when` clears only in DRAFT."""
    extra = {"when": str(FUTURE), "event_callback": CALLBACK}
    own = segment_ids(t)
    fields = base_form(t, "q5 cells", **extra) + [("segments[]", str(s)) for s in own[:1]]
    created = t.ctx.create_campaign("q5 cells", fields)
    if created.success() is not True:
        t.skip(f"no campaign could be created: {created.describe()}")
    target = Target(f"/campaign/{created.data()['id']}", created.data())
    _alone(t, target)
    _no_list(t, target)
    _clears(t, target)
    _when_kept_outside_draft(t, target)
