"""R-1p: a trailing slash is accepted, for every method each campaign path has."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.transport.exchange import Exchange

#: The clause each method's cell belongs to (coverage/R.yaml).
ITEMS = "R-1.trailing-slash-on-items"
COLLECTION = "R-1.trailing-slash-on-collection"
#: Every method /campaign/{id} has (V-4: HEAD and OPTIONS wherever GET is), in an order that
#: leaves the DELETE, which ends the campaign, last.
ITEM_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")


def _answered(answer: Exchange) -> bool:
    """Routed and served: not a 404/405, no 5xx, no drop (HEAD and OPTIONS have no body)."""
    status = answer.status or 0
    return answer.answered and status < 400


def _returns(answer: Exchange, campaign_id: int) -> bool:
    return answer.success() is True and answer.data().get("id") == campaign_id


@check("R-1p")
def trailing_slash_is_accepted(t: Probe) -> None:
    """POST /campaign/ and GET, HEAD, OPTIONS, PUT, DELETE /campaign/{id}/ answer as without."""
    created = t.ctx.create_campaign("slash", path="/campaign/")
    t.exercised(COLLECTION, method="POST")
    if not t.expect(
        created.success() is True,
        "R-1p",
        f"POST /campaign/ does not create: {created.describe()}",
        created,
    ):
        created = t.ctx.create_campaign("slash item")
    value = created.data().get("id") if created.success() is True else None
    if not isinstance(value, int) or isinstance(value, bool):
        t.unexercised("R-1p", f"no campaign could be created to read back: {created.describe()}")
        return
    path = f"/campaign/{value}/"
    for method in ITEM_METHODS:
        t.begin()
        if method == "PUT":
            name = t.ctx.campaign_name("slash renamed")
            answer = t.put(path, form={"name": name})
            ok = _returns(answer, value) and answer.data().get("name") == name
        elif method in ("GET", "DELETE"):
            answer = t.request(method, path)
            ok = _returns(answer, value)
        else:
            answer = t.request(method, path)
            ok = _answered(answer)
        t.exercised(ITEMS, method=method)
        t.expect(
            ok,
            "R-1p",
            f"{method} {path} is not served as without the slash: {answer.describe()}",
            answer,
        )
    if t.wants("R-1p"):
        gone = t.get(f"/campaign/{value}")
        t.expect(
            gone.status == 404,
            "R-1p",
            f"DELETE {path} answered but the campaign is still there: {gone.describe()}",
            gone,
        )
