"""R-3: DELETE answers with the campaign it deleted, not an empty body or an empty object.

Other checks notice a bodiless DELETE only as a side effect (no envelope, a failed M-5
step); this one names the rule it breaks.
"""

from __future__ import annotations

from typing import Any

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.shape import campaign_problem
from campaign_contract.schema.target import FUTURE
from campaign_contract.stateful.reach import create_in
from campaign_contract.transport.exchange import Exchange

#: Fields the deleted campaign must show as they were just before the DELETE.
KEPT = ("id", "name", "domain", "list", "segments", "state", "when", "event_callback")


def _problem(answer: Exchange, before: dict[str, Any]) -> str | None:
    """Why `answer` is not the deleted campaign `before`, or None."""
    if not answer.answered:
        return None  # no answer at all: the robustness layer's business
    if not answer.response_body.strip():
        return f"DELETE answered HTTP {answer.status} with no body, not the deleted campaign"
    if answer.success() is not True:
        return f"DELETE answered {answer.describe()}, not the deleted campaign"
    data = answer.data()
    problem = campaign_problem(data)
    if problem is not None:
        return f"DELETE answered data that is not the campaign ({problem})"
    changed = [name for name in KEPT if name in before and data.get(name) != before[name]]
    if changed:
        shown = ", ".join(f"{n}={data.get(n)!r} (was {before[n]!r})" for n in changed[:3])
        return f"DELETE answered another campaign than the one deleted: {shown}"
    return None


DELETE_BODY = "R-3.delete-has-a-body"


@check("R-3")
def delete_returns_the_deleted_campaign(t: Probe) -> None:
    """DELETE in DRAFT, SCHEDULED and READY answers with the campaign as it was (a body)."""
    for state in ("DRAFT", "SCHEDULED", "READY"):
        t.begin()
        start = create_in(t, f"r3 delete {state}", state, FUTURE)
        if start.id is None:
            t.unexercised("R-3", start.why)
            t.cannot(DELETE_BODY, start.why, state=state)
            continue
        path = f"/campaign/{start.id}"
        read = t.get(path)
        before = read.data() if read.success() is True else {}
        answer = t.delete(path)
        if answer.success() is False:
            why = f"DELETE in {state} was refused: {answer.describe()}"
            t.unexercised("R-3", why)
            t.cannot(DELETE_BODY, why, state=state)
            continue  # M-5's business
        problem = _problem(answer, before)
        if problem is not None:
            t.fail("R-3", f"in {state}: {problem}", answer)
        t.exercised(DELETE_BODY, state=state)
