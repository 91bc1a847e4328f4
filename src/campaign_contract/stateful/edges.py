"""The transition table edge by edge: 6x6 PUTs and 6 POSTs (M-1, M-2, M-3, M-5)."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.schema.target import FUTURE, base_form
from campaign_contract.stateful.model import CLIENT, SENT, STATES, TWO_WAY
from campaign_contract.stateful.reach import Reached, create_in, reach, state_of


def _refused_edge(t: Probe, start: Reached, target: str) -> None:
    """An edge the client may not take: conflict, and nothing of the PUT applies."""
    assert start.id is not None
    rule = "M-5" if start.state in SENT else "M-2"
    path = f"/campaign/{start.id}"
    before = t.get(path).data()
    answer = t.put(path, form={"state": target, "name": t.ctx.campaign_name("moved")})
    edge = f"{start.state} -> {target}"
    if not t.expect(answer.success() is False, rule, f"PUT {edge} is accepted", answer):
        return
    t.expect_code(rule, answer, "conflict")
    after = t.get(path)
    if after.data().get("name") != before.get("name"):
        t.fail(rule, f"the refused PUT {edge} still renamed the campaign", after)
    state = after.data().get("state")
    moved_on = start.state == "SENDING" and state in ("DONE", "ERROR")
    if state != start.state and not moved_on:
        t.fail(rule, f"the refused PUT {edge} left the campaign in {state}", after)


def _stay_put(t: Probe, start: Reached) -> None:
    """Asking for the current state is no change, and the PUT's other fields apply (M-2)."""
    assert start.id is not None
    name = t.ctx.campaign_name("stay")
    answer = t.put(f"/campaign/{start.id}", form={"state": str(start.state), "name": name})
    data = answer.data()
    if t.expect(
        answer.success() is True,
        "M-2",
        f"PUT {start.state} -> itself is refused: {answer.describe()}",
        answer,
    ):
        t.expect(
            data.get("state") == start.state and data.get("name") == name,
            "M-2",
            f"PUT {start.state} -> itself gives {data.get('state')} named {data.get('name')!r}",
            answer,
        )


def _legal_edge(t: Probe, source: str, target: str) -> None:
    t.begin()
    start = reach(t, source)
    if start.id is None or start.state != source:
        t.unexercised("M-1", f"no campaign in {source}: {start.why}")
        return
    answer = t.put(f"/campaign/{start.id}", form={"state": target})
    edge = f"{source} -> {target}"
    if not t.expect(
        answer.success() is True, "M-1", f"PUT {edge} is refused: {answer.describe()}", answer
    ):
        return
    state, found = state_of(t, start.id)
    t.expect(state == target, "M-1", f"after PUT {edge} the campaign is {state}", found)


@check("M-1", "M-2", "M-5")
def put_edges(t: Probe) -> None:
    """Every PUT from each of the six states to each of the six: legal, stay put, or conflict."""
    for source in STATES:
        t.begin()
        start = reach(t, source)
        if start.id is None or start.state != source:
            rule = "M-5" if source in SENT else "M-2"
            t.unexercised(rule, f"no campaign in {source}: {start.why}")
            continue
        for target in STATES:
            if target != source and (source, target) not in TWO_WAY:
                t.begin()
                _refused_edge(t, start, target)
        if source in CLIENT:
            t.begin()
            _stay_put(t, start)
        elif source in SENT:
            t.begin()
            _refused_edge(t, start, source)
        if source == "SENDING":
            state, _answer = state_of(t, start.id)
            if state != "SENDING":
                t.unexercised("M-5", f"the send ended ({state}) before every PUT was tried")
    for source, target in sorted(TWO_WAY):
        _legal_edge(t, source, target)


@check("M-2", "M-3")
def post_states(t: Probe) -> None:
    """A POST may start in DRAFT, SCHEDULED or READY, not elsewhere; SCHEDULED/READY need when."""
    for state in STATES:
        t.begin()
        answer = t.post(
            "/campaign", form=base_form(t, f"post {state}", state=state, when=str(FUTURE))
        )
        t.ctx.note_created(answer)
        if state in CLIENT:
            ok = answer.success() is True and answer.data().get("state") == state
            t.expect(ok, "M-2", f"POST in {state} fails: {answer.describe()}", answer)
        elif t.expect(answer.success() is False, "M-2", f"POST in {state} is accepted", answer):
            t.expect_code("M-2", answer, "conflict")
    for state in ("SCHEDULED", "READY"):
        t.begin()
        answer = t.post("/campaign", form=base_form(t, f"no when {state}", state=state))
        t.ctx.note_created(answer)
        if t.expect(
            answer.success() is False, "M-3", f"POST {state} without when is accepted", answer
        ):
            t.expect_code("M-3", answer, "invalid")
    t.begin()
    draft = create_in(t, "no when", "DRAFT", None)
    if draft.id is None:
        t.unexercised("M-3", draft.why)
        return
    for state in ("SCHEDULED",):
        answer = t.put(f"/campaign/{draft.id}", form={"state": state})
        if t.expect(
            answer.success() is False,
            "M-3",
            f"PUT DRAFT -> {state} without when is accepted",
            answer,
        ):
            t.expect_code("M-3", answer, "invalid")
