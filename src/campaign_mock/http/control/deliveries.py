"""`/_mock/deliveries`: the callback journal, long-polls on it, flush and redeliver; with
`--isolate accounts`, of the caller's world (http/world.py)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from campaign_mock.core.mock import MAX_WAIT
from campaign_mock.domain.aggregation import Event
from campaign_mock.domain.errors import InvalidError
from campaign_mock.http import numbers
from campaign_mock.http.context import mock
from campaign_mock.http.control.reading import json_object
from campaign_mock.http.envelope import success
from campaign_mock.http.world import account_or_401

blueprint = Blueprint("deliveries", __name__, url_prefix="/_mock")


@blueprint.get("/deliveries")
def list_deliveries() -> Response:
    """The journal: every attempt, oldest batch first; `?campaign=ID`, `?body=0` to omit bodies,
    `?summary=1` for the counters alone."""
    campaign = request.args.get("campaign", type=int)
    with_body = request.args.get("body", "1") not in {"0", "false"}
    summary = request.args.get("summary", "0") not in {"0", "false"}
    core = mock()
    held = core.world(account_or_401())
    outbox = held.simulation.outbox
    entries = [] if summary else outbox.entries(campaign)
    acknowledged: dict[str, dict[str, int]] = {}
    with outbox.lock:
        bodies = {i: outbox.batches[i] for i in {e.batch for e in entries} if i in outbox.batches}
        for (ident, event), count in outbox.acknowledged.items():
            if campaign is None or ident == campaign:
                acknowledged.setdefault(str(ident), {})[event.value] = count
    return success(
        {
            "deliveries": [
                e.to_wire(bodies[e.batch].body() if with_body and e.batch in bodies else None)
                for e in entries
            ],
            "acknowledged": acknowledged,
            "busy": outbox.busy(core.now()),
            "next_due": outbox.next_due(),
            "sending": held.simulation.sending(),
        }
    )


@blueprint.post("/deliveries/wait")
def wait_deliveries() -> Response:
    """Long-poll. `{"campaign", "event", "count", "timeout"}`: until that many addresses of
    that event are acknowledged; `{"idle": true, "timeout"}`: until nothing due is unanswered."""
    document = json_object()
    timeout = numbers.number(document, "timeout", default=10.0, high=MAX_WAIT)
    account = account_or_401()
    if document.get("idle") is True:
        return success({"reached": mock().wait_idle(account, timeout)})
    campaign = numbers.whole(document, "campaign")
    count = numbers.whole(document, "count")
    raw_event = document.get("event")
    if raw_event not in {e.value for e in Event}:
        raise InvalidError(
            "event: must be one of submitted, delivered, bounced, opened, clicked",
            {"event": ["is not an event type"]},
        )
    found = mock().wait_acknowledged(account, campaign, Event(raw_event), count, timeout)
    return success({"reached": found >= count, "acknowledged": found})


@blueprint.post("/deliveries/flush")
def flush_deliveries() -> Response:
    """Every event so far is reported now, ignoring the window; waiting retries go now too."""
    core, account = mock(), account_or_401()
    core.flush(account)
    return success({"busy": core.world(account).simulation.outbox.busy(core.now())})


@blueprint.post("/deliveries/<positive_int:ident>/redeliver")
def redeliver(ident: int) -> Response:
    batch = mock().redeliver(account_or_401(), ident)
    return success({"batch": batch.id, "campaign": batch.campaign, "state": batch.state.value})
