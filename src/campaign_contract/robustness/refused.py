"""What the refusal checks aim at (every endpoint and method with a body; every routing fault)
and the judgement that a refused request, sent again, is refused the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.robustness.targets import HUGE_ID, MISSING
from campaign_contract.transport.exchange import Exchange

#: Every refusal is sent twice: V-3 and V-4 hold for the first and the repeated request.
REQUESTS: Final = ("first", "repeated")
#: A target's cell name -> the path its method is sent to.
Targets = dict[str, str]


def _own(t: Probe, key: str, label: str) -> int | None:
    created = t.ctx.shared(key, lambda: t.ctx.create_campaign(label))
    t.use(created)
    value = created.data().get("id") if created.success() is True else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def deleted_id(t: Probe) -> int | None:
    """A campaign this run created and deleted (V-4 step 4: its id is a 404)."""

    def make() -> int | None:
        created = t.ctx.create_campaign("deleted for refusals")
        ident = t.ctx.note_created(created)
        if ident is None or t.delete(f"/campaign/{ident}").success() is not True:
            return None
        return ident

    return t.ctx.shared("refusals-deleted", make)


def body_targets(t: Probe) -> Targets:
    """Every endpoint and method that takes a body: POST /campaign, and PUT to an id that
    exists (this run's own), does not exist, or was deleted."""
    found = {"POST /campaign": "/campaign"}
    existing = _own(t, "refusals-target", "refusals target")
    if existing is not None:
        found["PUT existing id"] = f"/campaign/{existing}"
    found["PUT missing id"] = MISSING
    deleted = deleted_id(t)
    if deleted is not None:
        found["PUT deleted id"] = f"/campaign/{deleted}"
    return found


def routing_faults(t: Probe) -> list[tuple[str, str, str, int]]:
    """(fault, method, path, status): V-4 step 1's faults for every method with a body or an id."""
    del t  # the same for every server: no id of its is needed
    lacking = {"GET": "/campaign", "POST": f"/campaign/{HUGE_ID}", "PUT": "/campaign",
               "DELETE": "/campaign"}  # fmt: skip
    out = []
    for method in ("GET", "POST", "PUT", "DELETE"):
        out.append(("unknown path", method, "/campaigns", 404))
        out.append(("not an id", method, "/campaign/abc", 404))
        out.append(("method not there", method, lacking[method], 405))
    return out


def _signature(answer: Exchange) -> tuple[int | None, bool | None, object]:
    return answer.status, answer.success(), answer.data().get("code")


def expect_same_refusal(t: Probe, answers: Sequence[Exchange], rule: str = "V-4") -> None:
    """The repeated request is refused as the first was: same status, `success` and code."""
    if len(answers) < 2 or answers[0].success() is True:
        return
    first = _signature(answers[0])
    for again in answers[1:]:
        t.expect(
            _signature(again) == first,
            rule,
            f"a refused request sent again is answered differently: first {first}, "
            f"then {_signature(again)}: {again.describe()}",
            again,
        )
