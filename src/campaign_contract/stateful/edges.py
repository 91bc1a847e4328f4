"""The transition table edge by edge: 6x6 PUTs and 6 POSTs (M-1, M-2, M-3, M-5), each
(from, to) pair reported as a cell of the clause that judges it."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.machine import CLIENT, SENT, STATES, TWO_WAY
from campaign_contract.schema.target import FUTURE, base_form
from campaign_contract.stateful.reach import Reached, create_in, reach, state_of

#: The clauses a refused PUT edge exercises, by where it starts and where it asks to go.
ANYTHING_ELSE = "M-2.anything-else-conflict"
SERVER_ONLY = "M-2.client-sets-only-three"
SENT_ANY = "M-5.put-sent-any-state"
#: The two client edges M-1 lacks, each a clause of its own.
NO_EDGE = {("DRAFT", "READY"): "M-2.no-draft-to-ready", ("READY", "DRAFT"): "M-2.no-ready-to-draft"}
STAY = ("M-2.current-state-no-change", "M-2.current-state-other-fields-apply")


def edge_clause(source: str, target: str) -> str:
    """M-1's clause of a two-way edge: `M-1.draft-to-scheduled`."""
    return f"M-1.{source.lower()}-to-{target.lower()}"


def refused_clauses(source: str, target: str) -> list[str]:
    """Every clause a refused PUT from `source` asking for `target` is a cell of."""
    if source in SENT:
        return [SENT_ANY]
    found = [ANYTHING_ELSE]
    if target in SENT:
        found.append(SERVER_ONLY)
    if (source, target) in NO_EDGE:
        found.append(NO_EDGE[source, target])
    return found


def _report(t: Probe, source: str, target: str) -> None:
    for clause in refused_clauses(source, target):
        if clause in NO_EDGE.values():
            t.exercised(clause)
        else:
            t.exercised(clause, **{"from": source, "to": target})


def _cannot(t: Probe, source: str, why: str) -> None:
    """Every cell starting from `source` this run could not try, and why."""
    if source in SENT:
        t.cannot(SENT_ANY, why, **{"from": source})
        return
    for clause in (ANYTHING_ELSE, SERVER_ONLY):
        t.cannot(clause, why, **{"from": source})
    for (start, _target), clause in NO_EDGE.items():
        if start == source:
            t.cannot(clause, why)
    for clause in STAY:
        t.cannot(clause, why, state=source)


def _refused_edge(t: Probe, start: Reached, target: str) -> bool:
    """An edge the client may not take: conflict, and nothing of the PUT applies.

    True when the PUT was made in the start state (a send may end between two PUTs).
    """
    assert start.id is not None
    rule = "M-5" if start.state in SENT else "M-2"
    path = f"/campaign/{start.id}"
    before = t.get(path).data()
    answer = t.put(path, form={"state": target, "name": t.ctx.campaign_name("moved")})
    edge = f"{start.state} -> {target}"
    # The state read just before the PUT: a SENDING campaign that ended in between was not
    # tried in SENDING, though the PUT is still judged (M-5 refuses it in DONE/ERROR too).
    tried = before.get("state") == start.state
    if not t.expect(answer.success() is False, rule, f"PUT {edge} is accepted", answer):
        return tried
    t.expect_code(rule, answer, "conflict")
    after = t.get(path)
    if after.data().get("name") != before.get("name"):
        t.fail(rule, f"the refused PUT {edge} still renamed the campaign", after)
    state = after.data().get("state")
    moved_on = start.state == "SENDING" and state in ("DONE", "ERROR")
    if state != start.state and not moved_on:
        t.fail(rule, f"the refused PUT {edge} left the campaign in {state}", after)
    return tried


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
    for clause in STAY:
        t.exercised(clause, state=str(start.state))


def _legal_edge(t: Probe, source: str, target: str) -> None:
    t.begin()
    start = reach(t, source)
    if start.id is None or start.state != source:
        t.unexercised("M-1", f"no campaign in {source}: {start.why}")
        t.cannot(edge_clause(source, target), f"no campaign in {source}: {start.why}")
        return
    answer = t.put(f"/campaign/{start.id}", form={"state": target})
    t.exercised(edge_clause(source, target))
    edge = f"{source} -> {target}"
    if not t.expect(
        answer.success() is True, "M-1", f"PUT {edge} is refused: {answer.describe()}", answer
    ):
        return
    state, found = state_of(t, start.id)
    t.expect(state == target, "M-1", f"after PUT {edge} the campaign is {state}", found)


#: Further sends tried for the PUTs in SENDING a fast send ended before.
MORE_SENDS = 3


def _row(t: Probe, start: Reached, targets: list[str]) -> list[str]:
    """The refused PUTs from `start` to each target; the targets not tried in its state."""
    source = str(start.state)
    for index, target in enumerate(targets):
        t.begin()
        if not _refused_edge(t, start, target):
            return targets[index:]
        _report(t, source, target)
    return []


@check("M-1", "M-2", "M-5")
def put_edges(t: Probe) -> None:
    """Every PUT from each of the six states to each of the six: legal, stay put, or conflict."""
    for source in STATES:
        t.begin()
        start = reach(t, source)
        if start.id is None or start.state != source:
            rule = "M-5" if source in SENT else "M-2"
            t.unexercised(rule, f"no campaign in {source}: {start.why}")
            _cannot(t, source, f"no campaign in {source}: {start.why}")
            continue
        # In SENDING the send may end under the PUTs: try the table's row in a shuffled order
        # (seeded) so that no target is always the one left for last.
        targets = [s for s in STATES if s != source and (source, s) not in TWO_WAY]
        if source in SENT:
            targets.append(source)  # M-5 forbids the PUT itself, even asking for no change
        t.rng.shuffle(targets)
        left = _row(t, start, targets)
        # A fast send may end under the row: the PUTs it left go to further sends.
        for _round in range(MORE_SENDS if source == "SENDING" else 0):
            if not left:
                break
            again = reach(t, source)
            if again.id is None or again.state != source:
                break
            left = _row(t, again, left)
        for target in left:
            t.cannot(SENT_ANY, f"every send had ended before PUT {source} -> {target}",
                     **{"from": source, "to": target})  # fmt: skip
        if source in CLIENT:
            t.begin()
            _stay_put(t, start)
        if source == "SENDING":
            state, _answer = state_of(t, start.id)
            if state != "SENDING":
                t.unexercised("M-5", f"the send ended ({state}) before every PUT was tried")
    for source, target in sorted(TWO_WAY):
        _legal_edge(t, source, target)


#: M-3's clauses and how each asks for a state that needs `when` without one.
NEEDS_WHEN_CLAUSE = {"SCHEDULED": "M-3.scheduled-needs-when", "READY": "M-3.ready-needs-when"}
CODE_CLAUSE = "M-3.code-invalid"


def _without_when(t: Probe, state: str, request: str, answer_ok: bool) -> None:
    """Report one cell of M-3 (the state, and how `when` was missing) once it was judged."""
    t.exercised(NEEDS_WHEN_CLAUSE[state], request=request)
    if answer_ok:
        t.exercised(CODE_CLAUSE, state=state, request=request)


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
            t.exercised(f"M-2.post-in-{state.lower()}")
            continue
        if t.expect(answer.success() is False, "M-2", f"POST in {state} is accepted", answer):
            t.expect_code("M-2", answer, "conflict")
        t.exercised(f"M-2.post-not-in-{state.lower()}")
    for state in ("SCHEDULED", "READY"):
        t.begin()
        answer = t.post("/campaign", form=base_form(t, f"no when {state}", state=state))
        t.ctx.note_created(answer)
        refused = t.expect(
            answer.success() is False, "M-3", f"POST {state} without when is accepted", answer
        )
        if refused:
            t.expect_code("M-3", answer, "invalid")
        _without_when(t, state, "post", refused)
    _put_without_when(t)


def _put_without_when(t: Probe) -> None:
    """A PUT into SCHEDULED (from a DRAFT without `when`) or into READY (from SCHEDULED, clearing
    `when` in the same PUT) leaves the campaign without `when`: invalid, and nothing changes.

    DRAFT -> READY without `when` is left out: it is also no edge (conflict), and a request
    with several faults may be answered with either code.
    """
    t.begin()
    draft = create_in(t, "no when", "DRAFT", None)
    scheduled = create_in(t, "clear when", "SCHEDULED", FUTURE)
    tries = (("SCHEDULED", draft, {"state": "SCHEDULED"}),
             ("READY", scheduled, {"state": "READY", "when": ""}))  # fmt: skip
    for state, start, form in tries:
        if start.id is None:
            t.unexercised("M-3", start.why)
            t.cannot(NEEDS_WHEN_CLAUSE[state], start.why, request="put")
            t.cannot(CODE_CLAUSE, start.why, state=state, request="put")
            continue
        path = f"/campaign/{start.id}"
        answer = t.put(path, form=form)
        refused = t.expect(
            answer.success() is False,
            "M-3",
            f"PUT {start.state} -> {state} without when is accepted",
            answer,
        )
        if refused:
            t.expect_code("M-3", answer, "invalid")
            after, read = state_of(t, start.id)
            t.expect(after == start.state, "M-3",
                     f"after the refused PUT -> {state} the campaign is {after}", read)  # fmt: skip
        _without_when(t, state, "put", refused)
